import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact } from './redact';
import { Secret } from './secret';

describe('redact', () => {
  it('replaces every occurrence of every secret, Secret or string', () => {
    const out = redact('a=tok1 b=tok2 again tok1', [Secret.of('tok1'), 'tok2']);
    expect(out).toBe('a=[REDACTED] b=[REDACTED] again [REDACTED]');
  });

  it('leaves text alone when there is nothing to redact', () => {
    expect(redact('nothing here', [])).toBe('nothing here');
    expect(redact('nothing here', ['absent'])).toBe('nothing here');
    expect(redact('', ['x'])).toBe('');
  });

  it('ignores empty secrets instead of redacting between every character', () => {
    expect(redact('abc', ['', Secret.of('')])).toBe('abc');
  });

  it('removes a longer token that contains a shorter one, whatever the order given', () => {
    expect(redact('x hf_abcdef y', ['hf_abc', 'hf_abcdef'])).toBe('x [REDACTED] y');
    expect(redact('x hf_abcdef y', ['hf_abcdef', 'hf_abc'])).toBe('x [REDACTED] y');
  });

  it('removes partially overlapping tokens completely', () => {
    expect(redact('<abcdef>', ['abcd', 'cdef'])).toBe('<[REDACTED]>');
    expect(redact('<aaa>', ['aa'])).toBe('<[REDACTED]>');
  });

  it('keeps adjacent tokens as separate replacements', () => {
    expect(redact('tok1tok2', ['tok1', 'tok2'])).toBe('[REDACTED][REDACTED]');
  });

  it('treats secrets literally, not as patterns', () => {
    expect(redact('a.b*c( and aXbbc', ['a.b*c('])).toBe('[REDACTED] and aXbbc');
    expect(redact('$& $1', ['$&'], '<$1>')).toBe('<$1> $1');
  });

  it('does not redact inside its own replacement', () => {
    expect(redact('RED', ['RED'])).toBe('[REDACTED]');
    expect(redact('x secret y', ['secret'], '***')).toBe('x *** y');
  });

  // Secrets and text from a lower-case alphabet, disjoint from "[REDACTED]", so any secret left in
  // the output can only be a missed occurrence.
  const lower = fc.constantFrom(...'abcd1 ');
  it('leaves no secret in the output', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: lower, maxLength: 60 }),
        fc.array(fc.string({ unit: lower, minLength: 1, maxLength: 4 }), { maxLength: 4 }),
        (text, secrets) => {
          const out = redact(text, secrets);
          for (const s of secrets) expect(out).not.toContain(s);
        },
      ),
    );
  });

  it('changes nothing when no secret occurs in the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 4 }), (text, secrets) => {
        fc.pre(secrets.every((s) => !text.includes(s)));
        expect(redact(text, secrets)).toBe(text);
      }),
    );
  });

  it('keeps the text between secrets intact', () => {
    const plain = fc.string({ unit: fc.constantFrom(...'xyz .'), maxLength: 8 });
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 5 }), fc.constantFrom('tok', 'hf_abc'), (parts, secret) => {
        expect(redact(parts.join(secret), [secret], '#')).toBe(parts.join('#'));
      }),
    );
  });
});
