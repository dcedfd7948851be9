import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import type pino from 'pino';
import { isErrorBody, type ErrorBody } from '@helix/contracts';
import { isDatabaseUnavailable } from './database-unavailable';

/**
 * Every error a service's NATS handler throws leaves as a docs/reference/rest.md body: its own `RpcException`s as they
 * are, a Postgres outage as 503 `unavailable` (nothing was written: each change is one
 * transaction), and anything else as 503 after being logged with its stack.
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(
    private readonly service: string,
    private readonly logger: Pick<pino.Logger, 'error'>,
  ) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => this.toBody(exception));
  }

  toBody(exception: unknown): ErrorBody {
    if (exception instanceof RpcException) {
      const body = exception.getError();
      if (isErrorBody(body)) return body;
    }
    if (isDatabaseUnavailable(exception)) {
      return { error: 'unavailable', message: `The ${this.service} database is unavailable; nothing was changed. Try again shortly.` };
    }
    this.logger.error({ err: exception }, 'unexpected error in a request handler');
    return { error: 'unavailable', message: `The ${this.service} failed to handle the request; try again shortly.` };
  }
}
