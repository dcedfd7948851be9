import { createCipheriv, createDecipheriv, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import type { EncryptedEnvelope } from '@helix/contracts';
import { decodeBase64Strict, decodeBase64UrlStrict } from './base64';
import { Secret } from './secret';

const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM-recommended nonce size; random per message
const TAG_BYTES = 16;
const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A key could not be loaded. The message names what is wrong, never the key material. */
export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
}

export type EnvelopeErrorReason = 'malformed' | 'unknown_kid' | 'auth_failed';

/** An envelope could not be opened. The message never contains plaintext or key material. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
  constructor(
    readonly reason: EnvelopeErrorReason,
    message: string,
  ) {
    super(message);
  }
}

// Key material lives outside the instance, so nothing reachable from an EnvelopeKey (no field, no
// accessor) can hand out the key; only seal/open in this module can. A KeyObject rather than a
// Buffer: Node never prints its bytes.
const material = new WeakMap<EnvelopeKey, KeyObject>();

/** An AES-256 key with a key id, so envelopes can name the key that sealed them (key rotation). */
export class EnvelopeKey {
  readonly kid: string;

  private constructor(key: KeyObject, kid: string) {
    this.kid = kid;
    material.set(this, key);
    Object.freeze(this);
  }

  static fromBase64(b64: string, kid = 'k1'): EnvelopeKey {
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
      throw new InvalidKeyError('key id must be 1 to 64 characters of A-Z a-z 0-9 . _ -');
    }
    const bytes = decodeBase64Strict(b64);
    if (bytes === null) throw new InvalidKeyError(`key ${kid} must be 32 bytes encoded as base64 (it is not valid base64)`);
    if (bytes.length !== KEY_BYTES) {
      bytes.fill(0);
      throw new InvalidKeyError(`key ${kid} must be 32 bytes encoded as base64 (it decodes to ${bytes.length} bytes)`);
    }
    const key = createSecretKey(bytes);
    bytes.fill(0);
    return new EnvelopeKey(key, kid);
  }

  toString(): string {
    return `EnvelopeKey(${this.kid})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** A fresh random 32-byte key in standard base64, suitable for HELIX_*_KEY variables. */
export function generateKeyBase64(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** AES-256-GCM. `aad` binds the envelope to its context (e.g. scope and version) without encrypting it. */
export function seal(key: EnvelopeKey, plaintext: Secret, aad?: string): EncryptedEnvelope {
  if (!(key instanceof EnvelopeKey)) throw new TypeError('seal expects an EnvelopeKey');
  if (!(plaintext instanceof Secret)) throw new TypeError('seal expects the plaintext as a Secret');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(key), iv, { authTagLength: TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext.reveal(), 'utf8'), cipher.final()]);
  return {
    kid: key.kid,
    alg: 'A256GCM',
    iv: iv.toString('base64url'),
    ct: ct.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  };
}

/**
 * Opens an envelope sealed by `seal` with whichever of `keys` has the envelope's kid. The envelope
 * is `unknown` because it arrives from the network: its shape is checked here.
 */
export function open(keys: EnvelopeKey | readonly EnvelopeKey[], envelope: unknown, aad?: string): Secret {
  const parsed = parseEnvelope(envelope);
  const candidates: readonly EnvelopeKey[] = Array.isArray(keys) ? keys : [keys as EnvelopeKey];
  const key = candidates.find((k) => k.kid === parsed.kid);
  if (!key) throw new EnvelopeError('unknown_kid', `no key with id ${parsed.kid} is configured`);
  const keyObject = keyOf(key);
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyObject, parsed.iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(parsed.tag);
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
    const plain = Buffer.concat([decipher.update(parsed.ct), decipher.final()]);
    const secret = Secret.of(plain.toString('utf8'));
    plain.fill(0);
    return secret;
  } catch {
    // Node's own message is generic, but we never pass through anything from the crypto layer.
    throw new EnvelopeError('auth_failed', `envelope sealed with key ${parsed.kid} failed authentication (wrong key, wrong context or tampered)`);
  }
}

interface ParsedEnvelope {
  kid: string;
  iv: Buffer;
  ct: Buffer;
  tag: Buffer;
}

function parseEnvelope(value: unknown): ParsedEnvelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('it is not an object');
  const e = value as Record<string, unknown>;
  if (typeof e.kid !== 'string' || !KID_PATTERN.test(e.kid)) throw malformed('kid is missing or invalid');
  if (e.alg !== 'A256GCM') throw malformed('alg must be A256GCM');
  const iv = decodeBase64UrlStrict(e.iv);
  if (iv?.length !== IV_BYTES) throw malformed(`iv must be ${IV_BYTES} bytes in base64url`);
  const tag = decodeBase64UrlStrict(e.tag);
  if (tag?.length !== TAG_BYTES) throw malformed(`tag must be ${TAG_BYTES} bytes in base64url`);
  const ct = decodeBase64UrlStrict(e.ct);
  if (ct === null) throw malformed('ct must be base64url');
  return { kid: e.kid, iv, ct, tag };
}

function keyOf(key: EnvelopeKey): KeyObject {
  const k = material.get(key);
  if (!k) throw new TypeError('not an EnvelopeKey');
  return k;
}

function malformed(why: string): EnvelopeError {
  return new EnvelopeError('malformed', `malformed envelope: ${why}`);
}
