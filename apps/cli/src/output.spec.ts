import { describe, expect, it } from 'vitest';
import { Output } from './output';

function capture(): { out: Output; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { out: new Output({ write: (t: string) => stdout.push(t) }, { write: (t: string) => stderr.push(t) }), stdout, stderr };
}

describe('Output', () => {
  it('replaces every registered secret on both streams', () => {
    const { out, stdout, stderr } = capture();
    out.addSecret('hf_secretValue42');
    out.addSecret('hl-apikey-123');
    out.print('a hf_secretValue42 b hf_secretValue42');
    out.json({ token: 'hf_secretValue42', key: 'hl-apikey-123' });
    out.error('server said hf_secretValue42\nagain');
    out.warn('key hl-apikey-123');
    out.raw('stderr', 'usage hf_secretValue42\n');
    const all = [...stdout, ...stderr].join('');
    expect(all).not.toContain('hf_secretValue42');
    expect(all).not.toContain('hl-apikey-123');
    expect(stdout[0]).toBe('a [REDACTED] b [REDACTED]\n');
    expect(stderr[0]).toBe('error: server said [REDACTED] again\n');
  });

  it('errors are exactly one line; short or empty values are not treated as secrets', () => {
    const { out, stderr } = capture();
    out.addSecret('');
    out.addSecret('ab');
    out.addSecret(undefined);
    out.error('line one\r\n  line two\n');
    expect(stderr).toEqual(['error: line one line two\n']);
  });
});
