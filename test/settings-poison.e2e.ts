import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { SETTINGS_SIGNATURE_HEADER, SETTINGS_STREAM, settingsSubject } from '@helix/contracts';
import { Aad, EnvelopeKey, EventSigner, Secret, seal } from '@helix/secrets';
import { scanForSecrets, eventually, startStack, type Stack } from '@helix/testing';

const TOKEN_1 = `hf_poisonReal1${Date.now()}`;
const TOKEN_2 = `hf_poisonReal2${Date.now()}`;
const WRONG_KEY_TOKEN = `hf_poisonWrongKey${Date.now()}`;
const GLOBAL = settingsSubject('global', null);
const MODEL = settingsSubject('model', 'poison/model');

const applied = (version: number) => (l: any) =>
  l.msg === 'updated hugging face token from control plane' && l.version === version && l.token_provided === true;

/** A well-formed global event apart from the fields a test overrides. */
function event(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'settings.updated',
    schema: 1,
    scope: 'global',
    scope_id: null,
    version: 1,
    huggingface_token: null,
    fingerprint: null,
    updated_at: new Date().toISOString(),
    updated_by: 'mallory',
    ...overrides,
  };
}

/** Rejected events of every kind: bad versions, scope ids that contradict the scope or subject, non-JSON bytes. */
function malformed(version: number): Array<[string, Uint8Array]> {
  const json = (subject: string, fields: Record<string, unknown>): [string, Uint8Array] => [subject, new TextEncoder().encode(JSON.stringify(event(fields)))];
  return [
    json(GLOBAL, { version: 0 }),
    json(GLOBAL, { version: -1 }),
    json(GLOBAL, { version: 'x' }),
    json(GLOBAL, { version: version + 50, scope_id: 'acme' }),
    json(MODEL, { version: version + 50, scope: 'model', scope_id: '' }),
    json(MODEL, { version: version + 50, scope: 'model', scope_id: null }),
    json(MODEL, { version: version + 50, scope: 'model', scope_id: 'another/model' }),
    [GLOBAL, Uint8Array.from([0xff, 0xfe, 0x00, 0x7b])],
  ];
}

/** The same shape the settings-service publishes, sealed with a key nobody in the stack has. */
function sealedWithWrongKey(version: number): Uint8Array {
  const key = EnvelopeKey.fromBase64(randomBytes(32).toString('base64'));
  const envelope = seal(key, Secret.of(WRONG_KEY_TOKEN), Aad.event('global', null, version));
  return new TextEncoder().encode(JSON.stringify(event({ version, huggingface_token: envelope, fingerprint: 'sha256:000000000000' })));
}

async function ignoredCount(stack: Stack, runnerId: string, reason: string): Promise<number> {
  const text = await (await fetch(`${stack.runnerHttp.get(runnerId)}/metrics`)).text();
  const match = text.match(new RegExp(`^helix_runner_settings_ignored_total\\{reason="${reason}"\\} (\\d+)$`, 'm'));
  return match ? Number(match[1]) : 0;
}

/** The version of the last message stored on the global subject, or null when it is not a valid event. */
async function lastGlobalVersion(nc: NatsConnection): Promise<number | null> {
  const stored = await (await jetstreamManager(nc)).streams.getMessage(SETTINGS_STREAM, { last_by_subj: GLOBAL });
  try {
    const version = stored ? JSON.parse(new TextDecoder().decode(stored.data)).version : null;
    return Number.isSafeInteger(version) ? version : null;
  } catch {
    return null;
  }
}

describe('events that fail to parse, to validate or to decrypt are skipped, never retried forever', () => {
  let stack: Stack;
  let nc: NatsConnection;
  let version: number;
  /**
   * Published with the settings-service's own signature, as if its key had leaked or it had a bug:
   * the checks behind the signature (shape, subject, decryption) must still hold.
   */
  const publishSigned = (subject: string, data: Uint8Array) => {
    const h = headers();
    h.set(SETTINGS_SIGNATURE_HEADER, EventSigner.fromBase64(stack.eventKeys.signingKey).sign(subject, data));
    return jetstream(nc).publish(subject, data, { headers: h });
  };

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'gpu-p1' }, { id: 'gpu-p2' }] });
    nc = await stack.connectNats();
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_1 });
    version = put.body.version;
    for (const id of ['gpu-p1', 'gpu-p2']) await stack.runners.get(id)!.waitFor(applied(version));
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  it('an unsigned event (a forged clear with a huge version, docs/reference/security.md) is ignored by every runner, which keeps its token and stays in sync', async () => {
    const forged = new TextEncoder().encode(JSON.stringify(event({ version: 1_000_000, huggingface_token: null })));
    await jetstream(nc).publish(GLOBAL, forged);
    for (const id of ['gpu-p1', 'gpu-p2']) {
      await eventually(async () => (await ignoredCount(stack, id, 'unsigned')) >= 1, 20_000, `${id} counted the unsigned event`);
      // The log is written asynchronously: it may trail the counter (a CI run read it too early).
      await stack.runners.get(id)!.waitFor((l) => l.msg?.startsWith('ignored a settings event not signed'), 10_000);
      expect(
        stack.runners
          .get(id)!
          .json()
          .filter((l) => l.msg?.startsWith('ignored a settings event not signed')),
      ).toHaveLength(1);
    }
    // The settings-service puts the signed current state back as the subject's last message.
    await stack.settings[0].waitFor(
      (l) => l.msg === 'settings stream ends with an invalid event; publishing the current state again' && l.version === version,
      20_000,
    );
    await eventually(async () => (await lastGlobalVersion(nc)) === version, 20_000, 'the current state is the last global message again');
    await eventually(
      async () => (await stack.api('GET', '/api/v1/runners')).body.every((r: any) => r.in_sync && r.settings_version === version && r.hf_token_provided),
      20_000,
      'every runner in sync with the real version',
    );
    // A later real update still applies (the forged version did not make it look stale).
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_1 });
    version = put.body.version;
    for (const id of ['gpu-p1', 'gpu-p2']) await stack.runners.get(id)!.waitFor(applied(version), 20_000);
  });

  it('running runners count and skip each poison event, then apply the next real update', async () => {
    const poison = [...malformed(version), [GLOBAL, sealedWithWrongKey(version + 100)] as [string, Uint8Array]];
    const ids = ['gpu-p1', 'gpu-p2'];
    const skipped = async (id: string) => (await ignoredCount(stack, id, 'malformed')) + (await ignoredCount(stack, id, 'undecryptable'));
    const before = new Map(await Promise.all(ids.map(async (id) => [id, await skipped(id)] as const)));
    for (const [i, [subject, data]] of poison.entries()) {
      await publishSigned(subject, data);
      // SETTINGS keeps one message per subject: the next poison event on the same subject would replace
      // this one before a runner slowed down by a busy machine read it. One at a time, each is seen.
      for (const id of ids) await eventually(async () => (await skipped(id)) >= before.get(id)! + i + 1, 20_000, `${id} skipped poison event ${i + 1}`);
    }

    for (const id of ['gpu-p1', 'gpu-p2']) {
      await eventually(async () => (await ignoredCount(stack, id, 'malformed')) >= poison.length - 1, 20_000, `${id} counted the malformed events`);
      await eventually(async () => (await ignoredCount(stack, id, 'undecryptable')) >= 1, 20_000, `${id} counted the undecryptable event`);
      // Logged once each, without the content (the log is written asynchronously: it may trail the counter).
      const logged = () =>
        stack.runners
          .get(id)!
          .json()
          .filter((l) => l.msg === 'ignored an invalid settings event');
      await eventually(() => logged().length >= poison.length - 1, 10_000, `${id} logged the malformed events`);
      const lines = logged();
      expect(lines.length).toBe(poison.length - 1);
      expect(JSON.stringify(lines)).not.toMatch(/mallory|acme|another\/model/);
    }

    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_2 });
    expect(put.body.version).toBe(version + 1);
    version = put.body.version;
    for (const id of ['gpu-p1', 'gpu-p2']) await stack.runners.get(id)!.waitFor(applied(version), 20_000);
  });

  it('when a poison event is the last one of the global subject, the settings-service publishes the current state again and a new runner gets it', async () => {
    await publishSigned(GLOBAL, new TextEncoder().encode(JSON.stringify(event({ version: 'x' }))));
    await stack.settings[0].waitFor(
      (l) => l.msg === 'settings stream ends with an invalid event; publishing the current state again' && l.version === version,
      20_000,
    );
    await eventually(async () => (await lastGlobalVersion(nc)) === version, 20_000, 'the current state is the last global message again');
    await publishSigned(GLOBAL, sealedWithWrongKey(version + 100));
    await stack.settings[0].waitFor(
      (l) => l.msg === 'settings stream holds a version the database never had; publishing the current state again' && l.version === version,
      20_000,
    );
    await eventually(async () => (await lastGlobalVersion(nc)) === version, 20_000, 'the current state is the last global message again');

    // Its replay also holds the poison left on the model subject (no stored token repairs that one).
    const fresh = await stack.startRunner({ id: 'gpu-p3' });
    const line = await fresh.waitFor((l) => l.msg === 'updated hugging face token from control plane', 20_000);
    expect(line).toMatchObject({ version, token_provided: true });
    // Replayed events are checked after readiness (or when a model needs them): the poison is counted then.
    await eventually(async () => (await ignoredCount(stack, 'gpu-p3', 'malformed')) >= 1, 20_000, 'gpu-p3 counted the replayed poison');
    const ready = await fetch(`${stack.runnerHttp.get('gpu-p3')}/readyz`);
    expect(ready.status).toBe(200);
    await eventually(async () => (await stack.api('GET', '/api/v1/runners')).body.find((r: any) => r.id === 'gpu-p3')?.in_sync, 20_000, 'gpu-p3 in sync');
  });

  it('no token value leaked, the wrong-key one included', async () => {
    const findings = await scanForSecrets([TOKEN_1, TOKEN_2, WRONG_KEY_TOKEN], { texts: stack.texts(), dirs: [stack.pg.dataDir] });
    expect(findings).toEqual([]);
  });
});
