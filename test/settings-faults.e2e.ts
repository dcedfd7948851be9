import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Msg } from '@nats-io/nats-core';
import { settingsSubject } from '@helix/contracts';
import { scanForSecrets, eventually, startStack, type Stack } from '@helix/testing';

const TOKENS = Array.from({ length: 30 }, (_, i) => `hf_fault${i}_${Date.now()}`);
const applied = (version: number) => (l: any) => l.msg === 'updated hugging face token from control plane' && l.version === version;

describe('faults lose no update', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Two settings-service replicas share requests (queue group) and the outbox.
    stack = await startStack({ runners: [{ id: 'gpu-f1' }], settingsReplicas: 2 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('NATS stopped during a PUT: the PUT succeeds once NATS is back and the runner gets the update', async () => {
    const before = (await stack.api('GET', '/api/v1/system/settings')).body.version;
    await stack.nats.stop();
    // The PUT comes after the gateway has seen the outage, as it is held until NATS is back. A request
    // already on the wire when NATS dies is lost with the connection and answered 503 after the
    // gateway's 10 s deadline (nothing was applied); a CI run under load once sent it in that instant.
    await eventually(async () => (await fetch(`${stack.gatewayUrls[0]}/readyz`)).status === 503, 10_000, 'the gateway to see NATS down');
    const put = stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKENS[0] });
    await new Promise((r) => setTimeout(r, 1_500));
    await stack.nats.start();
    const res = await put;
    expect(
      res.status,
      `${res.text}\n${stack.gateway.lines
        .filter((l) => /"warn"|"error"/.test(l))
        .slice(-5)
        .join('\n')}\n${stack.settings
        .map((s) =>
          s.lines
            .filter((l) => /"warn"|"error"/.test(l))
            .slice(-5)
            .join('\n'),
        )
        .join('\n')}`,
    ).toBe(200);
    expect(res.body.version).toBe(before + 1);
    await stack.runners.get('gpu-f1')!.waitFor(applied(before + 1), 30_000);
    await eventually(async () => (await stack.api('GET', '/api/v1/runners')).body.find((r: any) => r.id === 'gpu-f1')?.in_sync, 30_000, 'runner in sync');
  });

  it('NATS down longer than a request: the gateway answers 503 and nothing is written', async () => {
    const before = (await stack.api('GET', '/api/v1/system/settings')).body;
    await stack.nats.stop();
    const res = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKENS[1] });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('unavailable');
    await stack.nats.start();
    // The buffered request reaches the service after its deadline and is refused, not applied.
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await eventually(async () => {
      const r = await stack.api('GET', '/api/v1/system/settings');
      return r.status === 200 && r.body;
    });
    expect(after).toEqual(before);
  }, 60_000);

  it('Postgres down: PUT is a 503 with nothing half-written; after it returns, updates flow again', async () => {
    const before = (await stack.api('GET', '/api/v1/system/settings')).body;
    await stack.pg.stop();
    const res = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKENS[2] });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: 'unavailable' });
    await stack.pg.start();
    const after = await eventually(
      async () => {
        const r = await stack.api('GET', '/api/v1/system/settings');
        return r.status === 200 && r.body;
      },
      30_000,
      'settings readable again',
    );
    expect(after).toEqual(before);
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKENS[3] });
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(before.version + 1);
    await stack.runners.get('gpu-f1')!.waitFor(applied(before.version + 1), 30_000);
  }, 60_000);

  it('with two replicas, rapid updates are each published once and in order', async () => {
    const start = (await stack.api('GET', '/api/v1/system/settings')).body.version;
    // What every runner sees: the global subject, in the order NATS delivers it.
    const nc = await stack.connectNats();
    // A publish whose JetStream answer timed out is sent again with the same Nats-Msg-Id: JetStream
    // stores it once (runners get one copy), but a plain subscriber sees both (a CI run saw 15, 15).
    const seen: Array<{ version: number; msgId: string | undefined }> = [];
    nc.subscribe(settingsSubject('global', null), {
      callback: (_err: Error | null, msg: Msg) => void seen.push({ version: JSON.parse(msg.string()).version, msgId: msg.headers?.get('Nats-Msg-Id') }),
    });
    const arrived: number[] = [];
    await nc.flush();
    try {
      const results = await Promise.all(TOKENS.slice(4, 24).map((t) => stack.api('PUT', '/api/v1/system/settings', { huggingface_token: t })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      const versions = results.map((r) => r.body.version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => start + 1 + i));
      const final = start + 20;
      const runner = stack.runners.get('gpu-f1')!;
      await runner.waitFor(applied(final), 30_000).catch((err) => {
        throw new Error(`${err.message}\nsettings: ${stack.settings.map((s) => s.tail(15)).join('\n')}`);
      });
      await eventually(() => seen.length >= 20, 10_000, 'all 20 versions on the wire');
      await new Promise((r) => setTimeout(r, 1_500)); // room for a duplicate publish to show up
      // Retries of the same message (same id, right after it) are one publish to JetStream.
      expect(seen.every((m) => typeof m.msgId === 'string')).toBe(true);
      for (const [i, m] of seen.entries()) if (i === 0 || m.msgId !== seen[i - 1].msgId) arrived.push(m.version);
      // Each version published once, in version order, as it crossed NATS.
      expect(arrived).toEqual(versions);
      // Both replicas served requests (queue group), and each version was committed by exactly one.
      const served = stack.settings.map((s) =>
        s
          .json()
          .filter((l) => l.msg === 'system settings updated by admin' && l.version > start)
          .map((l) => l.version as number),
      );
      expect(
        served.map((v) => v.length).every((n) => n > 0),
        `served per replica: ${served.map((v) => v.length)}`,
      ).toBe(true);
      expect(served.flat().sort((a, b) => a - b)).toEqual(versions);
      expect(
        runner
          .json()
          .filter((l) => l.msg === 'updated hugging face token from control plane')
          .at(-1)?.version,
      ).toBe(final);
    } finally {
      await nc.close();
    }
  });

  it('acks sent while every settings-service is down are recorded when one returns', async () => {
    const version = (await stack.api('GET', '/api/v1/system/settings')).body.version;
    await Promise.all(stack.settings.map((s) => s.stop()));
    stack.settings = [];
    const late = await stack.startRunner({ id: 'gpu-f2' });
    await late.waitFor(applied(version));
    const replica = await stack.startSettingsService();
    await replica.waitFor((l) => l.msg === 'successfully synced system settings to runner' && l.runner_id === 'gpu-f2' && l.version === version, 30_000);
  }, 90_000);

  it('a runner killed with SIGKILL comes back with the current token', async () => {
    await stack.stopRunner('gpu-f1', 'SIGKILL');
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKENS[25] });
    const back = await stack.startRunner({ id: 'gpu-f1' });
    await back.waitFor(applied(put.body.version), 30_000);
  });

  it('no token value leaked anywhere during the faults', async () => {
    const findings = await scanForSecrets(TOKENS, { texts: stack.texts(), dirs: [stack.nats.storeDir, stack.pg.dataDir] });
    expect(findings).toEqual([]);
  });
});
