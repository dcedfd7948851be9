import { ArgumentsHost, Catch, HttpException, NotFoundException, type ExceptionFilter, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { ERROR_STATUS, isErrorBody, type ErrorBody, type ErrorCode, type FieldError } from '@helix/contracts';
import { isDatabaseUnavailable } from '@helix/persistence';

/** An error that already has its SPEC §4 body (e.g. relayed from a service). */
export class ApiError extends HttpException {
  constructor(readonly body: ErrorBody) {
    super(body, ERROR_STATUS[body.error]);
  }
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  503: 'unavailable',
};

/** Every error leaves the gateway as {"error","message"[,"details"]}; nothing unexpected says more than "internal". */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@InjectPinoLogger('ErrorFilter') private readonly logger: PinoLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = this.toBody(exception);
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private toBody(exception: unknown): { status: number; body: ErrorBody | { error: string; message: string } } {
    if (exception instanceof ApiError) return { status: exception.getStatus(), body: exception.body };
    // The router's own 404 names the method and path it was given; never repeat a request's input.
    if (exception instanceof NotFoundException && /^Cannot [A-Z]+ /.test(exception.message)) {
      return { status: 404, body: { error: 'not_found', message: 'No route matches this method and path.' } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (isErrorBody(response)) return { status, body: response };
      const message = sentence(typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? exception.message));
      if (CODE_BY_STATUS[status]) return { status, body: { error: CODE_BY_STATUS[status], message } };
      if (status >= 400 && status < 500) return { status: 400, body: { error: 'bad_request', message } };
      return { status, body: { error: 'unavailable', message } };
    }
    // Users and keys live in the gateway's own schema: without Postgres nobody can be authenticated.
    if (isDatabaseUnavailable(exception)) {
      return { status: 503, body: { error: 'unavailable', message: 'The database is unavailable; try again shortly.' } };
    }
    // Fastify's own client errors (malformed JSON, wrong content type, body too large).
    const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
    if (fastifyError?.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      return { status: 400, body: { error: 'bad_request', message: fastifyMessage(fastifyError) } };
    }
    this.logger.error({ err: { message: (exception as Error)?.message, name: (exception as Error)?.name } }, 'unexpected error');
    return { status: 500, body: { error: 'internal', message: 'An unexpected error occurred.' } };
  }
}

function fastifyMessage(err: { code?: string; message?: string }): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'The request body must be JSON (Content-Type: application/json).';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is empty; send a JSON object.';
    default:
      return 'The request body is not valid JSON.';
  }
}

function sentence(message: unknown): string {
  const text = Array.isArray(message) ? message.join('; ') : String(message ?? 'Bad request');
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Flattens class-validator errors into {field, message}; messages never contain the rejected value. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([kind, message]) => ({
      field,
      message: kind === 'whitelistValidation' ? `${field} is not a known field` : message,
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
      const details = fieldErrors(errors);
      const message = details.length ? `Invalid request: ${details.map((d) => d.message).join('; ')}.` : 'The request body must be a JSON object.';
      return new ApiError({ error: 'bad_request', message, details });
    },
  });
}
