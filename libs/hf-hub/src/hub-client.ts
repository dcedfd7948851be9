import { Counter, Histogram } from 'prom-client';
import type { Secret } from '@helix/secrets';

/** What the Hub said about a token (docs/reference/hub.md): unverified when it could not say (unreachable, timeout, 5xx, validation off). */
export type TokenStatus = 'valid' | 'invalid' | 'unverified';

export interface TokenCheck {
  status: TokenStatus;
  /** whoami's `name`, when valid. */
  owner: string | null;
  /** whoami's `auth.accessToken.role` (read, write, fineGrained), when valid. */
  role: string | null;
  /** The Hub's HTTP status, null when it did not answer. */
  httpStatus: number | null;
}

export type ModelAccess = 'granted' | 'denied' | 'not_found' | 'unknown';

export interface AccessCheck {
  access: ModelAccess;
  httpStatus: number | null;
}

function accessOf(status: number): ModelAccess {
  return status === 200 ? 'granted' : status === 401 || status === 403 ? 'denied' : status === 404 ? 'not_found' : 'unknown';
}

/** How long one Hub request may take: a slow Hub gives `unverified`, never a hanging PUT. */
export const HUB_TIMEOUT_MS = 5_000;

const validations = new Counter({ name: 'helix_hf_validations_total', help: 'Hugging Face token checks by outcome', labelNames: ['outcome'] as const });
const latency = new Histogram({
  name: 'helix_hf_hub_request_seconds',
  help: 'Hugging Face Hub request time (answered or not)',
  labelNames: ['endpoint'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5],
});

/**
 * The two Hub calls Helix makes. The token goes only into the Authorization header of a request to
 * the configured endpoint; it is never part of a URL, an error or a log line. Any failure to get an
 * answer is reported as "could not say", never thrown: the Hub must not decide whether Helix works.
 */
export class HubClient {
  private readonly base: string;

  constructor(
    endpoint: string,
    private readonly timeoutMs = HUB_TIMEOUT_MS,
  ) {
    this.base = endpoint.replace(/\/+$/, '');
  }

  /** GET /api/whoami-v2: valid (200), invalid (401/403), unverified (anything else, or no answer). */
  async whoami(token: Secret): Promise<TokenCheck> {
    const res = await this.get('whoami', '/api/whoami-v2', token);
    let check: TokenCheck;
    if (res === null) check = { status: 'unverified', owner: null, role: null, httpStatus: null };
    else if (res.status === 200) {
      const body = (await res.json().catch(() => ({}))) as { name?: unknown; auth?: { accessToken?: { role?: unknown } } };
      check = {
        status: 'valid',
        owner: typeof body.name === 'string' ? body.name : null,
        role: typeof body.auth?.accessToken?.role === 'string' ? body.auth.accessToken.role : null,
        httpStatus: 200,
      };
    } else {
      await res.arrayBuffer().catch(() => undefined);
      check = { status: res.status === 401 || res.status === 403 ? 'invalid' : 'unverified', owner: null, role: null, httpStatus: res.status };
    }
    validations.inc({ outcome: check.status });
    return check;
  }

  /**
   * GET /api/models/{id} with the token (or none): granted (200), denied (401/403), not_found (404),
   * unknown. The Hub shows a gated repository's card to anyone (200 with `"gated": "auto"|"manual"`),
   * so for a gated one the answer is the repository's `/auth-check` with the same token, as
   * huggingface_hub does it.
   */
  async modelAccess(modelId: string, token: Secret | null): Promise<AccessCheck> {
    const path = `/api/models/${modelId.split('/').map(encodeURIComponent).join('/')}`;
    const res = await this.get('model', path, token);
    if (res === null) return { access: 'unknown', httpStatus: null };
    if (res.status !== 200) {
      await res.arrayBuffer().catch(() => undefined);
      return { access: accessOf(res.status), httpStatus: res.status };
    }
    const card = (await res.json().catch(() => ({}))) as { gated?: unknown };
    if (!card.gated) return { access: 'granted', httpStatus: 200 };
    const check = await this.get('model', `${path}/auth-check`, token);
    if (check === null) return { access: 'unknown', httpStatus: null };
    await check.arrayBuffer().catch(() => undefined);
    return { access: accessOf(check.status), httpStatus: check.status };
  }

  /** null when the Hub did not answer in time (or could not be reached). */
  private async get(endpoint: 'whoami' | 'model', path: string, token: Secret | null): Promise<Response | null> {
    const stop = latency.startTimer({ endpoint });
    try {
      return await fetch(`${this.base}${path}`, {
        headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token.reveal()}` } : {}) },
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error', // a redirect could carry the header elsewhere
      });
    } catch {
      return null;
    } finally {
      stop();
    }
  }
}
