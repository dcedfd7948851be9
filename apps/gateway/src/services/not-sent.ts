// Not exported from the package root, but marked @publicApi; a move is a compile error, not a silent miss.
import { EmptyResponseException } from '@nestjs/microservices/errors/empty-response.exception.js';

/**
 * What Nest's NATS client rejects with while it reconnects: a plain string, not an Error, and Nest
 * exports nothing to match it by. service-client.spec.ts pins it against a real ClientNats.
 */
const CONNECTION_LOST = 'Connection lost';

/**
 * Failures where no service received the request, so sending it again cannot apply it twice: the
 * Nest client refuses to publish while reconnecting, and NATS answers "no responders" (which Nest
 * turns into an EmptyResponseException) while the services' subscriptions are not back after an outage.
 */
export function isNotSent(err: unknown): boolean {
  if (typeof err === 'string') return err.includes(CONNECTION_LOST);
  return err instanceof EmptyResponseException;
}
