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

  it('digest: the same for the same subject, signature and bytes under the same key, different when any of them differs', () => {
    const sig = signer.sign(SUBJECT, payload);
    const digest = verifier.digest(SUBJECT, payload, sig);
    expect(digest).toHaveLength(32);
    expect(verifier.digest(SUBJECT, Uint8Array.from(payload), sig).equals(digest)).toBe(true);
    const changed = Uint8Array.from(payload);
    changed[0] ^= 1;
    const others = [
      verifier.digest('settings.updated.org.YWNtZQ', payload, sig),
      verifier.digest(SUBJECT, changed, sig),
      verifier.digest(SUBJECT, payload, undefined),
      verifier.digest(SUBJECT, payload, EventSigner.fromBase64(generateEventKeyPair().signingKey).sign(SUBJECT, payload)),
      EventVerifier.fromBase64(generateEventKeyPair().verifyKey).digest(SUBJECT, payload, sig), // another key: verified again
      // The same bytes split differently between signature and message.
      verifier.digest(SUBJECT, payload.subarray(1), sig + String.fromCharCode(payload[0])),
    ].map((d) => d.toString('hex'));
    expect(new Set([...others, digest.toString('hex')]).size).toBe(others.length + 1);
  });

  it('refuses keys that are not 32 bytes of base64, without echoing them', () => {
    expect(() => EventSigner.fromBase64('c2hvcnQ=')).toThrow(InvalidKeyError);
    expect(() => EventVerifier.fromBase64('nope')).toThrow(/HELIX_EVENT_VERIFY_KEY must be 32 bytes/);
    expect(String(signer)).toBe('EventSigner');
  });
});
