import { describe, expect, it } from 'vitest';
import { EnvelopeError, generateKeyBase64, Secret, SettingsBusCipher, TokenAtRestCipher } from './index';

const KEY = generateKeyBase64();
const token = Secret.of('hf_bus_cipher_1');

describe('SettingsBusCipher', () => {
  const cipher = SettingsBusCipher.fromBase64(KEY);

  it('opens what it sealed, for the same message kind, scope and version', () => {
    expect(cipher.openUpdateRequest(cipher.sealUpdateRequest(token)).reveal()).toBe('hf_bus_cipher_1');
    expect(cipher.openEvent(cipher.sealEvent(token, 'model', 'm/1', 4), 'model', 'm/1', 4).reveal()).toBe('hf_bus_cipher_1');
  });

  it('an event does not open as another version, scope or message kind', () => {
    const sealed = cipher.sealEvent(token, 'global', null, 4);
    expect(() => cipher.openEvent(sealed, 'global', null, 5)).toThrow(EnvelopeError);
    expect(() => cipher.openEvent(sealed, 'org', 'acme', 4)).toThrow(EnvelopeError);
    expect(() => cipher.openUpdateRequest(sealed)).toThrow(EnvelopeError);
    expect(() => cipher.openEvent(cipher.sealUpdateRequest(token), 'global', null, 4)).toThrow(EnvelopeError);
  });

  it('another key does not open it, and the error carries no token', () => {
    const other = SettingsBusCipher.fromBase64(generateKeyBase64());
    const sealed = cipher.sealEvent(token, 'global', null, 1);
    const err = (() => {
      try {
        other.openEvent(sealed, 'global', null, 1);
      } catch (e) {
        return e as EnvelopeError;
      }
    })();
    expect(err).toBeInstanceOf(EnvelopeError);
    expect(err!.reason).toBe('auth_failed');
    expect(String(err!.message)).not.toContain('hf_bus_cipher_1');
  });

  it('prints no key material', () => {
    expect(String(cipher)).toBe('SettingsBusCipher');
    expect(JSON.stringify({ cipher })).not.toContain(KEY);
  });
});

describe('TokenAtRestCipher', () => {
  it('opens only with its key and its scope, never a bus envelope', () => {
    const atRest = TokenAtRestCipher.fromBase64(KEY);
    const sealed = atRest.seal(token, 'global', null);
    expect(atRest.open(sealed, 'global', null).reveal()).toBe('hf_bus_cipher_1');
    expect(() => atRest.open(sealed, 'org', 'acme')).toThrow(EnvelopeError);
    // Same key bytes, different context: a bus envelope is not a stored token.
    expect(() => atRest.open(SettingsBusCipher.fromBase64(KEY).sealEvent(token, 'global', null, 1), 'global', null)).toThrow(EnvelopeError);
  });
});
