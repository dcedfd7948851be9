import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Strict } from './base64';
import { parseKeyList } from './key-list';

/** Proof that a change request comes from a holder of the key, once, and not after it expired (docs/reference/security.md). */
export interface RequestAuth {
  nonce: string;
  /** ISO time after which the request must not be applied. */
  expires_at: string;
  /** base64 HMAC-SHA256 over the purpose, nonce, expiry and the request body. */
  mac: string;
}

export type RequestAuthVerdict = 'ok' | 'missing' | 'bad_mac' | 'expired';

/** How far in the future an expiry may be: a longer-lived request would be a replay window. */
const MAX_TTL_MS = 5 * 60_000;
const NONCE = /^[A-Za-z0-9_-]{22,64}$/;

/**
 * Authenticates gateway → settings-service change requests with a key derived from
 * HELIX_SETTINGS_KEY (HKDF, its own label, so the MAC key is never the envelope key). The MAC covers
 * the whole request (scope, token envelope or clear, author), a random nonce and an expiry: a request
 * captured on the bus cannot be altered, and the settings-service refuses it when expired or seen.
 */
export class RequestAuthenticator {
  /** MAC keys derived from each listed HELIX_SETTINGS_KEY: the first signs, any verifies (key rotation). */
  private constructor(private readonly keys: readonly Buffer[]) {}

  /** `settingsKey` is HELIX_SETTINGS_KEY: one base64 key or a key list. */
  static fromBase64(settingsKey: string): RequestAuthenticator {
    const { raw } = parseKeyList(settingsKey);
    const keys = raw.map((r) => {
      const derived = Buffer.from(hkdfSync('sha256', r.bytes, Buffer.alloc(0), 'helix settings request mac v1', 32));
      r.bytes.fill(0);
      return derived;
    });
    return new RequestAuthenticator(keys);
  }

  authenticate(purpose: string, body: object, ttlMs = 30_000, now = Date.now()): RequestAuth {
    const nonce = randomBytes(18).toString('base64url');
    const expires_at = new Date(now + Math.min(ttlMs, MAX_TTL_MS)).toISOString();
    return { nonce, expires_at, mac: this.mac(this.keys[0], purpose, body, nonce, expires_at) };
  }

  verify(purpose: string, body: object, auth: unknown, now = Date.now()): RequestAuthVerdict {
    if (typeof auth !== 'object' || auth === null) return 'missing';
    const { nonce, expires_at, mac } = auth as Partial<RequestAuth>;
    if (typeof nonce !== 'string' || !NONCE.test(nonce) || typeof expires_at !== 'string' || typeof mac !== 'string') return 'missing';
    const given = decodeBase64Strict(mac);
    const matches = (key: Buffer) => {
      const expected = Buffer.from(this.mac(key, purpose, body, nonce, expires_at), 'base64');
      return !!given && given.length === expected.length && timingSafeEqual(given, expected);
    };
    if (!this.keys.some(matches)) return 'bad_mac';
    const expiry = Date.parse(expires_at);
    if (!Number.isFinite(expiry) || expiry < now || expiry > now + MAX_TTL_MS) return 'expired';
    return 'ok';
  }

  private mac(key: Buffer, purpose: string, body: object, nonce: string, expiresAt: string): string {
    return createHmac('sha256', key)
      .update(`${purpose}\n${nonce}\n${expiresAt}\n${JSON.stringify(body)}`)
      .digest('base64');
  }

  toString(): string {
    return 'RequestAuthenticator';
  }
}
