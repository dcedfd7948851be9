import { describe, expect, it } from 'vitest';
import { apiKeyMatches, generateApiKey, hashApiKey } from './api-key';
import { Secret } from './secret';

describe('API keys', () => {
  it('generates hl- + base64url of 32 random bytes', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^hl-[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
  });

  it('never generates the same key twice', () => {
    const keys = new Set(Array.from({ length: 200 }, generateApiKey));
    expect(keys.size).toBe(200);
  });

  it('hashes with SHA-256 hex, the same for a string and a Secret', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey(Secret.of('abc'))).toBe(hashApiKey('abc'));
  });

  it('matches a key against its own hash only', () => {
    const key = generateApiKey();
    const hash = hashApiKey(key);
    expect(hash).not.toContain(key.slice(3));
    expect(apiKeyMatches(key, hash)).toBe(true);
    expect(apiKeyMatches(Secret.of(key), hash)).toBe(true);
    expect(apiKeyMatches(generateApiKey(), hash)).toBe(false);
    expect(apiKeyMatches(key + ' ', hash)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['truncated', hashApiKey('k').slice(0, 63)],
    ['upper case', hashApiKey('k').toUpperCase()],
    ['not hex', 'z'.repeat(64)],
    ['not a string', undefined],
  ])('does not match (or throw on) a malformed hash: %s', (_name, hash) => {
    expect(apiKeyMatches('k', hash as string)).toBe(false);
  });
});
