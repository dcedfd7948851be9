// The start-up replay is filed, not verified: signatures are checked after readiness, in the
// background, or at once for the scopes a model start needs. No token is used unverified.
import { afterEach, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/nats-core';
import type { JsMsg } from '@nats-io/jetstream';
import type { PinoLogger } from 'nestjs-pino';
import { settingsSubject, type Scope } from '@helix/contracts';
import type { NatsLink } from '@helix/nats';
import { EventSigner, generateEventKeyPair, generateKeyBase64, Secret, SettingsBusCipher } from '@helix/secrets';
import { TokenStore } from '@helix/token-store';
import type { RunnerConfig, RunnerSettings } from '../config';
import { SETTLE_CHUNK, SettingsSyncService } from './settings-sync.service';

const settingsKey = generateKeyBase64();
const pair = generateEventKeyPair();
const signer = EventSigner.fromBase64(pair.signingKey);
const cipher = SettingsBusCipher.fromBase64(settingsKey);
const services: SettingsSyncService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.onApplicationShutdown();
});

let seq = 0;
/** A stream message as the settings-service publishes it (`sign: false`: as a forger would). */
function message(scope: Scope, scopeId: string | null, token: string, pending: number, sign = true): JsMsg {
  const subject = settingsSubject(scope, scopeId);
  const event = {
    type: 'settings.updated',
    schema: 1,
    scope,
    scope_id: scopeId,
    version: 1,
    huggingface_token: cipher.sealEvent(Secret.of(token), scope, scopeId, 1),
    fingerprint: Secret.of(token).fingerprint,
    updated_at: new Date().toISOString(),
    updated_by: null,
  };
  const data = new TextEncoder().encode(JSON.stringify(event));
  const signature = sign ? signer.sign(subject, data) : undefined;
  return { subject, seq: ++seq, data, info: { pending }, headers: { get: () => signature ?? '' } } as unknown as JsMsg;
}

function setup() {
  const store = new TokenStore();
  const logged: string[] = [];
  const logger = {
    info: (_: object, msg: string) => logged.push(msg),
    warn: (_: object, msg: string) => logged.push(msg),
    debug: () => undefined,
    error: () => undefined,
  };
  const config = { HELIX_SETTINGS_KEY: settingsKey, HELIX_EVENT_VERIFY_KEY: pair.verifyKey } as RunnerConfig;
  // Acks would go to JetStream: this connection refuses them (the publisher retries until shutdown).
  const nc = { options: { inboxPrefix: '_INBOX' }, isClosed: () => false, request: () => Promise.reject(new Error('offline')) } as unknown as NatsConnection;
  const sync = new SettingsSyncService(nc, {} as NatsLink, store, { runnerId: 'gpu-1' } as RunnerSettings, config, logger as unknown as PinoLogger);
  services.push(sync);
  // As open() would set it from the stream info: the replay ends with the message that has none pending.
  (sync as unknown as { replayUntil: number }).replayUntil = Number.MAX_SAFE_INTEGER;
  const handle = (msg: JsMsg) => (sync as unknown as { handle(m: JsMsg): void }).handle(msg);
  return { sync, store, handle, logged };
}

describe('SettingsSyncService: the start-up replay', () => {
  it('is ready once received; a model start verifies and applies its chain first; a forged replayed event is never used', async () => {
    const { sync, store, handle } = setup();
    handle(message('org', 'acme', 'hf_orgToken', 3));
    handle(message('model', 'acme/forged', 'hf_forgedToken', 2, false));
    handle(message('model', 'acme/real', 'hf_modelToken', 1));
    handle(message('global', null, 'hf_globalToken', 0));
    expect(sync.replayComplete).toBe(true);
    // Ready before checking: only the global scope was settled (heartbeats need it).
    expect(store.size).toBe(1);
    expect(sync.heldScopes).toBe(4);
    expect(sync.resolve({ modelId: 'acme/real', orgId: 'acme' })).toMatchObject({ source: 'model' });
    expect(sync.resolve({ modelId: 'acme/real', orgId: 'acme' }).token?.reveal()).toBe('hf_modelToken');
    // The forged model event is dropped when checked: that model falls back to its org's token.
    expect(sync.resolve({ modelId: 'acme/forged', orgId: 'acme' })).toMatchObject({ source: 'org' });
    expect(store.version('model', 'acme/forged')).toBe(0);
  });

  it('checks every replayed event in the background after readiness, yielding to I/O every SETTLE_CHUNK events', async () => {
    const { sync, store, handle, logged } = setup();
    for (let i = 0; i < 1_199; i++) handle(message('org', `org-${i}`, `hf_org${i}`, 1_199 - i));
    // The last one completes the replay (none pending); the background check starts on the next turn.
    const checkedWhenIoRan: number[] = [];
    const io = () => {
      checkedWhenIoRan.push(store.size);
      if (sync.heldScopes > store.size) setImmediate(io);
    };
    handle(message('global', null, 'hf_globalToken', 0));
    setImmediate(io);
    await expect.poll(() => logged.includes('settings replay verified'), { timeout: 5_000 }).toBe(true);
    expect(store.size).toBe(1_200);
    // Between two turns of I/O, at most one chunk was checked (the global scope was settled at readiness).
    expect(checkedWhenIoRan[0]).toBeLessThanOrEqual(1 + SETTLE_CHUNK);
    const steps = checkedWhenIoRan.slice(1).map((n, i) => n - checkedWhenIoRan[i]);
    expect(Math.max(...steps)).toBeLessThanOrEqual(SETTLE_CHUNK);
    expect(checkedWhenIoRan.length).toBeGreaterThanOrEqual(Math.floor(1_199 / SETTLE_CHUNK));
  });
});
