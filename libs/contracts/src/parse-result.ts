import type { FieldError } from './errors';

/**
 * What a wire-message parser returns: the typed message, or every field that is wrong. Messages
 * name the field and the expected form, never the value (payloads may carry anything).
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export const parsed = <T>(value: T): ParseResult<T> => ({ ok: true, value });
export const rejected = <T = never>(errors: FieldError[]): ParseResult<T> => ({ ok: false, errors });

/** A JSON object (not null, not an array): the only shape a wire message may have. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Bytes from the wire as a JSON object, or one error saying why not. */
export function parseJsonObject(bytes: Uint8Array): ParseResult<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return rejected([{ field: '(message)', message: 'is not UTF-8 JSON' }]);
  }
  return isRecord(value) ? parsed(value) : rejected([{ field: '(message)', message: 'is not a JSON object' }]);
}

/** One line for logs: the fields and what is wrong with each, e.g. `version must be a positive integer`. */
export function describeFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field} ${e.message}`).join('; ');
}
