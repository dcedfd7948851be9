import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvelopeError, EnvelopeKey, generateKeyBase64, InvalidKeyError, open, seal } from './envelope';
import { Secret } from './secret';

const PLAINTEXT = 'hf_EnvelopePlaintext_abcdefghijklmnop';
const B64 = generateKeyBase64();
const key = EnvelopeKey.fromBase64(B64);

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

function flipBit(field: string, bit: number): string {
  const bytes = Buffer.from(field, 'base64url');
  const i = bit % (bytes.length * 8);
  bytes[i >> 3] ^= 1 << (i & 7);
  return bytes.toString('base64url');
}

describe('EnvelopeKey.fromBase64', () => {
  it('accepts 32 bytes of base64 and keeps the kid', () => {
    expect(Buffer.from(B64, 'base64')).toHaveLength(32);
    expect(EnvelopeKey.fromBase64(B64).kid).toBe('k1');
    expect(EnvelopeKey.fromBase64(B64, 'k2024-11').kid).toBe('k2024-11');
  });

  it('kid is read-only', () => {
    const k = EnvelopeKey.fromBase64(B64);
    expect(() => {
      (k as { kid: string }).kid = 'other';
    }).toThrow(TypeError);
    expect(k.kid).toBe('k1');
  });

  const wrongLength = [Buffer.alloc(31, 7).toString('base64'), Buffer.alloc(33, 7).toString('base64'), ''];
  it.each(wrongLength)('rejects a key of the wrong length (%#)', (b64) => {
    const e = errorOf(() => EnvelopeKey.fromBase64(b64));
    expect(e).toBeInstanceOf(InvalidKeyError);
    expect(e.message).toMatch(/must be 32 bytes encoded as base64/);
  });

  // Node's lenient decoder turns each of these into *some* bytes; a strict loader must refuse them.
  const garbage = {
    'trailing newline': B64 + '\n',
    'leading space': ' ' + B64,
    // 0xfb bytes encode to "+/v7…", so this text really differs from its base64url form.
    'base64url alphabet': Buffer.alloc(32, 0xfb).toString('base64url') + '=',
    'missing padding': B64.replace(/=+$/, ''),
    'embedded junk': B64.slice(0, 20) + '!' + B64.slice(21),
    'hex instead of base64': Buffer.alloc(32, 0xab).toString('hex'),
  };
  it.each(Object.entries(garbage))('rejects garbage: %s', (_name, b64) => {
    const e = errorOf(() => EnvelopeKey.fromBase64(b64));
    expect(e).toBeInstanceOf(InvalidKeyError);
    expect(e.message).not.toContain(b64.trim());
  });

  it('rejects non-canonical padding bits that decode to the same bytes', () => {
    // 32 bytes = 43 sextets + 2 spare bits in the 43rd character; setting them changes the text only.
    const canonical = Buffer.alloc(32, 0).toString('base64'); // "AAAA…AA="
    const tweaked = canonical.slice(0, 42) + 'B=';
    expect(Buffer.from(tweaked, 'base64').equals(Buffer.from(canonical, 'base64'))).toBe(true);
    expect(() => EnvelopeKey.fromBase64(canonical)).not.toThrow();
    expect(() => EnvelopeKey.fromBase64(tweaked)).toThrow(InvalidKeyError);
  });

  it('rejects a non-string key and an invalid kid', () => {
    expect(() => EnvelopeKey.fromBase64(undefined as unknown as string)).toThrow(InvalidKeyError);
    expect(() => EnvelopeKey.fromBase64(B64, '')).toThrow(InvalidKeyError);
    expect(() => EnvelopeKey.fromBase64(B64, 'has space')).toThrow(InvalidKeyError);
  });

  it('never shows key material when printed', () => {
    const raw = Buffer.from(B64, 'base64');
    const outputs = [inspect(key, { showHidden: true, depth: Infinity }), JSON.stringify({ key }), String(key)];
    for (const out of outputs) {
      expect(out).toContain('k1');
      expect(out).not.toContain(B64);
      expect(out).not.toContain(raw.toString('hex'));
      expect(out).not.toContain(raw.toString('base64url'));
    }
  });

  it('generateKeyBase64 gives distinct loadable keys', () => {
    const a = generateKeyBase64();
    const b = generateKeyBase64();
    expect(a).not.toBe(b);
    expect(() => EnvelopeKey.fromBase64(a)).not.toThrow();
  });
});

describe('seal / open', () => {
  it('produces an A256GCM envelope with base64url fields and the key id', () => {
    const env = seal(EnvelopeKey.fromBase64(B64, 'k7'), Secret.of(PLAINTEXT));
    expect(env.alg).toBe('A256GCM');
    expect(env.kid).toBe('k7');
    expect(Object.keys(env).sort()).toEqual(['alg', 'ct', 'iv', 'kid', 'tag']);
    expect(Buffer.from(env.iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(env.tag, 'base64url')).toHaveLength(16);
    for (const f of [env.iv, env.ct, env.tag]) expect(f).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(env)).not.toContain(PLAINTEXT);
  });

  it('uses a fresh IV for every seal', () => {
    const a = seal(key, Secret.of(PLAINTEXT));
    const b = seal(key, Secret.of(PLAINTEXT));
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
  });

  it('round-trips any string, with and without aad', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.option(fc.string({ maxLength: 40 }), { nil: undefined }), (plain, aad) => {
        const opened = open(key, seal(key, Secret.of(plain), aad), aad);
        expect(opened).toBeInstanceOf(Secret);
        expect(opened.reveal()).toBe(plain);
      }),
    );
  });

  it('survives a JSON round trip (as it travels over NATS)', () => {
    const wire = JSON.parse(JSON.stringify(seal(key, Secret.of(PLAINTEXT), 'global:3'))) as unknown;
    expect(open(key, wire, 'global:3').reveal()).toBe(PLAINTEXT);
  });

  it('picks the key by kid from a list (rotation)', () => {
    const old = EnvelopeKey.fromBase64(generateKeyBase64(), 'old');
    const cur = EnvelopeKey.fromBase64(generateKeyBase64(), 'cur');
    expect(open([old, cur], seal(old, Secret.of('a'))).reveal()).toBe('a');
    expect(open([old, cur], seal(cur, Secret.of('b'))).reveal()).toBe('b');
  });

  it('fails with unknown_kid when no key has the envelope kid', () => {
    const other = EnvelopeKey.fromBase64(B64, 'k2');
    const e = errorOf(() => open([key], seal(other, Secret.of(PLAINTEXT))));
    expect(e).toBeInstanceOf(EnvelopeError);
    expect((e as EnvelopeError).reason).toBe('unknown_kid');
  });

  it('fails with auth_failed for another key under the same kid', () => {
    const impostor = EnvelopeKey.fromBase64(generateKeyBase64(), 'k1');
    const e = errorOf(() => open(impostor, seal(key, Secret.of(PLAINTEXT))));
    expect((e as EnvelopeError).reason).toBe('auth_failed');
  });

  it.each([
    ['wrong aad', 'global:3', 'global:4'],
    ['aad missing on open', 'global:3', undefined],
    ['aad added on open', undefined, 'global:3'],
  ])('fails with auth_failed on %s', (_name, sealAad, openAad) => {
    const e = errorOf(() => open(key, seal(key, Secret.of(PLAINTEXT), sealAad), openAad));
    expect((e as EnvelopeError).reason).toBe('auth_failed');
  });

  it('detects any single flipped bit in iv, ct or tag', () => {
    const env = seal(key, Secret.of(PLAINTEXT));
    fc.assert(
      fc.property(fc.constantFrom('iv', 'ct', 'tag' as const), fc.nat(), (field, bit) => {
        const tampered = { ...env, [field]: flipBit(env[field], bit) };
        const e = errorOf(() => open(key, tampered));
        expect(e).toBeInstanceOf(EnvelopeError);
        expect((e as EnvelopeError).reason).toBe('auth_failed');
      }),
    );
  });

  const good = seal(key, Secret.of(PLAINTEXT));
  const malformed: Array<[string, unknown]> = [
    ['null', null],
    ['a string', JSON.stringify(good)],
    ['an array', [good]],
    ['no kid', { ...good, kid: undefined }],
    ['alg A128GCM', { ...good, alg: 'A128GCM' }],
    ['short iv', { ...good, iv: good.iv.slice(0, 8) }],
    ['padded tag', { ...good, tag: good.tag + '==' }],
    ['standard-alphabet ct', { ...good, ct: good.ct + '+/' }],
    ['numeric ct', { ...good, ct: 12 }],
  ];
  it.each(malformed)('rejects a malformed envelope: %s', (_name, value) => {
    const e = errorOf(() => open(key, value));
    expect(e).toBeInstanceOf(EnvelopeError);
    expect((e as EnvelopeError).reason).toBe('malformed');
  });

  it('error messages never contain plaintext or key material', () => {
    const env = seal(key, Secret.of(PLAINTEXT), 'ctx');
    const errors = [
      errorOf(() => open(key, env, 'other')),
      errorOf(() => open(key, { ...env, ct: flipBit(env.ct, 3) }, 'ctx')),
      errorOf(() => open(EnvelopeKey.fromBase64(generateKeyBase64()), env, 'ctx')),
      errorOf(() => open(key, { ...env, kid: 'zz' }, 'ctx')),
      errorOf(() => open(key, { ...env, iv: 'x' }, 'ctx')),
    ];
    for (const e of errors) {
      const text = `${e.message} ${e.stack} ${inspect(e)}`;
      expect(text).not.toContain(PLAINTEXT);
      expect(text).not.toContain(B64);
    }
  });

  it('refuses a plain string as plaintext', () => {
    expect(() => seal(key, PLAINTEXT as unknown as Secret)).toThrow(TypeError);
  });
});
