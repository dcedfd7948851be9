// Buffer.from(…, 'base64') silently skips garbage and accepts both alphabets, so a typo in a key
// would yield a different (shorter or wrong) key instead of an error. These decoders are strict:
// one alphabet, canonical padding, and the text must round-trip exactly.

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Standard base64 with padding; null unless the text is canonical base64. */
export function decodeBase64Strict(text: unknown): Buffer | null {
  if (typeof text !== 'string' || !BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Rejects non-zero padding bits, which would otherwise let two texts decode to one key.
  return bytes.toString('base64') === text ? bytes : null;
}

/** base64url without padding (RFC 4648 docs/reference/events.md); null unless the text is canonical. */
export function decodeBase64UrlStrict(text: unknown): Buffer | null {
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

/** True when `text` is standard base64 of exactly 32 bytes (an AES-256 key). */
export function isBase64Key32(text: unknown): boolean {
  return decodeBase64Strict(text)?.length === 32;
}
