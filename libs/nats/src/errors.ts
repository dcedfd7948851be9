import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/** JetStream API code for "stream name already in use" (not in nats.js' JetStreamApiCodes). */
const STREAM_NAME_IN_USE = 10058;

/** The stream does not exist (yet, or any more: NATS may have restarted without its store). */
export function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/** Another process created the stream between our lookup and our create. */
export function isStreamNameInUse(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE;
}

/** Nobody answered: JetStream (or the service) is not there, e.g. while NATS restarts. */
export function isNoResponders(err: unknown): boolean {
  if (err instanceof NoRespondersError) return true;
  if (err instanceof RequestError) return err.isNoResponders();
  return err instanceof Error && err.cause !== undefined && isNoResponders(err.cause);
}

/** The request was sent but no answer came in time. */
export function isTimeout(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  return err instanceof Error && err.cause !== undefined && isTimeout(err.cause);
}
