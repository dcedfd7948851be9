import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64Strict } from './base64';
import { InvalidKeyError } from './envelope';

/** DER prefixes that turn a raw 32-byte Ed25519 seed / public key into PKCS#8 / SPKI (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** What `EventVerifier.digest` hashes first. */
const DIGEST_LABEL = 'helix verified settings.updated v1\n';

/** What is signed: a domain label, the subject, then the message bytes exactly as published. */
function signedBytes(subject: string, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`helix settings.updated v1\n${subject}\n`, 'utf8'), payload]);
}

function rawKey(base64: string, what: string): Buffer {
  const raw = decodeBase64Strict(base64);
  if (!raw || raw.length !== 32) throw new InvalidKeyError(`${what} must be 32 bytes encoded as base64`);
  return raw;
}

/**
 * Signs `settings.updated` events with HELIX_EVENT_SIGNING_KEY (docs/reference/security.md): Ed25519 over the subject
 * and the whole message, so a set and a clear alike prove they come from the settings-service.
 * Only the settings-service holds it.
 */
export class EventSigner {
  private constructor(private readonly key: KeyObject) {}

  /** `seed`: base64 of the 32-byte Ed25519 private seed. */
  static fromBase64(seed: string): EventSigner {
    return new EventSigner(
      createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, rawKey(seed, 'HELIX_EVENT_SIGNING_KEY')]), format: 'der', type: 'pkcs8' }),
    );
  }

  /** Base64 of the 64-byte signature. */
  sign(subject: string, payload: Uint8Array): string {
    return sign(null, signedBytes(subject, payload), this.key).toString('base64');
  }

  /** The verifier of this key (base64 of the public key, as HELIX_EVENT_VERIFY_KEY). */
  verifyKeyBase64(): string {
    return createPublicKey(this.key).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length).toString('base64');
  }

  toString(): string {
    return 'EventSigner';
  }
}

/** Verifies `settings.updated` signatures with HELIX_EVENT_VERIFY_KEY: runners can check, not forge. */
export class EventVerifier {
  private constructor(
    private readonly key: KeyObject,
    private readonly raw: Buffer,
  ) {}

  /** `publicKey`: base64 of the 32-byte Ed25519 public key. */
  static fromBase64(publicKey: string): EventVerifier {
    const raw = rawKey(publicKey, 'HELIX_EVENT_VERIFY_KEY');
    return new EventVerifier(createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' }), raw);
  }

  /**
   * SHA-256 over this verify key, the subject, the signature and the message: equal digests mean the
   * same bytes under the same key, so a message found valid once (its digest kept) need not be
   * verified again. A hash costs microseconds; an Ed25519 verification costs about 0.15 ms.
   */
  digest(subject: string, payload: Uint8Array, signature: string | undefined): Buffer {
    return createHash('sha256')
      .update(DIGEST_LABEL)
      .update(this.raw)
      .update(`${subject.length}:${subject}${signature?.length ?? 0}:${signature ?? ''}`) // lengths first: no other split of the same bytes
      .update(payload)
      .digest();
  }

  /** False for a missing, malformed or wrong signature. */
  verify(subject: string, payload: Uint8Array, signature: string | undefined): boolean {
    if (!signature) return false;
    const bytes = decodeBase64Strict(signature);
    if (!bytes || bytes.length !== 64) return false;
    return verify(null, signedBytes(subject, payload), this.key, bytes);
  }
}

/** A fresh pair, both base64: `signingKey` (the seed) for the settings-service, `verifyKey` for runners. */
export function generateEventKeyPair(): { signingKey: string; verifyKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
  return { signingKey: seed.toString('base64'), verifyKey: pub.toString('base64') };
}
