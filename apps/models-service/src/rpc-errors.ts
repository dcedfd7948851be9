import { RpcException } from '@nestjs/microservices';
import type { ErrorBody, FieldError } from '@helix/contracts';
import { isDatabaseUnavailable } from '@helix/persistence';

/** An RPC error the gateway turns into the SPEC §4 error response with the matching status. */
export function rpcError(error: ErrorBody['error'], message: string, details?: FieldError[]): RpcException {
  return new RpcException({ error, message, ...(details ? { details } : {}) } satisfies ErrorBody);
}

export function badRequest(details: FieldError[]): RpcException {
  return rpcError('bad_request', `Invalid request: ${details.map((d) => d.message).join('; ')}.`, details);
}

/** Refuses a request the gateway has already answered 503: writing now would be a change the caller was told failed. */
export function checkDeadline(deadline: unknown): void {
  if (typeof deadline === 'number' && Date.now() > deadline) throw rpcError('unavailable', 'The request expired before it reached the models service; nothing was changed.');
}

/** Runs `work`, answering 503 with `message` when the database cannot be reached. */
export async function unlessDatabaseDown<T>(work: () => Promise<T>, message: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof RpcException) && isDatabaseUnavailable(err)) throw rpcError('unavailable', message);
    throw err;
  }
}
