import { describe, expect, it } from 'vitest';
import { settingsSubject, type SettingsUpdatedEvent } from '@helix/contracts';
import { EventSigner, EventVerifier, generateEventKeyPair, generateKeyBase64, Secret, SettingsBusCipher } from '@helix/secrets';
import { TokenStore } from '@helix/token-store';
import { decodeSettingsEvent } from './settings-event-decoder';

const cipher = SettingsBusCipher.fromBase64(generateKeyBase64());
const otherKey = SettingsBusCipher.fromBase64(generateKeyBase64());
const GLOBAL = settingsSubject('global', null);
const pair = generateEventKeyPair();
const signer = EventSigner.fromBase64(pair.signingKey);
const keys = { cipher, verifier: EventVerifier.fromBase64(pair.verifyKey) };
/** As the settings-service publishes: signed over this subject and these bytes. */
const decode = (subject: string, data: Uint8Array) => decodeSettingsEvent(subject, data, signer.sign(subject, data), keys);

function event(overrides: Partial<SettingsUpdatedEvent> = {}, sealer = cipher): SettingsUpdatedEvent {
  const base: SettingsUpdatedEvent = {
    type: 'settings.updated',
    schema: 1,
    scope: 'global',
    scope_id: null,
    version: 2,
    huggingface_token: null,
    fingerprint: null,
    updated_at: '2026-11-01T00:00:00.000Z',
    updated_by: 'u1',
    ...overrides,
  };
  if (base.huggingface_token === null && !('huggingface_token' in overrides)) {
    base.huggingface_token = sealer.sealEvent(Secret.of('hf_decoder_1'), base.scope, base.scope_id, base.version);
  }
  return base;
}
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('decodeSettingsEvent', () => {
  it('refuses an event without the settings-service signature, before reading it (docs/reference/security.md)', () => {
    const data = bytes(event({ huggingface_token: null, version: 1_000_000 }));
    expect(decodeSettingsEvent(GLOBAL, data, undefined, keys)).toEqual({ ok: false, reason: 'unsigned', problem: 'the event is not signed' });
    const forger = EventSigner.fromBase64(generateEventKeyPair().signingKey);
    expect(decodeSettingsEvent(GLOBAL, data, forger.sign(GLOBAL, data), keys)).toMatchObject({ ok: false, reason: 'unsigned' });
    // A signed event copied under another subject, or with one byte changed, does not verify either.
    const signedForOrg = signer.sign(settingsSubject('org', 'acme'), data);
    expect(decodeSettingsEvent(GLOBAL, data, signedForOrg, keys)).toMatchObject({ ok: false, reason: 'unsigned' });
    const changed = Uint8Array.from(data);
    changed[10] ^= 1;
    expect(decodeSettingsEvent(GLOBAL, changed, signer.sign(GLOBAL, data), keys)).toMatchObject({ ok: false, reason: 'unsigned' });
    expect(decodeSettingsEvent(GLOBAL, data, signer.sign(GLOBAL, data), keys)).toMatchObject({ ok: true, update: { version: 1_000_000, token: null } });
  });

  it('turns a sealed event into the token update the store applies', () => {
    const decoded = decode(GLOBAL, bytes(event()));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.update).toMatchObject({ scope: 'global', scopeId: null, version: 2 });
    expect(decoded.update.token?.reveal()).toBe('hf_decoder_1');
    expect(new TokenStore().apply(decoded.update)).toBe('applied');
  });

  it('a clear decodes to a null token', () => {
    const decoded = decode(GLOBAL, bytes(event({ huggingface_token: null })));
    expect(decoded).toMatchObject({ ok: true, update: { token: null, version: 2 } });
  });

  it('a scoped event decodes on its own subject only', () => {
    const scoped = event({ scope: 'model', scope_id: 'Qwen/Qwen2.5' });
    expect(decode(settingsSubject('model', 'Qwen/Qwen2.5'), bytes(scoped)).ok).toBe(true);
    expect(decode(settingsSubject('model', 'other'), bytes(scoped))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decode(GLOBAL, bytes(scoped))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  // Every event TokenStore.apply would throw on is refused here instead, so the runner can count and skip it.
  it.each([
    ['version 0', { version: 0 }],
    ['version -1', { version: -1 }],
    ['version "x"', { version: 'x' }],
    ['a global scope id', { scope_id: 'acme' }],
    ['an empty scoped id', { scope: 'org', scope_id: '' }],
  ])('%s is malformed', (_, change) => {
    const raw = { ...event({ huggingface_token: null }), ...change };
    const subject = raw.scope === 'global' ? GLOBAL : `settings.updated.${raw.scope}.x`;
    expect(decode(subject, bytes(raw))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('garbage bytes are malformed', () => {
    expect(decode(GLOBAL, Uint8Array.from([0xff, 0x00, 0x7b]))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('an envelope sealed with another key, or for another version, is undecryptable', () => {
    expect(decode(GLOBAL, bytes(event({}, otherKey)))).toMatchObject({ ok: false, reason: 'undecryptable', event: { version: 2 } });
    const moved = { ...event(), version: 3 }; // the envelope was sealed for version 2
    expect(decode(GLOBAL, bytes(moved))).toMatchObject({ ok: false, reason: 'undecryptable' });
  });

  it('an envelope holding an empty token is malformed (a clear is an explicit null)', () => {
    const empty = event({ huggingface_token: cipher.sealEvent(Secret.of(''), 'global', null, 2) });
    expect(decode(GLOBAL, bytes(empty))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('the problem it reports never repeats the content', () => {
    const decoded = decode(GLOBAL, bytes({ ...event(), version: 'hf_looks_secret', updated_by: 7 }));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.problem).not.toContain('hf_looks_secret');
  });
});
