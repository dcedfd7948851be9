import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors';
import { locateJsonError, parseJson, parseRuntimeArgs } from './json-input';

function errorOf(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

describe('locateJsonError', () => {
  it.each([
    ['["a",]', 5, 1, 6, 'expected a JSON value but found "]"'],
    ['[x]', 1, 1, 2, 'expected a JSON value but found a bare word'],
    ['["a"', 4, 1, 5, 'expected "," or "]" after an array element but found end of input'],
    ['', 0, 1, 1, 'expected a JSON value but found end of input'],
    ['{"a":1,}', 7, 1, 8, 'expected a double-quoted property name but found "}"'],
    ['{\n  "id": "x",\n  "name": oops\n}', 25, 3, 11, 'expected a JSON value but found a bare word'],
    ["['--trust-remote-code']", 1, 1, 2, 'expected a JSON value but found a single quote'],
    ['"abc', 0, 1, 1, 'unterminated string'],
    ['{"a" 1}', 5, 1, 6, 'expected ":" after the property name but found a number'],
    ['[01]', 2, 1, 3, 'expected "," between two values but found a number'],
    ['["a\\x"]', 1, 1, 2, 'invalid escape in string'],
    ['[1,/*c*/2]', 3, 1, 4, 'comments are not allowed in JSON'],
    ['["a\tb"]', 1, 1, 2, 'unescaped control character (e.g. a line break) in string'],
    ['[1.]', 1, 1, 2, 'malformed number'],
  ])('%j → position %i (line %i, column %i)', (text, position, line, column, problem) => {
    expect(locateJsonError(text)).toEqual({ position, line, column, problem });
  });

  it('returns null exactly when JSON.parse accepts the text (property)', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(locateJsonError(text)).toBeNull();
      }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json().map((j) => j.slice(0, -1)),
          fc.json().map((j) => `${j},`),
        ),
        (text) => {
          let valid = true;
          try {
            JSON.parse(text);
          } catch {
            valid = false;
          }
          const located = locateJsonError(text);
          expect(located === null).toBe(valid);
          if (located) expect(located.position).toBeLessThanOrEqual(text.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseJson', () => {
  it('reports line, column and position, and never quotes the input back', () => {
    const secretish = 'hf_doNotEchoMe123';
    const err = errorOf(() => parseJson(`{"name": "${secretish}", oops}`, '--file model.json'));
    expect(err.message).toBe(
      '--file model.json is not valid JSON: expected a JSON value but found a bare word at line 1, column 31 (position 30); strings need double quotes',
    );
    expect(err.message).not.toContain(secretish);
    expect(err.exitCode).toBe(EXIT_FAILURE);
  });

  it('never quotes a single character of the input, whatever the error (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 6, maxLength: 12, unit: fc.constantFrom(...'QZXJKVqzxjkv') }), (junk, secret) => {
        const text = `{"token": "hf_${secret}" ${junk} ${secret}`;
        let message = '';
        try {
          parseJson(text, 'x');
        } catch (err) {
          message = (err as Error).message;
        }
        expect(message).not.toContain(secret);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseRuntimeArgs', () => {
  it('accepts the seed array and the {"args": […]} form', () => {
    expect(parseRuntimeArgs('["--trust-remote-code","--max-model-len","32768"]', EXIT_USAGE)).toEqual(['--trust-remote-code', '--max-model-len', '32768']);
    expect(parseRuntimeArgs('{"args":["--enforce-eager"]}', EXIT_USAGE)).toEqual(['--enforce-eager']);
    expect(parseRuntimeArgs('[]', EXIT_USAGE)).toEqual([]);
  });

  it('malformed JSON says where, as a usage error', () => {
    const err = errorOf(() => parseRuntimeArgs('["--trust-remote-code" "--max-model-len"]', EXIT_USAGE));
    expect(err.message).toBe('--runtime-args is not valid JSON: expected "," between two values but found a string at line 1, column 24 (position 23)');
    expect(err.exitCode).toBe(EXIT_USAGE);
  });

  it('valid JSON of the wrong shape says what is expected', () => {
    expect(errorOf(() => parseRuntimeArgs('"--trust-remote-code"', EXIT_USAGE)).message).toMatch(/must be a JSON array of strings/);
    expect(errorOf(() => parseRuntimeArgs('["--max-model-len", 32768]', EXIT_USAGE)).message).toBe(
      '--runtime-args must be a JSON array of strings; element 1 is number',
    );
    expect(errorOf(() => parseRuntimeArgs('[null]', EXIT_USAGE)).message).toContain('element 0 is null');
  });
});
