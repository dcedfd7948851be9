import { describe, expect, it } from 'vitest';
import { EventSigner, EventVerifier, generateEventKeyPair } from './event-signature';
import { InvalidKeyError } from './envelope';

const payload = new TextEncoder().encode('{"type":"settings.updated","version":3}');
const SUBJECT = 'settings.updated.global';

describe('event signatures (Ed25519, docs/reference/security.md)', () => {
  const pair = generateEventKeyPair();
  const signer = EventSigner.fromBase64(pair.signingKey);
  const verifier = EventVerifier.fromBase64(pair.verifyKey);

  it('a signature verifies with the public key derived from the seed', () => {
    expect(signer.verifyKeyBase64()).toBe(pair.verifyKey);
    expect(verifier.verify(SUBJECT, payload, signer.sign(SUBJECT, payload))).toBe(true);
  });

  it('covers the subject and every byte of the message; a missing, mangled or foreign signature fails', () => {
    const sig = signer.sign(SUBJECT, payload);
    expect(verifier.verify('settings.updated.org.YWNtZQ', payload, sig)).toBe(false);
    const changed = Uint8Array.from(payload);
    changed[changed.length - 2] ^= 1;
    expect(verifier.verify(SUBJECT, changed, sig)).toBe(false);
    expect(verifier.verify(SUBJECT, payload, undefined)).toBe(false);
    expect(verifier.verify(SUBJECT, payload, 'not base64!')).toBe(false);
    expect(verifier.verify(SUBJECT, payload, Buffer.alloc(64).toString('base64'))).toBe(false);
    const other = EventSigner.fromBase64(generateEventKeyPair().signingKey);
    expect(verifier.verify(SUBJECT, payload, other.sign(SUBJECT, payload))).toBe(false);
  });

  it('refuses keys that are not 32 bytes of base64, without echoing them', () => {
    expect(() => EventSigner.fromBase64('c2hvcnQ=')).toThrow(InvalidKeyError);
    expect(() => EventVerifier.fromBase64('nope')).toThrow(/HELIX_EVENT_VERIFY_KEY must be 32 bytes/);
    expect(String(signer)).toBe('EventSigner');
  });
});
