import { decodeBase64Strict } from './base64';
import { EnvelopeKey, InvalidKeyError } from './envelope';

const KID = /^[A-Za-z0-9._-]{1,64}$/;
const DEFAULT_KID = 'k1';

/**
 * One key variable (HELIX_ENCRYPTION_KEY, HELIX_SETTINGS_KEY) with rotation: either one bare
 * base64 key (its id is `k1`, as every envelope sealed before rotation existed says), or a
 * comma-separated list `kid:base64,kid:base64,…`. The first key seals; every listed key opens the
 * envelopes that name it. Errors name the key id, never key material.
 */
export function parseKeyList(value: string): { keys: EnvelopeKey[]; raw: Array<{ kid: string; bytes: Buffer }> } {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 1 && !parts[0].includes(':')) return finish([{ kid: DEFAULT_KID, b64: parts[0] }]);
  const entries = parts.map((part, i) => {
    const colon = part.indexOf(':');
    if (colon < 0) throw new InvalidKeyError(`entry ${i + 1} of the key list must be <key id>:<base64 key> (a bare key is allowed only alone)`);
    const kid = part.slice(0, colon);
    if (!KID.test(kid)) throw new InvalidKeyError(`entry ${i + 1} of the key list has an invalid key id (1 to 64 of A-Z a-z 0-9 . _ -)`);
    return { kid, b64: part.slice(colon + 1) };
  });
  const seen = new Set<string>();
  for (const { kid } of entries) {
    if (seen.has(kid)) throw new InvalidKeyError(`key id ${kid} appears twice in the key list`);
    seen.add(kid);
  }
  return finish(entries);
}

function finish(entries: Array<{ kid: string; b64: string }>): { keys: EnvelopeKey[]; raw: Array<{ kid: string; bytes: Buffer }> } {
  const keys = entries.map(({ kid, b64 }) => EnvelopeKey.fromBase64(b64, kid));
  const raw = entries.map(({ kid, b64 }) => ({ kid, bytes: decodeBase64Strict(b64)! }));
  return { keys, raw };
}

/** True when `value` is a valid key list (for configuration validation). */
export function isKeyList(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const { raw } = parseKeyList(value);
    for (const r of raw) r.bytes.fill(0);
    return true;
  } catch {
    return false;
  }
}

/** The ids of a valid key list, sealing key first (for start-up logs and metrics; never material). */
export function keyIds(value: string): string[] {
  const { keys, raw } = parseKeyList(value);
  for (const r of raw) r.bytes.fill(0);
  return keys.map((k) => k.kid);
}
