import type { FieldError } from './errors';

/** The outcome of checking untrusted input: the typed value, or what is wrong with it (never the input itself). */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Bytes from the wire as a JSON object, or one error saying why not. */
export function parseJsonObject(bytes: Uint8Array): ParseResult<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, errors: [{ field: '(message)', message: 'is not UTF-8 JSON' }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [{ field: '(message)', message: 'is not a JSON object' }] };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** One line for logs: the fields and what is wrong with each, e.g. `version must be a positive integer`. */
export function describeFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field} ${e.message}`).join('; ');
}
