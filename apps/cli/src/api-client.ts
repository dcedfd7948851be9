import { CliError, usageError } from './errors';
import { describeHttpFailure, describeNetworkFailure } from './http-errors';

export const DEFAULT_URL = 'http://localhost:8080';
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface ApiClientOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs?: number;
  /** Injected in tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface ApiResult<T> {
  status: number;
  /** Parsed JSON body; undefined for an empty body (e.g. 204). */
  body: T | undefined;
}

/**
 * Checks and normalises HELIX_URL / --url: an absolute http(s) URL, without a trailing slash and
 * without a trailing `/api/v1` (both `https://helix.example.com` and `…/api/v1/` are accepted, as by
 * Helix's own client); a gateway behind a path prefix keeps its prefix.
 */
export function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`HELIX_URL / --url must be an http:// or https:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`HELIX_URL / --url must be an http:// or https:// URL, got "${raw}"`);
  }
  if (url.username || url.password) throw usageError('HELIX_URL / --url must not contain credentials; use HELIX_API_KEY');
  url.search = '';
  url.hash = '';
  return url
    .toString()
    .replace(/\/+$/, '')
    .replace(/\/api\/v1$/i, '')
    .replace(/\/+$/, '');
}

/**
 * Model ids contain "/" (e.g. Qwen/Qwen2.5-VL-7B-Instruct); docs/reference/rest.md routes them as path segments,
 * so every segment is encoded on its own.
 */
export function modelPath(id: string): string {
  return `/api/v1/models/${id.split('/').map(encodeURIComponent).join('/')}`;
}

/** The gateway's REST API: JSON in and out, bearer auth, every failure turned into a one-line CliError. */
export class ApiClient {
  readonly baseUrl: string;
  private readonly apiKey?: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ApiClientOptions) {
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    this.apiKey = options.apiKey || undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? fetch;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path).then((r) => r.body as T);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body).then((r) => r.body as T);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body).then((r) => r.body as T);
  }

  delete<T>(path: string): Promise<ApiResult<T>> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'helix-cli' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      text = await response.text();
    } catch (err) {
      throw new CliError(describeNetworkFailure(err, this.baseUrl, this.timeoutMs));
    }
    let parsed: unknown = undefined;
    let parseFailed = false;
    if (text.trim()) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parseFailed = true;
      }
    }
    if (!response.ok) {
      throw new CliError(describeHttpFailure({ status: response.status, body: parsed, apiKeyGiven: Boolean(this.apiKey) }));
    }
    if (parseFailed) {
      throw new CliError(`unexpected non-JSON response from ${this.baseUrl}${path} (HTTP ${response.status}); is HELIX_URL (or --url) the Helix gateway?`);
    }
    return { status: response.status, body: parsed as T | undefined };
  }
}
