import type { FieldError } from '@helix/contracts';
import { rpcError } from '@helix/rpc';

export function badRequest(details: FieldError[]): ReturnType<typeof rpcError> {
  return rpcError('bad_request', `Invalid request: ${details.map((d) => d.message).join('; ')}.`, details);
}
