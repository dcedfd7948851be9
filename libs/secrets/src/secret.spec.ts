import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { fingerprint, Secret } from './secret';

const VALUE = 'hf_TopSecretValue_0123456789';

describe('Secret', () => {
  it('reveals the wrapped value', () => {
    expect(Secret.of(VALUE).reveal()).toBe(VALUE);
  });

  it('redacts every string conversion', () => {
    const s = Secret.of(VALUE);
    expect(String(s)).toBe('[REDACTED]');
    expect(`${s}`).toBe('[REDACTED]');
    expect(s + '').toBe('[REDACTED]');
    expect(s.toString()).toBe('[REDACTED]');
    expect(JSON.stringify({ token: s })).toBe('{"token":"[REDACTED]"}');
    expect(inspect(s)).toBe('[REDACTED]');
  });

  it('never appears through inspect, format or JSON, however deeply nested', () => {
    const s = Secret.of(VALUE);
    const outputs = [
      inspect({ a: { b: { c: [s] } } }, { depth: Infinity, showHidden: true }),
      format('%s %o %O %j %d', s, s, s, { s }, s),
      JSON.stringify([s, { s }, new Map([[1, s]])]),
      JSON.stringify(structuredClone(s)),
      JSON.stringify(Object.getOwnPropertyNames(s).map((k) => (s as unknown as Record<string, unknown>)[k])),
    ];
    for (const out of outputs) expect(out).not.toContain(VALUE);
  });

  it('never appears in pino output, as a field, a nested field or the message', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino({ level: 'trace' }, sink);
    const s = Secret.of(VALUE);
    log.info({ token: s, nested: { deeper: [s] } }, 'with fields');
    log.debug('as message %s', s);
    log.error({ err: Object.assign(new Error('boom'), { token: s }) }, 'as error property');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain(VALUE);
      expect(line).toContain('[REDACTED]');
    }
  });

  it('cannot be patched to leak the value', () => {
    const s = Secret.of(VALUE);
    expect(() => {
      (s as unknown as { toJSON: () => string }).toJSON = () => 'leak';
    }).toThrow(TypeError);
    expect(JSON.stringify(s)).toBe('"[REDACTED]"');
  });

  it('rejects non-strings without echoing them', () => {
    expect(() => Secret.of(12345 as unknown as string)).toThrow(/expects a string, got number/);
  });

  it('has the fingerprint of its value', () => {
    // SHA-256("abc") = ba7816bf8f01cfea…
    expect(fingerprint('abc')).toBe('sha256:ba7816bf8f01');
    expect(Secret.of('abc').fingerprint).toBe('sha256:ba7816bf8f01');
    expect(Secret.of('abd').fingerprint).not.toBe('sha256:ba7816bf8f01');
  });

  it('fingerprint is 12 lowercase hex digits for any input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (v) => /^sha256:[0-9a-f]{12}$/.test(fingerprint(v))));
  });

  it('equals compares values, accepting a Secret or a string', () => {
    const s = Secret.of(VALUE);
    expect(s.equals(Secret.of(VALUE))).toBe(true);
    expect(s.equals(VALUE)).toBe(true);
    expect(s.equals(VALUE + 'x')).toBe(false);
    expect(s.equals(VALUE.slice(0, -1))).toBe(false);
    expect(s.equals(Secret.of(''))).toBe(false);
    expect(s.equals(undefined as unknown as string)).toBe(false);
  });

  it('equals agrees with string equality', () => {
    const value = fc.string({ maxLength: 6, unit: fc.constantFrom('a', 'b', 'é') });
    fc.assert(fc.property(value, value, (a, b) => Secret.of(a).equals(Secret.of(b)) === (a === b)));
  });
});
