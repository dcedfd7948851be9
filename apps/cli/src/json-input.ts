import { CliError, EXIT_FAILURE } from './errors';

export interface JsonSyntaxError {
  /** 0-based character offset of the first offending character (or the end of input). */
  position: number;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** What was wrong there, without quoting the surrounding input. */
  problem: string;
}

const WS = new Set([' ', '\t', '\n', '\r']);

/**
 * Finds the first syntax error in `text` the way JSON.parse (RFC 8259) sees it, or null if the text
 * is valid JSON. V8's own messages only sometimes carry a position, so this walks the text itself.
 */
export function locateJsonError(text: string): JsonSyntaxError | null {
  let i = 0;
  class Stop {
    constructor(
      readonly at: number,
      readonly problem: string,
    ) {}
  }
  const describe = (at: number): string => (at >= text.length ? 'end of input' : `character ${JSON.stringify(text[at])}`);
  const fail = (expected: string, at = i): never => {
    throw new Stop(at, `expected ${expected} but found ${describe(at)}`);
  };
  const skip = (): void => {
    while (i < text.length && WS.has(text[i])) i++;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++) {
      if (text[i + k] !== word[k]) fail(`"${word}"`, i + k);
    }
    i += word.length;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) throw new Stop(i, 'unterminated string');
      const ch = text[i];
      if (ch === '"') {
        i++;
        return;
      }
      if (ch === '\\') {
        const esc = text[i + 1];
        if (esc === 'u') {
          for (let k = 2; k < 6; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail('four hex digits after \\u', i + k);
          i += 6;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) {
          i += 2;
        } else {
          throw new Stop(i + 1, `invalid escape in string: ${describe(i + 1)}`);
        }
        continue;
      }
      if (ch < ' ') throw new Stop(i, 'unescaped control character (e.g. a line break) in string');
      i++;
    }
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (/[1-9]/.test(text[i] ?? '')) while (/[0-9]/.test(text[i] ?? '')) i++;
    else fail('a digit');
    if (text[i] === '.') {
      i++;
      if (!/[0-9]/.test(text[i] ?? '')) fail('a digit after "."');
      while (/[0-9]/.test(text[i] ?? '')) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!/[0-9]/.test(text[i] ?? '')) fail('a digit in the exponent');
      while (/[0-9]/.test(text[i] ?? '')) i++;
    }
  };
  const value = (): void => {
    skip();
    const ch = text[i];
    if (ch === '{') {
      i++;
      skip();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail('a double-quoted property name');
        string();
        skip();
        if (text[i] !== ':') fail('":" after the property name');
        i++;
        value();
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('"," or "}" after a property value');
      }
    }
    if (ch === '[') {
      i++;
      skip();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('"," or "]" after an array element');
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if ((ch === '-' && /[0-9]/.test(text[i + 1] ?? '')) || /[0-9]/.test(ch ?? '')) return number();
    fail('a JSON value');
  };
  try {
    value();
    skip();
    if (i < text.length) fail('end of input after the JSON value');
    return null;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    const before = text.slice(0, err.at);
    const line = before.split('\n').length;
    const column = err.at - (before.lastIndexOf('\n') + 1) + 1;
    return { position: err.at, line, column, problem: err.problem };
  }
}

/**
 * JSON.parse with an operator-grade error: "<what> is not valid JSON: <problem> at line L, column C
 * (position P)". The input itself is never quoted back (a file may hold secrets).
 */
export function parseJson(text: string, what: string, exitCode = EXIT_FAILURE): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const where = locateJsonError(text);
    if (!where) throw new CliError(`${what} is not valid JSON`, exitCode);
    // The usual mistake on a command line: bare words or single quotes inside the JSON.
    const hint = /^expected a JSON value but found character "[A-Za-z'-]"$/.test(where.problem) ? '; strings need double quotes' : '';
    throw new CliError(
      `${what} is not valid JSON: ${where.problem} at line ${where.line}, column ${where.column} (position ${where.position})${hint}`,
      exitCode,
    );
  }
}

/**
 * `--runtime-args '<JSON array>'`: an array of strings. `{"args":[…]}` (Helix's stored form) is
 * accepted too, as by the API.
 */
export function parseRuntimeArgs(text: string, exitCode: number): string[] {
  const value = parseJson(text, '--runtime-args', exitCode);
  const args = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && Array.isArray((value as { args?: unknown }).args)
      ? (value as { args: unknown[] }).args
      : undefined;
  if (!args) throw new CliError(`--runtime-args must be a JSON array of strings, e.g. '["--trust-remote-code","--max-model-len","32768"]'`, exitCode);
  const bad = args.findIndex((a) => typeof a !== 'string');
  if (bad >= 0)
    throw new CliError(`--runtime-args must be a JSON array of strings; element ${bad} is ${args[bad] === null ? 'null' : typeof args[bad]}`, exitCode);
  return args as string[];
}
