import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Secret } from './secret';

export const API_KEY_PREFIX = 'hl-';
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** `hl-` + 32 random bytes in base64url: shown to the user once, stored only as a hash. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * SHA-256 hex. A fast unsalted hash is right here, unlike for passwords: generated keys carry 256
 * bits of entropy, so brute force and rainbow tables are hopeless, and a deterministic hash lets the
 * gateway look a key up by its hash on every request without a slow KDF.
 */
export function hashApiKey(key: string | Secret): string {
  const value = key instanceof Secret ? key.reveal() : key;
  if (typeof value !== 'string') throw new TypeError('hashApiKey expects a string');
  // The one-shot hash: a third of createHash's cost, and the gateway hashes the key of every request.
  return hash('sha256', value, 'hex');
}

/** Constant-time comparison of a presented key with a stored hash; false for a malformed hash. */
export function apiKeyMatches(key: string | Secret, hash: string): boolean {
  const value = key instanceof Secret ? key.reveal() : key;
  if (typeof value !== 'string' || typeof hash !== 'string' || !SHA256_HEX.test(hash)) return false;
  return timingSafeEqual(Buffer.from(hashApiKey(value), 'hex'), Buffer.from(hash, 'hex'));
}
