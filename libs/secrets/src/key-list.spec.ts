import { describe, expect, it } from 'vitest';
import { generateKeyBase64 } from './envelope';
import { isKeyList, keyIds, parseKeyList } from './key-list';
import { RequestAuthenticator } from './request-auth';
import { Secret } from './secret';
import { SettingsBusCipher } from './settings-bus-cipher';
import { TokenAtRestCipher } from './token-at-rest-cipher';

const A = generateKeyBase64();
const B = generateKeyBase64();

describe('key lists (HELIX_ENCRYPTION_KEY / HELIX_SETTINGS_KEY rotation)', () => {
  it('a bare key is k1; a list names each key, the first one seals', () => {
    expect(keyIds(A)).toEqual(['k1']);
    expect(keyIds(`k2:${B},k1:${A}`)).toEqual(['k2', 'k1']);
    expect(keyIds(` k2:${B} , k1:${A} `)).toEqual(['k2', 'k1']);
  });

  it('refuses malformed lists with a message that names no key material', () => {
    for (const bad of [`${A},${B}`, `k1:${A},k1:${B}`, `bad id:${A}`, `k1:${A.slice(4)}`, 'k1:', '', `k1:${A},`]) {
      expect(isKeyList(bad), bad).toBe(false);
      let message = '';
      try {
        parseKeyList(bad);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toContain(A);
      expect(message).not.toContain(B);
    }
  });

  it('what the old key sealed opens under the new list; what the new list seals opens only with the new key', () => {
    const token = Secret.of('hf_keyListRotation0001');
    const oldBus = SettingsBusCipher.fromBase64(A);
    const both = SettingsBusCipher.fromBase64(`k2:${B},k1:${A}`);
    const newOnly = SettingsBusCipher.fromBase64(`k2:${B}`);
    const sealedOld = oldBus.sealEvent(token, 'global', null, 1);
    expect(both.openEvent(sealedOld, 'global', null, 1).reveal()).toBe(token.reveal());
    const sealedNew = both.sealEvent(token, 'global', null, 2);
    expect(sealedNew.kid).toBe('k2');
    expect(newOnly.openEvent(sealedNew, 'global', null, 2).reveal()).toBe(token.reveal());
    expect(() => oldBus.openEvent(sealedNew, 'global', null, 2)).toThrow(/no key with id k2/);
    expect(() => newOnly.openEvent(sealedOld, 'global', null, 1)).toThrow(/no key with id k1/);

    const atRest = TokenAtRestCipher.fromBase64(`k2:${B},k1:${A}`);
    expect(atRest.sealingKid).toBe('k2');
    expect(atRest.open(TokenAtRestCipher.fromBase64(A).seal(token, 'org', 'acme'), 'org', 'acme').reveal()).toBe(token.reveal());
  });

  it('request proofs made with the old key verify under the new list, and the new list signs with the new key', () => {
    const body = { scope: 'global', updated_by: 'u1' };
    const oldAuth = RequestAuthenticator.fromBase64(A).authenticate('update', body);
    const rotating = RequestAuthenticator.fromBase64(`k2:${B},k1:${A}`);
    expect(rotating.verify('update', body, oldAuth)).toBe('ok');
    const newAuth = rotating.authenticate('update', body);
    expect(RequestAuthenticator.fromBase64(`k2:${B}`).verify('update', body, newAuth)).toBe('ok');
    expect(RequestAuthenticator.fromBase64(A).verify('update', body, newAuth)).toBe('bad_mac');
  });
});
