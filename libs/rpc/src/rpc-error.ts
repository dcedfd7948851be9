import { RpcException } from '@nestjs/microservices';
import type { ErrorBody, ErrorCode, FieldError } from '@helix/contracts';

/** An error a service answers with: the gateway relays it with the docs/reference/rest.md status of its code. */
export function rpcError(error: ErrorCode, message: string, details?: FieldError[]): RpcException {
  return new RpcException({ error, message, ...(details ? { details } : {}) } satisfies ErrorBody);
}
