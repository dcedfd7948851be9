// Live updates: each screen polls what it shows, once a second, with fetch and the Authorization
// header (docs/decisions.md: polling rather than a stream). A refusal (403, 404) is final for that
// screen: it is shown as text and not asked again, so a non-admin never floods the audit log.
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { ApiError, type Api } from './api';
import type { UserView } from '@helix/contracts';

export const POLL_MS = 1000;

export interface Session {
  api: Api;
  me: UserView;
  /** Signs out with a reason (an API key that stopped working). */
  expire(reason: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** Ask again now (after a change made from this screen). */
  refresh(): void;
}

const FINAL = new Set([403, 404]);

/** Calls `load` now and every POLL_MS while the tab is visible; `load` null means "nothing to ask". */
export function usePoll<T>(load: ((api: Api) => Promise<T>) | null, key: string, intervalMs = POLL_MS): Polled<T> {
  const { api, expire } = useSession();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      const current = loadRef.current;
      if (stopped || !current) return;
      if (document.hidden) {
        timer = setTimeout(() => void run(), intervalMs);
        return;
      }
      try {
        const value = await current(api);
        if (stopped) return;
        setData(value);
        setError(undefined);
      } catch (err) {
        if (stopped) return;
        const e = err instanceof ApiError ? err : new ApiError(0, 'client', 'The answer could not be read.');
        if (e.status === 401) return expire('Your API key is no longer accepted (401). Sign in again.');
        setError(e);
        if (FINAL.has(e.status)) {
          setData(undefined);
          return;
        }
      }
      timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, expire, key, tick, intervalMs]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, refresh };
}
