import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import { headers, type MsgHdrs } from '@nats-io/nats-core';
import { throwError, type Observable } from 'rxjs';
import { rpcError } from './rpc-error';

/** Epoch milliseconds after which the caller has given up on the request. */
export const DEADLINE_HEADER = 'Helix-Deadline';

/** The headers a request carries so that no service applies it after the caller stopped waiting. */
export function deadlineHeaders(deadlineMs: number): MsgHdrs {
  const h = headers();
  h.set(DEADLINE_HEADER, String(deadlineMs));
  return h;
}

/**
 * Refuses a request that reaches a service after its deadline (NATS buffers requests while it
 * reconnects): the caller already answered 503, so applying it now would be a change the user was
 * told failed. Requests without the header (heartbeats, internal calls) are not affected.
 */
@Injectable()
export class DeadlineInterceptor implements NestInterceptor {
  constructor(private readonly now: () => number = Date.now) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const value = context.switchToRpc().getContext<NatsContext>().getHeaders?.()?.get?.(DEADLINE_HEADER);
    const deadline = value ? Number(value) : NaN;
    if (Number.isFinite(deadline) && this.now() > deadline) {
      return throwError(() => rpcError('unavailable', 'The request expired before it reached the service; nothing was changed.'));
    }
    return next.handle();
  }
}
