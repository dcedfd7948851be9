import { ValidationPipe, type ValidationError } from '@nestjs/common';
import type { FieldError } from '@helix/contracts';
import { ApiError } from './errors';

/**
 * A field name an unknown key may be shown as: short words in snake_case or camelCase, as a typo of
 * a real field looks. Anything else (a 5 KB key, a key that is a token or contains one) is only
 * called "an unknown field": error messages never repeat what a client sent.
 */
const SHOWABLE_FIELD = /^[a-z][a-z0-9]*(?:_[a-z0-9]+|[A-Z][a-z0-9]+)*$/;
const MAX_SHOWN_FIELD_LENGTH = 32;

export function showableFieldName(name: string): string | null {
  if (name.length > MAX_SHOWN_FIELD_LENGTH || !SHOWABLE_FIELD.test(name)) return null;
  // Hugging Face tokens start with "hf_"; a short one in lower case could pass the pattern above.
  return /^hf_/i.test(name) ? null : name;
}

/**
 * Flattens class-validator errors into {field, message}. Property names of declared fields come
 * from the DTOs; only an unknown key (whitelist error) is client text, and it is shown only when
 * `showableFieldName` allows. Constraint messages never contain the rejected value.
 */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const unknown = e.constraints?.whitelistValidation !== undefined;
    const shown = unknown ? showableFieldName(e.property) : e.property;
    const field = shown === null ? `${parent ? `${parent}.` : ''}(unknown field)` : parent ? `${parent}.${shown}` : shown;
    const own = Object.entries(e.constraints ?? {}).map(([kind, message]) => ({
      field,
      message:
        kind !== 'whitelistValidation'
          ? message
          : shown === null
            ? `${parent ? `${parent} has` : 'the body has'} a field that is not known`
            : `${field} is not a known field`,
    }));
    return [...own, ...fieldErrors(e.children ?? [], field)];
  });
}

/** Unknown fields, wrong types and out-of-range values are 400s that name the fields. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = dedupe(fieldErrors(errors));
      const message = details.length ? `Invalid request: ${details.map((d) => d.message).join('; ')}.` : 'The request body must be a JSON object.';
      return new ApiError({ error: 'bad_request', message, details });
    },
  });
}

/** Many hidden unknown keys read as one sentence, not as the same sentence a thousand times. */
function dedupe(details: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return details.filter((d) => {
    const key = `${d.field}\n${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
