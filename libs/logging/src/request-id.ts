/** The NATS header (requests and JetStream events) that carries the gateway's request id. */
export const REQUEST_ID_HEADER = 'Helix-Request-Id';

/** The HTTP header a client may send and that every gateway response carries. */
export const HTTP_REQUEST_ID_HEADER = 'x-request-id';

/**
 * A request id is taken from outside only when it is a short token of letters, digits and
 * `-._:`: anything else (long, spaces, quotes, control characters) could forge or break log lines.
 */
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/**
 * Shaped like a credential (a Hugging Face token `hf_…`, a Helix API key `hl-…`): a client that
 * pastes one into X-Request-Id by mistake must not have it written to every log line.
 */
const CREDENTIAL_LIKE = /^(hf_|hl-)/i;

export function safeRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE.test(value) && !CREDENTIAL_LIKE.test(value) ? value : undefined;
}
