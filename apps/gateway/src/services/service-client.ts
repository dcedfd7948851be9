import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, NatsRecordBuilder } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { isErrorBody } from '@helix/contracts';
import { deadlineHeaders } from '@helix/rpc';
import { currentRequestId, REQUEST_ID_HEADER } from '@helix/logging';
import { ApiError } from '../http/errors';
import { isNotSent } from './not-sent';

export const SERVICES_CLIENT = 'SERVICES_CLIENT';
const REQUEST_TIMEOUT_MS = 10_000;
const RECONNECT_POLL_MS = 200;

/**
 * Request/reply to a service over NATS; service errors keep their code, anything else is a 503.
 * While NATS is reconnecting the Nest client refuses to send at all, so such a request is held
 * (not lost, not sent twice) until the connection is back or the deadline passes. The deadline
 * travels as a NATS header, so a service never applies a request after the gateway gave up on it;
 * so does the request id (Helix-Request-Id), which the service's log lines for the request carry.
 */
@Injectable()
export class ServiceClient implements OnApplicationShutdown {
  constructor(
    @Inject(SERVICES_CLIENT) private readonly client: ClientProxy,
    @InjectPinoLogger('ServiceClient') private readonly logger: PinoLogger,
  ) {}

  async request<T>(pattern: string, payload: unknown, service: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    const headers = deadlineHeaders(deadline);
    // The service's log lines for this request carry the gateway's request id.
    const requestId = currentRequestId(this.logger);
    if (requestId) headers.set(REQUEST_ID_HEADER, requestId);
    const record = new NatsRecordBuilder(payload ?? {}).setHeaders(headers).build();
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw unavailable(service, 'did not answer in time');
      try {
        return await firstValueFrom(this.client.send<T>(pattern, record).pipe(timeout(remaining)));
      } catch (err) {
        if (isErrorBody(err)) throw new ApiError(err);
        if (isNotSent(err)) {
          await new Promise((r) => setTimeout(r, Math.min(RECONNECT_POLL_MS, Math.max(0, deadline - Date.now()))));
          continue;
        }
        this.logger.warn({ pattern, err: err instanceof Error ? err : { message: String(err) } }, `request to the ${service} failed`);
        throw unavailable(service, err instanceof TimeoutError ? 'did not answer in time' : 'is unavailable');
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

function unavailable(service: string, reason: string): ApiError {
  return new ApiError({ error: 'unavailable', message: `The ${service} ${reason}; try again shortly.` });
}
