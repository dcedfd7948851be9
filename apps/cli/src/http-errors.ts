import { oneLine } from './errors';

/** What the CLI knows about a failed HTTP exchange; `body` is the parsed JSON body, if any. */
export interface HttpFailure {
  status: number;
  body: unknown;
  /** Whether the request carried an API key at all. */
  apiKeyGiven: boolean;
}

interface ErrorLike {
  error?: unknown;
  message?: unknown;
  details?: unknown;
}

function serverMessage(body: unknown): string | undefined {
  const message = (body as ErrorLike | null)?.message;
  return typeof message === 'string' && message.trim() ? oneLine(message).replace(/[.\s]+$/, '') : undefined;
}

/** `details` of a 400 as "field: message" strings; a message that already names its field is kept as is. */
export function invalidFields(body: unknown): { fields: string[]; messages: string[] } {
  const details = (body as ErrorLike | null)?.details;
  if (!Array.isArray(details)) return { fields: [], messages: [] };
  const fields: string[] = [];
  const messages: string[] = [];
  for (const d of details) {
    if (typeof d !== 'object' || d === null) continue;
    const field = typeof (d as { field?: unknown }).field === 'string' ? (d as { field: string }).field : undefined;
    const message = typeof (d as { message?: unknown }).message === 'string' ? oneLine((d as { message: string }).message) : undefined;
    if (field && !fields.includes(field)) fields.push(field);
    if (message) messages.push(field && !message.startsWith(field) ? `${field}: ${message}` : message);
  }
  return { fields, messages };
}

/** The one-line explanation of an HTTP error response (docs/reference/cli.md): what went wrong and what to do. */
export function describeHttpFailure(failure: HttpFailure): string {
  const { status, body } = failure;
  const message = serverMessage(body);
  switch (status) {
    case 401:
      return failure.apiKeyGiven
        ? 'the API key was rejected (HTTP 401 unauthorized); set HELIX_API_KEY (or pass --api-key) to a valid Helix API key'
        : 'no API key given (HTTP 401 unauthorized); set HELIX_API_KEY (or pass --api-key) to a Helix API key';
    case 403:
      // Admin routes say admin privileges are required (docs/reference/cli.md); a scope's route (docs/reference/rest.md) says who may.
      if (message && !/admin privileges are required/i.test(message)) return `permission denied: ${message} (HTTP 403 forbidden)`;
      return 'admin privileges are required for this command (HTTP 403 forbidden); use the API key of an admin user';
    case 400: {
      const { fields, messages } = invalidFields(body);
      if (fields.length) return `invalid request (HTTP 400): invalid fields: ${fields.join(', ')} (${messages.join('; ')})`;
      return `invalid request (HTTP 400): ${message ?? 'the server rejected the request'}`;
    }
    case 404:
      return `${message ?? 'not found'} (HTTP 404 not found)`;
    case 409:
      return `${message ?? 'it already exists'} (HTTP 409 conflict)`;
    case 503:
      return `the Helix control plane is unavailable (HTTP 503): ${message ?? 'a backing service is down'}; nothing was changed, try again`;
    default: {
      const code = typeof (body as ErrorLike | null)?.error === 'string' ? ` ${(body as { error: string }).error}` : '';
      return message ? `${message} (HTTP ${status}${code})` : `unexpected response from the server (HTTP ${status}${code})`;
    }
  }
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
};

/** The innermost message of a fetch failure's cause chain ("bad port", "getaddrinfo …"). */
function causeMessage(err: unknown): string | undefined {
  let message: string | undefined;
  let current = (err as { cause?: unknown })?.cause;
  for (let depth = 0; depth < 5 && current; depth++) {
    const m = (current as { message?: unknown }).message;
    if (typeof m === 'string' && m.trim()) message = oneLine(m);
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const nested = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(nested) && nested.length) {
      const inner = errorCode(nested[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The one-line explanation of a request that got no HTTP response; always names the URL tried. */
export function describeNetworkFailure(err: unknown, baseUrl: string, timeoutMs: number): string {
  const name = (err as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `no response from the Helix API at ${baseUrl} within ${Math.round(timeoutMs / 1000)} s; check HELIX_URL (or --url)`;
  }
  const code = errorCode(err);
  const reason = (code && NETWORK_REASONS[code]) ?? code ?? causeMessage(err) ?? 'request failed';
  return `cannot reach the Helix API at ${baseUrl} (${reason}); is the gateway running? Check HELIX_URL (or --url)`;
}
