import { describe, expect, it } from 'vitest';
import { safeRequestId } from './request-id';

describe('safeRequestId', () => {
  it('keeps a short token of letters, digits and -._:', () => {
    for (const id of ['a', 'obs-put-1', '4f1c2a9e-1b2c-4d5e-8f90-0123456789ab', 'trace:01.ab_CD']) expect(safeRequestId(id)).toBe(id);
    expect(safeRequestId('x'.repeat(64))).toBe('x'.repeat(64));
  });

  it('refuses anything that could forge or break a log line, or is not a string', () => {
    for (const id of ['', 'x'.repeat(65), 'has space', 'quote"d', 'new\nline', '-leading', 'é', 'a/b', '{"a":1}']) expect(safeRequestId(id)).toBeUndefined();
    for (const value of [undefined, null, 42, ['a'], { id: 'a' }]) expect(safeRequestId(value)).toBeUndefined();
  });

  it('refuses what looks like a credential, so a token pasted there is never logged', () => {
    for (const id of ['hf_abcdefghijklmnopqrstuvwxyz0123', 'HF_abc', 'hl-abcdef0123456789']) expect(safeRequestId(id)).toBeUndefined();
  });
});
