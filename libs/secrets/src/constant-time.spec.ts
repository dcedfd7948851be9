import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { apiKeyMatches, hashApiKey, Secret } from './index';

// Wraps the real timingSafeEqual so the tests can see that comparisons go through it (vi.mock is
// hoisted above the imports, so ./index already sees the wrapper).
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

describe('constant-time comparisons', () => {
  it('apiKeyMatches uses crypto.timingSafeEqual', () => {
    vi.mocked(crypto.timingSafeEqual).mockClear();
    expect(apiKeyMatches('hl-x', hashApiKey('hl-x'))).toBe(true);
    expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(1);
  });

  it('Secret.equals uses crypto.timingSafeEqual, even for different lengths', () => {
    vi.mocked(crypto.timingSafeEqual).mockClear();
    expect(Secret.of('short').equals('a much longer value')).toBe(false);
    expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(1);
  });
});
