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
