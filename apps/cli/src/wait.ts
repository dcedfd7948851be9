import type { RunnerView } from '@helix/contracts';
import type { ApiClient } from './api-client';
import { CliError, usageError } from './errors';
import type { Output } from './output';

/** Exit code of `--wait` / `runner wait` when the runners did not get in sync in time (the change itself was made). */
export const EXIT_TIMEOUT = 3;
export const DEFAULT_WAIT_TIMEOUT = '60s';
const POLL_MS = 500;

/** `--timeout 60s`: a number with ms, s, m or h (plain digits are seconds). */
export function parseDuration(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  const ms = m ? Number(m[1]) * unit[(m[2] ?? 's') as keyof typeof unit] : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 24 * 3_600_000)
    throw usageError(`--timeout must be a duration such as 60s, 2m or 500ms (at most 24h), got "${raw}"`);
  return Math.round(ms);
}

export interface SyncProgress {
  /** Online runners. */
  total: number;
  inSync: number;
  /** Online runners not in sync yet, with the global version each applied. */
  behind: Array<{ id: string; settings_version: number }>;
}

/** Online runners only: an offline runner replays every scope when it comes back (docs/reference/events.md). */
export function syncProgress(runners: RunnerView[], minVersion?: number): SyncProgress {
  const online = runners.filter((r) => r.state === 'online');
  const ok = (r: RunnerView): boolean => r.in_sync === true && (minVersion === undefined || (r.settings_version ?? 0) >= minVersion);
  const behind = online.filter((r) => !ok(r)).map((r) => ({ id: r.id, settings_version: r.settings_version }));
  return { total: online.length, inSync: online.length - behind.length, behind };
}

export const progressLine = (p: SyncProgress): string => `${p.inSync}/${p.total} runners in sync`;

export interface WaitOptions {
  timeoutMs: number;
  /** For a global change: the version each runner must report (in_sync covers every scope). */
  minVersion?: number;
  /** Print "k/n runners in sync" on stderr as it changes (a terminal). */
  progress: boolean;
  /** What was waited for, for the timeout message. */
  what: string;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Polls GET /api/v1/runners until every online runner is in sync (docs/reference/rest.md and docs/reference/events.md), or fails with
 * exit code 3 once the timeout has passed. A 403 (not an admin) says that waiting needs an admin key.
 */
export async function waitForRunnersInSync(client: ApiClient, out: Output, options: WaitOptions): Promise<SyncProgress> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  let shown = '';
  const show = (line: string, final = false): void => {
    if (!options.progress) return;
    if (line !== shown) out.raw('stderr', `\r${line}`);
    if (final) out.raw('stderr', '\n');
    shown = line;
  };
  for (;;) {
    let runners: RunnerView[];
    try {
      runners = (await client.get<RunnerView[]>('/api/v1/runners')) ?? [];
    } catch (err) {
      if (shown) show(shown, true);
      if (err instanceof CliError && /HTTP 403/.test(err.message)) {
        throw new CliError(`cannot wait for ${options.what}: reading the runners (GET /api/v1/runners) needs an admin API key`);
      }
      throw err;
    }
    const progress = syncProgress(runners, options.minVersion);
    show(progressLine(progress));
    if (progress.behind.length === 0) {
      show(progressLine(progress), true);
      return progress;
    }
    if (now() >= deadline) {
      show(progressLine(progress), true);
      const seconds = Math.round(options.timeoutMs / 100) / 10;
      const names = progress.behind.map((r) => `${r.id} (version ${r.settings_version})`).join(', ');
      throw new CliError(
        `timed out after ${seconds}s waiting for ${options.what}: ${progressLine(progress)}; not yet: ${names}. Check them with: helix runner list`,
        EXIT_TIMEOUT,
      );
    }
    await sleep(Math.max(0, Math.min(POLL_MS, deadline - now())));
  }
}
