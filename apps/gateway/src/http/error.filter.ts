import { ArgumentsHost, Catch, HttpException, NotFoundException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { isErrorBody, type ErrorBody, type ErrorCode } from '@helix/contracts';
import { isDatabaseUnavailable } from '@helix/rpc';
import { ApiError } from './errors';
import { BODY_LIMIT_BYTES } from './json-body';

export type ErrorResponseBody = ErrorBody | { error: 'internal'; message: string };

export interface ErrorResponse {
  status: number;
  body: ErrorResponseBody;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  503: 'unavailable',
};

/**
 * Fastify's refusals of a body, by error code. Fastify's own messages are never relayed: they are
 * not sentences of this API, and a parser's message may quote the input.
 */
const FASTIFY_BODY_ERRORS: Record<string, [status: number, message: string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, `The request body is too large (the limit is ${BODY_LIMIT_BYTES / 1024 / 1024} MB).`],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'The request body must be JSON (Content-Type: application/json).'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'The request body is empty; send a JSON object.'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'The request body is not valid JSON.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'The request body does not match its Content-Length.'],
};

const INTERNAL: ErrorResponse = { status: 500, body: { error: 'internal', message: 'An unexpected error occurred.' } };

/** Every error leaves the gateway as {"error","message"[,"details"]}; nothing unexpected says more than "internal". */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@InjectPinoLogger('ErrorFilter') private readonly logger: PinoLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const response = errorResponse(exception);
    if (response === null) {
      // The Error itself, so that pino's serializer keeps its stack and cause (a Secret inside prints as [REDACTED]).
      this.logger.error({ err: exception instanceof Error ? exception : { type: typeof exception } }, 'unexpected error');
    }
    const { status, body } = response ?? INTERNAL;
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

/** The docs/reference/rest.md answer to an exception, or null when it is a bug (answered 500 and logged). */
export function errorResponse(exception: unknown): ErrorResponse | null {
  if (exception instanceof ApiError) return { status: exception.getStatus(), body: exception.body };
  const fastify = fastifyBodyError(exception);
  if (fastify) return fastify;
  // The router's own 404 names the method and path it was given; never repeat a request's input.
  if (exception instanceof NotFoundException && /^Cannot [A-Z]+ /.test(exception.message)) {
    return { status: 404, body: { error: 'not_found', message: 'No route matches this method and path.' } };
  }
  if (exception instanceof HttpException) return httpExceptionResponse(exception);
  // Users and keys live in the gateway's own schema: without Postgres nobody can be authenticated.
  if (isDatabaseUnavailable(exception)) {
    return { status: 503, body: { error: 'unavailable', message: 'The database is unavailable; try again shortly.' } };
  }
  return null;
}

/** A Fastify client error, as Fastify raised it or as Nest wrapped it (an HttpException whose cause it is). */
function fastifyBodyError(exception: unknown): ErrorResponse | null {
  const candidate = exception instanceof HttpException ? exception.cause : exception;
  const { code, statusCode } = (candidate ?? {}) as { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || !code.startsWith('FST_')) return null;
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return null;
  const [status, message] = FASTIFY_BODY_ERRORS[code] ?? [400, 'The request could not be read.'];
  return { status, body: { error: 'bad_request', message } };
}

/** Nest's exceptions (guards, pipes, our own throws): the status picks the code. */
function httpExceptionResponse(exception: HttpException): ErrorResponse | null {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (isErrorBody(response)) return { status, body: response };
  const message = sentence(typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? exception.message));
  if (CODE_BY_STATUS[status]) return { status, body: { error: CODE_BY_STATUS[status], message } };
  if (status >= 400 && status < 500) return { status: 400, body: { error: 'bad_request', message } };
  return null;
}

function sentence(message: unknown): string {
  const text = Array.isArray(message) ? message.join('; ') : String(message ?? 'Bad request');
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
