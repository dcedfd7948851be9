import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { headers as natsHeaders, PermissionViolationError, type NatsConnection } from '@nats-io/nats-core';
import { Patterns, runnerSlotsCreate, SETTINGS_ACKS_CONSUMER, SETTINGS_SIGNATURE_HEADER } from '@helix/contracts';
import type { NatsRole } from '@helix/local-infra';
import { deadlineHeaders } from '@helix/rpc';
import { dumpPostgres, repoRoot, scanForSecrets, spawnApp, startStack, type Stack } from '@helix/testing';

/**
 * docs/reference/security.md, NATS credentials: every process connects with its own credentials and may use only
 * its own subjects. Each forged message of the issue is sent with no credentials and with another
 * role's credentials: NATS refuses it (the server logs the violation), and nothing changes.
 */
const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const TOKEN = `hf_natsAuth${Date.now()}`;
const SLOT = 'forged-slot-1';

interface Outcome {
  message: string;
  credentials: string;
  outcome: string;
}

describe('the bus is authenticated and least-privilege (docs/reference/security.md)', () => {
  let stack: Stack;
  const clients = new Map<string, { nc: NatsConnection; violations: PermissionViolationError[] }>();
  const matrix: Outcome[] = [];

  /** A connection as `role`, recording the permission violations NATS reports to it. */
  async function as(role: NatsRole): Promise<{ nc: NatsConnection; violations: PermissionViolationError[] }> {
    const existing = clients.get(role);
    if (existing) return existing;
    const nc = await stack.connectNats(role, { name: `attacker-${role}` });
    const violations: PermissionViolationError[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error' && s.error instanceof PermissionViolationError) violations.push(s.error);
    })();
    const client = { nc, violations };
    clients.set(role, client);
    return client;
  }

  /** Publishes (or subscribes) as `role` and expects NATS to refuse it, to the client and in the server log. */
  async function refused(role: NatsRole, operation: 'publish' | 'subscription', subject: string, send: (nc: NatsConnection) => unknown): Promise<void> {
    const { nc, violations } = await as(role);
    const before = violations.length;
    const logged = stack.nats.logs.length;
    send(nc);
    await nc.flush();
    await vi.waitFor(() => expect(violations.slice(before).some((v) => v.operation === operation && v.subject === subject)).toBe(true), { timeout: 5_000 });
    const verb = operation === 'publish' ? 'Publish Violation' : 'Subscription Violation';
    await vi.waitFor(() => expect(stack.nats.logs.slice(logged).some((l) => l.includes(verb) && l.includes(`"${subject}"`))).toBe(true), { timeout: 5_000 });
  }

  const request = (subject: string, data: unknown) => (nc: NatsConnection) =>
    nc
      .request(subject, JSON.stringify({ pattern: subject, id: `forged-${Math.random()}`, data }), {
        timeout: 2_000,
        headers: deadlineHeaders(Date.now() + 10_000),
      })
      .catch(() => undefined);
  const publish = (subject: string, data: unknown, headers?: Record<string, string>) => (nc: NatsConnection) => {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(headers ?? {})) h.set(k, v);
    nc.publish(subject, JSON.stringify(data), { headers: h });
  };

  /** What every attack must leave as it was. */
  const state = async () => ({
    settings: (({ version, huggingface_token_fingerprint }) => ({ version, huggingface_token_fingerprint }))(
      (await stack.api('GET', '/api/v1/system/settings')).body,
    ),
    runners: (await stack.api('GET', '/api/v1/runners')).body.map((r: any) => [r.id, r.settings_version, r.in_sync, r.memory_total]),
  });
  let baseline: Awaited<ReturnType<typeof state>>;

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'gpu-a' }, { id: 'gpu-b' }] });
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN })).status).toBe(200);
    await vi.waitFor(
      async () =>
        expect((await state()).runners.map((r: unknown[]) => r.slice(0, 3))).toEqual([
          ['gpu-a', 1, true],
          ['gpu-b', 1, true],
        ]),
      { timeout: 20_000 },
    );
    // A model slot starts and reports back: commands, status, heartbeats and acks all flow.
    const created = await stack.api('POST', '/api/v1/models', {
      id: 'acme/auth-test',
      name: 'Auth test',
      type: 'chat',
      runtime: 'vllm',
      memory: '1GB',
      context_length: 2048,
    });
    expect(created.status).toBe(201);
    await vi.waitFor(async () => expect((await stack.api('GET', '/api/v1/models/acme/auth-test')).body.slots?.[0]?.state).toBe('running'), { timeout: 30_000 });
    baseline = await state();
  });

  afterAll(async () => {
    for (const { nc } of clients.values()) await nc.close().catch(() => undefined);
    if (matrix.length) console.log(`[nats-auth] forged-message matrix:\n${matrix.map((m) => `  ${m.message} × ${m.credentials} → ${m.outcome}`).join('\n')}`);
    await stack?.stop();
  });

  it('the processes themselves use only what their credentials allow: no violation in normal operation', () => {
    expect(stack.nats.logs.filter((l) => /Violation/.test(l))).toEqual([]);
    for (const app of [stack.gateway, stack.models, ...stack.settings, ...stack.runners.values()])
      expect(app.json().filter((l) => /without credentials/.test(String(l.msg)))).toEqual([]);
  });

  it('a client without credentials cannot connect at all', async () => {
    await expect(connect({ servers: stack.nats.url, maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow(/Authorization Violation/i);
    await expect(connect({ servers: stack.nats.url, user: 'helix', pass: 'guess', reconnect: false })).rejects.toThrow(/Authorization Violation/i);
    expect(stack.nats.logs.some((l) => /Authorization Error|authentication error/i.test(l))).toBe(true);
    matrix.push({ message: 'any message', credentials: 'none / user+password', outcome: 'connection refused (Authorization Violation)' });
  });

  const forged: Array<{ message: string; role: NatsRole; operation: 'publish' | 'subscription'; subject: string; send: (nc: NatsConnection) => unknown }> = [
    {
      message: 'svc.settings.system.update clearing the token as "nobody"',
      role: 'runner-gpu-a',
      operation: 'publish',
      subject: Patterns.settingsUpdate,
      send: request(Patterns.settingsUpdate, { huggingface_token: null, updated_by: 'nobody' }),
    },
    {
      message: 'svc.settings.system.update (a service request from the models-service)',
      role: 'models-service',
      operation: 'publish',
      subject: Patterns.settingsUpdate,
      send: request(Patterns.settingsUpdate, { huggingface_token: null, updated_by: 'nobody' }),
    },
    {
      message: 'runner.gpu-a.slots.create, any repo with --trust-remote-code',
      role: 'runner-gpu-b',
      operation: 'publish',
      subject: runnerSlotsCreate('gpu-a'),
      send: request(runnerSlotsCreate('gpu-a'), {
        slot_id: SLOT,
        model: { id: 'evil/steal-token', memory: 1, context_length: 2048, runtime_args: ['--trust-remote-code'] },
      }),
    },
    {
      message: 'runner.gpu-a.slots.create from the gateway',
      role: 'gateway',
      operation: 'publish',
      subject: runnerSlotsCreate('gpu-a'),
      send: request(runnerSlotsCreate('gpu-a'), { slot_id: SLOT, model: { id: 'evil/steal-token', memory: 1, context_length: 2048 } }),
    },
    {
      message: 'settings.updated.global, token null, version 1,000,000 (also: an old event republished)',
      role: 'runner-gpu-a',
      operation: 'publish',
      subject: 'settings.updated.global',
      send: publish(
        'settings.updated.global',
        { type: 'settings.updated', schema: 1, scope: 'global', scope_id: null, version: 1_000_000, huggingface_token: null, fingerprint: null },
        { [SETTINGS_SIGNATURE_HEADER]: 'AAAA' },
      ),
    },
    {
      message: 'settings.updated.global from the gateway',
      role: 'gateway',
      operation: 'publish',
      subject: 'settings.updated.global',
      send: publish('settings.updated.global', {
        type: 'settings.updated',
        schema: 1,
        scope: 'global',
        scope_id: null,
        version: 1_000_000,
        huggingface_token: null,
      }),
    },
    {
      message: 'settings.updated.poison (scope global, scope_id "x")',
      role: 'runner-gpu-a',
      operation: 'publish',
      subject: 'settings.updated.poison',
      send: publish('settings.updated.poison', { type: 'settings.updated', schema: 1, scope: 'global', scope_id: 'x', version: 2 }),
    },
    {
      message: 'settings.applied for another runner (gpu-b acknowledging, sent by gpu-a)',
      role: 'runner-gpu-a',
      operation: 'publish',
      subject: 'settings.applied.gpu-b',
      send: publish('settings.applied.gpu-b', { runner_id: 'gpu-b', scope: 'global', scope_id: null, version: 1_000_000, hf_token_provided: true }),
    },
    {
      message: 'runners.heartbeat of a fake 10 TB runner',
      role: 'runner-gpu-a',
      operation: 'publish',
      subject: 'runners.heartbeat.fake',
      send: publish('runners.heartbeat.fake', {
        runner_id: 'fake',
        memory_total: 10e12,
        memory_allocated: 0,
        settings_version: 1,
        slots: [],
        sent_at: new Date().toISOString(),
      }),
    },
    {
      message: "runner.gpu-b.slots.status (another runner's slot state)",
      role: 'runner-gpu-a',
      operation: 'publish',
      subject: 'runner.gpu-b.slots.status',
      send: publish('runner.gpu-b.slots.status', { id: 'x', state: 'running' }),
    },
    {
      message: 'purge the SETTINGS stream',
      role: 'runner-gpu-a',
      operation: 'publish',
      subject: '$JS.API.STREAM.PURGE.SETTINGS',
      send: (nc) => nc.request('$JS.API.STREAM.PURGE.SETTINGS', '{}', { timeout: 2_000 }).catch(() => undefined),
    },
    {
      message: 'purge the SETTINGS stream from the gateway',
      role: 'gateway',
      operation: 'publish',
      subject: '$JS.API.STREAM.PURGE.SETTINGS',
      send: (nc) => nc.request('$JS.API.STREAM.PURGE.SETTINGS', '{}', { timeout: 2_000 }).catch(() => undefined),
    },
    {
      message: 'delete the settings-service ack consumer',
      role: 'runner-gpu-a',
      operation: 'publish',
      subject: `$JS.API.CONSUMER.DELETE.SETTINGS_ACKS.${SETTINGS_ACKS_CONSUMER}`,
      send: (nc) => nc.request(`$JS.API.CONSUMER.DELETE.SETTINGS_ACKS.${SETTINGS_ACKS_CONSUMER}`, '', { timeout: 2_000 }).catch(() => undefined),
    },
    {
      message: 'listen to gateway → settings-service requests (to replay them later)',
      role: 'runner-gpu-a',
      operation: 'subscription',
      subject: Patterns.settingsUpdate,
      send: (nc) => nc.subscribe(Patterns.settingsUpdate),
    },
    {
      message: "receive another runner's commands",
      role: 'runner-gpu-a',
      operation: 'subscription',
      subject: 'runner.gpu-b.slots.*',
      send: (nc) => nc.subscribe('runner.gpu-b.slots.*'),
    },
    {
      message: 'answer a command sent to another runner (its reply subject)',
      role: 'runner-gpu-a',
      operation: 'publish',
      subject: 'runner.gpu-b.replies.forged',
      send: publish('runner.gpu-b.replies.forged', { accepted: true }),
    },
    {
      message: "read the replies of other runners' commands",
      role: 'runner-gpu-a',
      operation: 'subscription',
      subject: 'runner.*.replies.*',
      send: (nc) => nc.subscribe('runner.*.replies.*'),
    },
    {
      message: "forge a reply to a runner's own request (its inbox), from a service",
      role: 'settings-service',
      operation: 'publish',
      subject: '_INBOX.runner-gpu-a.forged',
      send: publish('_INBOX.runner-gpu-a.forged', { type: 'io.nats.jetstream.api.v1.consumer_create_response' }),
    },
    {
      message: "read the services' and runners' replies, from the gateway",
      role: 'gateway',
      operation: 'subscription',
      subject: '_INBOX.>',
      send: (nc) => nc.subscribe('_INBOX.>'),
    },
    {
      message: "read other clients' replies",
      role: 'runner-gpu-a',
      operation: 'subscription',
      subject: '_INBOX.>',
      send: (nc) => nc.subscribe('_INBOX.>'),
    },
  ];

  it.each(forged)('$message, with $role credentials: refused by NATS, logged by the server', async ({ message, role, operation, subject, send }) => {
    await refused(role, operation, subject, send);
    matrix.push({ message, credentials: role, outcome: `refused (${operation} violation, logged)` });
  });

  it('after every attempt: the token, every runner and the streams are as they were; no forged slot started', async () => {
    expect(await state()).toEqual(baseline);
    expect(baseline.settings).toEqual({ version: 1, huggingface_token_fingerprint: fp(TOKEN) });
    expect(baseline.runners.map((r: unknown[]) => r[0])).toEqual(['gpu-a', 'gpu-b']);
    for (const runner of stack.runners.values()) {
      expect(runner.json().some((l) => l.slot_id === SLOT || l.model === 'evil/steal-token')).toBe(false);
      expect(runner.json().some((l) => l.msg === 'updated hugging face token from control plane' && l.version === 1_000_000)).toBe(false);
    }
    const admin = await stack.connectNats();
    const info = JSON.parse((await admin.request('$JS.API.STREAM.INFO.SETTINGS', '', { timeout: 5_000 })).string());
    expect(info.state.messages).toBe(1);
    const consumer = JSON.parse((await admin.request(`$JS.API.CONSUMER.INFO.SETTINGS_ACKS.${SETTINGS_ACKS_CONSUMER}`, '', { timeout: 5_000 })).string());
    expect(consumer.name).toBe(SETTINGS_ACKS_CONSUMER);
    await admin.close();
    // A rotation still reaches every runner.
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: `${TOKEN}-2` })).status).toBe(200);
    await vi.waitFor(
      async () =>
        expect((await state()).runners.map((r: unknown[]) => r.slice(0, 3))).toEqual([
          ['gpu-a', 2, true],
          ['gpu-b', 2, true],
        ]),
      { timeout: 20_000 },
    );
  });

  it('on its own subject a runner still cannot speak for another: the services check the subject against the body, and log it', async () => {
    const { nc } = await as('runner-gpu-a');
    const logged = { settings: stack.settings[0].lines.length, models: stack.models.lines.length };
    nc.publish(
      'runners.heartbeat.gpu-a',
      JSON.stringify({
        runner_id: 'fake',
        memory_total: 10e12,
        memory_allocated: 0,
        settings_version: 2,
        settings_seq: 0,
        settings_applied: 0,
        hf_token_provided: true,
        slots: [],
        sent_at: new Date().toISOString(),
      }),
    );
    // settings.applied.<id> is captured by the SETTINGS_ACKS stream: a JetStream publish is stored, then refused by the settings-service.
    nc.publish('settings.applied.gpu-a', JSON.stringify({ runner_id: 'gpu-b', scope: 'global', scope_id: null, version: 2, hf_token_provided: true }));
    await nc.flush();
    await vi.waitFor(
      () =>
        expect(
          stack.models
            .json()
            .slice(0)
            .some((l) => l.reason === 'wrong_subject' && l.runner_id === 'fake'),
        ).toBe(true),
      { timeout: 10_000 },
    );
    await vi.waitFor(
      () =>
        expect(stack.settings[0].json().some((l) => l.msg === 'ignored a settings.applied message for another runner' && l.runner_id === 'gpu-b')).toBe(true),
      { timeout: 10_000 },
    );
    expect(stack.models.lines.length).toBeGreaterThan(logged.models);
    expect((await state()).runners.map((r: unknown[]) => r[0])).toEqual(['gpu-a', 'gpu-b']);
    matrix.push({
      message: 'heartbeat naming runner "fake" on runners.heartbeat.gpu-a',
      credentials: 'runner-gpu-a',
      outcome: 'delivered; ignored by the models-service (wrong_subject, logged)',
    });
    matrix.push({
      message: 'ack naming gpu-b on settings.applied.gpu-a',
      credentials: 'runner-gpu-a',
      outcome: 'stored; refused by the settings-service (logged)',
    });
  });

  it('a process started without HELIX_NATS_CREDS against this server cannot connect, and says so at start', async () => {
    const runner = spawnApp(
      'runner-anonymous',
      {
        HELIX_NATS_URL: stack.nats.url,
        HELIX_SETTINGS_KEY: stack.settingsKey,
        HELIX_EVENT_VERIFY_KEY: stack.eventKeys.verifyKey,
        HELIX_RUNNER_ID: 'anonymous',
        HELIX_RUNNER_MEMORY: '80GB',
        HELIX_RUNNER_HTTP_PORT: '0',
      },
      { entry: `${repoRoot()}/dist/apps/runner/main.js` },
    );
    try {
      await runner.waitFor((l) => /without credentials/.test(String(l.msg)), 15_000);
      await vi.waitFor(() => expect(stack.nats.logs.some((l) => /Authorization Violation|authentication error/i.test(l))).toBe(true), { timeout: 10_000 });
      expect((await state()).runners.map((r: unknown[]) => r[0])).toEqual(['gpu-a', 'gpu-b']);
    } finally {
      await runner.stop();
    }
  });

  it('no token value appears in any captured log, response, or the NATS store', async () => {
    const findings = await scanForSecrets([TOKEN, `${TOKEN}-2`], {
      texts: [...stack.texts(), { label: 'postgres rows', text: await dumpPostgres(stack.pg.url) }],
      dirs: [stack.nats.storeDir, stack.pg.dataDir, stack.natsAuth!.dir],
    });
    expect(findings).toEqual([]);
  });
});
