import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { Patterns, GATEWAY_INBOX_PREFIX } from '@helix/contracts';
import { deadlineHeaders } from '@helix/rpc';
import { Secret, SettingsBusCipher } from '@helix/secrets';
import { scanForSecrets, startStack, type Stack } from '@helix/testing';

/**
 * docs/reference/security.md, replay-proof requests: gateway → settings-service change requests carry a proof (HMAC
 * over the whole request, a nonce, an expiry). Captured on the bus and sent again, altered, forged
 * or late, they change nothing.
 */
const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const OLD = `hf_requestsOld${Date.now()}`;
const NEW = `hf_requestsNew${Date.now()}`;
const FORGED = `hf_requestsForged${Date.now()}`;

describe('settings change requests cannot be replayed, altered or forged on the bus', () => {
  let stack: Stack;
  let nc: NatsConnection;
  const captured: Msg[] = [];

  /** Sends a request body as the gateway's transport frames it, with a fresh deadline; returns the reply's error or response. */
  async function send(subject: string, data: unknown): Promise<{ err?: any; response?: any }> {
    const reply = await nc.request(subject, JSON.stringify({ pattern: subject, id: `replay-${Math.random()}`, data }), {
      timeout: 10_000,
      headers: deadlineHeaders(Date.now() + 10_000),
    });
    return JSON.parse(reply.string());
  }
  const state = async () => ({
    settings: (await stack.api('GET', '/api/v1/system/settings')).body,
    runners: (await stack.api('GET', '/api/v1/runners')).body.map((r: any) => [r.id, r.settings_version, r.in_sync]),
  });

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'gpu-r1' }] });
    // Requests as the gateway sends them: the services answer only on its inbox prefix.
    nc = await stack.connectNats('admin', { inboxPrefix: GATEWAY_INBOX_PREFIX });
    // An eavesdropper on the bus: a plain subscription gets a copy of every request.
    nc.subscribe(Patterns.settingsUpdate, { callback: (_err, msg) => void captured.push(msg) });
    await nc.flush();
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: OLD })).status).toBe(200);
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: NEW })).status).toBe(200);
    await stack.runners.get('gpu-r1')!.waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.scope === 'global' && l.version === 2);
    // The state the attacks must leave alone: every runner in sync with version 2.
    await vi.waitFor(async () => expect((await state()).runners).toEqual([['gpu-r1', 2, true]]), { timeout: 15_000 });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  it('the request that set the old token, sent again later with a fresh deadline, is refused and rolls nothing back', async () => {
    const before = await state();
    expect(captured).toHaveLength(2);
    const old = JSON.parse(captured[0].string()).data;
    const reply = await send(Patterns.settingsUpdate, old);
    expect(reply.err).toMatchObject({ error: 'forbidden', message: expect.stringMatching(/not authenticated .* replayed/) });
    expect(await state()).toEqual(before);
    expect(before.settings).toMatchObject({ version: 2, huggingface_token_fingerprint: fp(NEW) });
    expect(stack.settings[0].json().some((l) => l.msg === 'refused a replayed settings change request')).toBe(true);
  });

  it('an altered request (another author, a clear instead of the token), a request without proof and a forged one are refused', async () => {
    const before = await state();
    const latest = JSON.parse(captured[1].string()).data;
    const sealed = SettingsBusCipher.fromBase64(stack.settingsKey).sealUpdateRequest(Secret.of(FORGED));
    const attempts = [
      { ...latest, updated_by: 'nobody' },
      { ...latest, huggingface_token: null },
      { huggingface_token: null, updated_by: 'nobody' },
      {
        huggingface_token: sealed,
        updated_by: 'nobody',
        auth: { nonce: 'A'.repeat(24), expires_at: new Date(Date.now() + 10_000).toISOString(), mac: 'AAAA' },
      },
    ];
    for (const data of attempts) expect((await send(Patterns.settingsUpdate, data)).err).toMatchObject({ error: 'forbidden' });
    expect((await send(Patterns.settingsClearScope, { scope: 'org', scope_id: 'acme', updated_by: 'nobody' })).err).toMatchObject({ error: 'forbidden' });
    expect(await state()).toEqual(before);
    const refused = stack.settings[0].json().filter((l) => l.msg === 'refused a settings change request that is not authenticated by the gateway');
    expect(refused.map((l) => l.verdict)).toEqual(['bad_mac', 'bad_mac', 'missing', 'bad_mac', 'missing']);
  });

  it('no token value in any log or response', async () => {
    expect(await scanForSecrets([OLD, NEW, FORGED], { texts: stack.texts() })).toEqual([]);
  });
});
