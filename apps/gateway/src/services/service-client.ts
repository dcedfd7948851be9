import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { isErrorBody } from '@helix/contracts';
import { ApiError } from '../http/errors';

export const SERVICES_CLIENT = 'SERVICES_CLIENT';
const REQUEST_TIMEOUT_MS = 10_000;

/** Request/reply to a service over NATS; service errors keep their code, anything else is a 503. */
@Injectable()
export class ServiceClient implements OnApplicationShutdown {
  constructor(@Inject(SERVICES_CLIENT) private readonly client: ClientProxy) {}

  async request<T>(pattern: string, payload: unknown, service: string): Promise<T> {
    try {
      return await firstValueFrom(this.client.send<T>(pattern, payload ?? {}).pipe(timeout(REQUEST_TIMEOUT_MS)));
    } catch (err) {
      if (isErrorBody(err)) throw new ApiError(err);
      const reason = err instanceof TimeoutError ? 'did not answer in time' : 'is unavailable';
      throw new ApiError({ error: 'unavailable', message: `The ${service} ${reason}; try again shortly.` });
    }
  }

  /** The deadline a request carries, so a service never applies a change after the gateway gave up on it. */
  static deadline(): number {
    return Date.now() + REQUEST_TIMEOUT_MS;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
