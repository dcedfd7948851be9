import { applyDecorators } from '@nestjs/common';
import { ApiParam, ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, MODEL_ID_PATTERN, type ErrorCode } from '@helix/contracts';

// OpenAPI building blocks shared by the controllers: the error body every refusal has (error.filter.ts),
// the error statuses a route can answer, and the model-id path parameter.

const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export class FieldErrorDto {
  @ApiProperty({ example: 'memory', description: 'The field of the request (or path parameter) that is wrong.' })
  field!: string;
  @ApiProperty({ example: 'memory is required' })
  message!: string;
}

/** `{"error","message"[,"details"]}`: the body of every error response (docs/reference/rest.md, Errors). */
export class ErrorBodyDto {
  @ApiProperty({
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
    example: 'bad_request',
    description: 'Machine-readable: the status tells the class, `invalid_token` (400) is a token the Hugging Face Hub rejected in strict mode.',
  })
  error!: ErrorCode;
  @ApiProperty({ example: 'Invalid request: memory is required.', description: 'One sentence for people; it never repeats a token or a key that was sent.' })
  message!: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'For a validation error: one entry per wrong field.' })
  details?: FieldErrorDto[];
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 503;

const DEFAULT_DESCRIPTION: Record<ErrorStatus, string> = {
  400: 'The request is malformed or fails validation (`bad_request`, the message and `details` name the fields); nothing changed.',
  401: 'No API key, or an unknown or revoked one (`unauthorized`).',
  403: 'The API key is valid but its user may not do this (`forbidden`).',
  404: 'What the path names does not exist (`not_found`).',
  409: 'It already exists (`conflict`).',
  413: 'The request body is larger than 1 MB (`bad_request`).',
  415: 'The request body is not JSON (`bad_request`): send `Content-Type: application/json`.',
  503: 'A service or the database is unavailable or did not answer in time (`unavailable`); nothing changed, try again shortly.',
};

/** Examples for the statuses whose message does not depend on the route. */
const EXAMPLE: Partial<Record<ErrorStatus, string>> = {
  401: 'The API key is not valid.',
  413: 'The request body is too large (the limit is 1 MB).',
  415: 'The request body must be JSON (Content-Type: application/json).',
  503: 'The models service did not answer in time; try again shortly.',
};

export type ErrorEntry = ErrorStatus | readonly [status: ErrorStatus, description: string, example?: string];

/**
 * The error responses of a route, each with the error body: `ApiErrors(400, [404, 'The org does not exist.', 'The org acme does not exist.'])`.
 * A status alone gets the generic description; a tuple says when this route answers it (and may give an example message).
 */
export function ApiErrors(...statuses: ErrorEntry[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((entry) => {
      const [status, description, message] = typeof entry === 'number' ? [entry, DEFAULT_DESCRIPTION[entry], undefined] : entry;
      const example = message ?? EXAMPLE[status];
      const code: ErrorCode = status === 413 || status === 415 ? 'bad_request' : (ERROR_CODES.find((c) => ERROR_STATUS[c] === status) ?? 'bad_request');
      return ApiResponse({ status, description, type: ErrorBodyDto, ...(example ? { example: { error: code, message: example } } : {}) });
    }),
  );
}

/** A JSON body that is too large (413) or not JSON (415). */
export const PAYLOAD_ERRORS: ErrorEntry[] = [413, 415];
/** Routes that take a JSON body: validation (400), size (413) and media type (415). */
export const BODY_ERRORS: ErrorEntry[] = [400, ...PAYLOAD_ERRORS];

/** The token PUTs also answer 400 `invalid_token` when strict Hub validation rejects the token. */
export const INVALID_TOKEN: ErrorEntry = [
  400,
  'The path or body is malformed (`bad_request`), or Hub validation is strict and the Hugging Face Hub rejected the token (`invalid_token`); nothing changed.',
];

/** The OpenAPI form of MODEL_ID_PATTERN without its length look-ahead (the length is maxLength). */
const MODEL_ID_SCHEMA_PATTERN = MODEL_ID_PATTERN.source.replace('(?=.{1,256}$)', '');

/**
 * The name @nestjs/swagger gives the wildcard of a `*` route (`/api/v1/models/{path}`); docs.ts
 * renames it `id`, as the `models/:id/...` routes call it.
 */
export const WILDCARD = 'path';

/**
 * `{id}` of the model routes. Model ids contain "/": as a path parameter the id is percent-encoded
 * (`Qwen%2FQwen2.5-VL-7B-Instruct`), as every OpenAPI client does with a `simple` path parameter.
 */
export function ApiModelIdParam(name = 'id'): MethodDecorator {
  return ApiParam({
    name,
    required: true,
    description:
      'The model id, percent-encoded as one path segment: `Qwen/Qwen2.5-VL-7B-Instruct` is sent as `Qwen%2FQwen2.5-VL-7B-Instruct` ' +
      '(what OpenAPI clients and `encodeURIComponent` do). The plain form, `/api/v1/models/Qwen/Qwen2.5-VL-7B-Instruct`, is accepted too.',
    example: 'Qwen/Qwen2.5-VL-7B-Instruct',
    schema: { type: 'string', minLength: 1, maxLength: 256, pattern: MODEL_ID_SCHEMA_PATTERN },
  });
}
