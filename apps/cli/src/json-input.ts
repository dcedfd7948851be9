import { ParseErrorCode, parseTree, type ParseError } from 'jsonc-parser';
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

/** What each jsonc-parser error means, in words that never quote the input. */
const PROBLEMS: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.InvalidSymbol]: 'expected a JSON value',
  [ParseErrorCode.InvalidNumberFormat]: 'malformed number',
  [ParseErrorCode.PropertyNameExpected]: 'expected a double-quoted property name',
  [ParseErrorCode.ValueExpected]: 'expected a JSON value',
  [ParseErrorCode.ColonExpected]: 'expected ":" after the property name',
  [ParseErrorCode.CommaExpected]: 'expected "," between two values',
  [ParseErrorCode.CloseBraceExpected]: 'expected "," or "}" after a property value',
  [ParseErrorCode.CloseBracketExpected]: 'expected "," or "]" after an array element',
  [ParseErrorCode.EndOfFileExpected]: 'expected end of input after the JSON value',
  [ParseErrorCode.InvalidCommentToken]: 'comments are not allowed in JSON',
  [ParseErrorCode.UnexpectedEndOfComment]: 'comments are not allowed in JSON',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'malformed number',
  [ParseErrorCode.InvalidUnicode]: 'invalid \\u escape in string',
  [ParseErrorCode.InvalidEscapeCharacter]: 'invalid escape in string',
  [ParseErrorCode.InvalidCharacter]: 'unescaped control character (e.g. a line break) in string',
};

/** What stands at `at`, by kind only (a file may hold secrets: never its characters). */
function found(text: string, at: number): string {
  if (at >= text.length) return 'end of input';
  const ch = text[at];
  if (/[A-Za-z_]/.test(ch)) return 'a bare word';
  if (ch === "'") return 'a single quote';
  if (ch === '"') return 'a string';
  if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(text[at + 1] ?? ''))) return 'a number';
  if (ch === '-') return 'a bare word';
  if ('{}[]:,'.includes(ch)) return `"${ch}"`;
  if (ch === '/') return 'a comment';
  return 'an unexpected character';
}

/**
 * Finds the first syntax error in `text` with jsonc-parser (strict: no comments, no trailing
 * commas), or null if JSON.parse accepts the text. Where jsonc-parser is more lenient than
 * JSON.parse, the position V8 reports is used (never V8's message: it quotes the input).
 */
export function locateJsonError(text: string): JsonSyntaxError | null {
  let v8Position: number | undefined;
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    v8Position = m ? Number(m[1]) : undefined;
  }
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  let position: number;
  let problem: string;
  if (first) {
    position = Math.min(first.offset, text.length);
    // A bare word right after a value (39GB, "a"b): what is missing is the separator.
    const afterValue = first.error === ParseErrorCode.InvalidSymbol && position > 0 && /[0-9A-Za-z"\]}]/.test(text[position - 1]);
    const what = afterValue ? 'expected "," or a closing bracket after a value' : (PROBLEMS[first.error] ?? 'not valid JSON');
    problem = what.startsWith('expected') ? `${what} but found ${found(text, position)}` : what;
  } else {
    position = Math.min(v8Position ?? text.length, text.length);
    problem = 'a character or number form that JSON does not allow';
  }
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - (before.lastIndexOf('\n') + 1) + 1;
  return { position, line, column, problem };
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
    const hint = /but found (a bare word|a single quote)$/.test(where.problem) ? '; strings need double quotes' : '';
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
