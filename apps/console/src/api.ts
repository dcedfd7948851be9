// The REST API (docs/reference/rest.md), called with the API key in the Authorization header, never in a URL.
import type { ErrorBody } from '@helix/contracts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Api = <T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown) => Promise<T>;

const isErrorBody = (v: unknown): v is ErrorBody =>
  typeof v === 'object' && v !== null && typeof (v as ErrorBody).error === 'string' && typeof (v as ErrorBody).message === 'string';

/** A client bound to one API key. Errors carry the API's own sentence (docs/reference/rest.md error shape). */
export function apiClient(apiKey: string): Api {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new ApiError(0, 'network', 'The gateway could not be reached; retrying.');
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      if (isErrorBody(parsed)) throw new ApiError(res.status, parsed.error, parsed.message);
      throw new ApiError(res.status, 'http', `The gateway answered ${res.status}.`);
    }
    return parsed as T;
  };
}

/**
 * A read that may be refused or gone by the time it is made (a model deleted, a membership removed
 * between the list and the detail): undefined then, so one item does not stop a whole screen.
 */
export async function optional<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return undefined;
    throw err;
  }
}

/** A model id in a path: its own segment, `/` encoded (docs/reference/rest.md accepts both forms). */
export const modelPath = (id: string, suffix = ''): string => `/api/v1/models/${encodeURIComponent(id)}${suffix}`;
