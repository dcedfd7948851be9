import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parseAuditQuery } from './audit-query';

const fields = (r: ReturnType<typeof parseAuditQuery>) => (r.ok ? [] : r.errors.map((e) => e.field));

describe('parseAuditQuery (GET /api/v1/audit)', () => {
  it('defaults to the newest 50 of everything', () => {
    expect(parseAuditQuery({})).toEqual({ ok: true, value: { limit: 50, before: null, target: null, action: null } });
  });

  it('takes limit 1..200, a cursor it issued, a target and a known action', () => {
    const before = encodeCursor({ atMs: 1_764_230_000_123, seq: '42' });
    expect(parseAuditQuery({ limit: '200', before, target: 'model:Qwen/Qwen2.5', action: 'token.set' })).toEqual({
      ok: true,
      value: { limit: 200, before: { atMs: 1_764_230_000_123, seq: '42' }, target: 'model:Qwen/Qwen2.5', action: 'token.set' },
    });
  });

  it.each([
    ['limit', { limit: '0' }],
    ['limit', { limit: '201' }],
    ['limit', { limit: '1.5' }],
    ['limit', { limit: '-1' }],
    ['limit', { limit: ['1', '2'] }],
    ['before', { before: 'not-a-cursor' }],
    ['before', { before: Buffer.from('v1:abc:1').toString('base64url') }],
    ['target', { target: '' }],
    ['target', { target: 'a\nb' }],
    ['action', { action: 'token.stolen' }],
    ['(query)', { sort: 'asc' }],
  ])('refuses a wrong %s', (field, query) => expect(fields(parseAuditQuery(query))).toEqual([field]));

  it('never repeats what was sent', () => {
    const sent = 'hf_secretValueXYZ0123';
    const result = parseAuditQuery({ limit: sent, before: sent, action: sent, target: `${sent}\n`, [sent]: '1' });
    expect(fields(result).sort()).toEqual(['(query)', 'action', 'before', 'limit', 'target']);
    expect(JSON.stringify(result)).not.toContain(sent);
  });

  it('round-trips a cursor and rejects tampered ones', () => {
    expect(decodeCursor(encodeCursor({ atMs: 5, seq: '9007199254740993' }))).toEqual({ atMs: 5, seq: '9007199254740993' });
    expect(decodeCursor('')).toBeNull();
    expect(decodeCursor('a'.repeat(65))).toBeNull();
  });
});
