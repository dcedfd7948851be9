import { RpcException } from '@nestjs/microservices';
import type { ErrorBody } from '@helix/contracts';
import { isDatabaseUnavailable } from '@helix/persistence';

/** Runs `work`; a Postgres outage becomes the RPC error `unavailable` (503) with `message`. */
export async function whenDatabaseUp<T>(work: () => Promise<T>, message: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof RpcException) && isDatabaseUnavailable(err)) throw new RpcException({ error: 'unavailable', message } satisfies ErrorBody);
    throw err;
  }
}
