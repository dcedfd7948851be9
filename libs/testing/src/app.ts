import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { onLines, repoRoot, sleep, trackChild, waitChildExit } from '@helix/local-infra';

export interface SpawnAppOptions {
  /** Working directory (default: repo root). */
  cwd?: string;
  /** Script to run with `node` (default: <repo root>/dist/apps/<name>/main.js). */
  entry?: string;
  /** Extra CLI arguments after the entry. */
  args?: string[];
  /** Extra node flags before the entry (e.g. --enable-source-maps). */
  nodeArgs?: string[];
  /** Mirror every captured line to this process's stderr, prefixed by the app name (debugging only). */
  echo?: boolean;
}

export interface AppProcess {
  readonly name: string;
  readonly pid: number;
  /** Every stdout and stderr line, in arrival order. */
  readonly lines: string[];
  /** The lines that parse as JSON objects (pino output). */
  json(): any[];
  /** First JSON line (past or future) matching predicate; rejects on timeout or exit, with the last 30 lines. */
  waitFor(predicate: (line: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Exit code (null if killed by a signal) once the process has exited and its output is drained. */
  waitForExit(timeoutMs?: number): Promise<number | null>;
  /** Send signal, wait up to timeoutMs, then SIGKILL the process group. Returns the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** SIGKILL the whole process group, now. */
  kill(): void;
  readonly exited: boolean;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  /** Last n captured lines joined by newlines. */
  tail(n?: number): string;
}

const BASE_ENV_KEYS = ['PATH', 'HOME', 'LANG'] as const;
const allApps: AppRecord[] = [];

interface AppRecord {
  name: string;
  pid: number;
  lines: string[];
}

/** Every line captured from every app spawned by this process, one text per app (for secret scans). */
export function capturedLogs(): Array<{ label: string; text: string }> {
  return allApps.map((a) => ({ label: `${a.name}[pid ${a.pid}] output`, text: a.lines.join('\n') }));
}

function tryParse(line: string): any {
  const t = line.trimStart();
  if (!t.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(t);
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

interface Waiter {
  predicate: (line: any) => boolean;
  resolve: (line: any) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

class App implements AppProcess {
  readonly lines: string[] = [];
  private readonly parsed: any[] = [];
  private readonly waiters = new Set<Waiter>();
  private closed = false;
  private readonly closedPromise: Promise<void>;
  private readonly untrack: () => void;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    echo: boolean,
  ) {
    allApps.push({ name, pid: child.pid ?? -1, lines: this.lines });
    const onLine = (line: string) => {
      this.lines.push(line);
      if (echo) process.stderr.write(`[${name}] ${line}\n`);
      const obj = tryParse(line);
      if (obj === undefined) return;
      this.parsed.push(obj);
      for (const w of this.waiters) if (matches(w.predicate, obj)) this.settle(w, () => w.resolve(obj));
    };
    onLines(child.stdout, onLine);
    onLines(child.stderr, onLine);
    this.untrack = trackChild(child, { group: true, signal: 'SIGKILL' });
    child.once('exit', () => this.untrack());
    this.closedPromise = new Promise((res) => {
      child.once('close', () => {
        this.closed = true;
        for (const w of this.waiters) {
          this.settle(w, () =>
            w.reject(new Error(`${this.name} exited (${this.describeExit()}) before a matching log line; last 30 lines:\n${this.tail(30)}`)),
          );
        }
        res();
      });
      child.once('error', (err) => {
        this.lines.push(`[spawn error] ${err.message}`);
        if (child.pid === undefined) {
          this.closed = true;
          res();
        }
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null || (this.closed && this.child.pid === undefined);
  }
  get exitCode(): number | null {
    return this.child.exitCode;
  }
  get signalCode(): NodeJS.Signals | null {
    return this.child.signalCode;
  }

  private describeExit(): string {
    return this.child.signalCode ? `signal ${this.child.signalCode}` : `code ${this.child.exitCode}`;
  }

  private settle(w: Waiter, fn: () => void): void {
    if (!this.waiters.delete(w)) return;
    clearTimeout(w.timer);
    fn();
  }

  tail(n = 30): string {
    return this.lines.slice(-n).join('\n');
  }

  json(): any[] {
    return [...this.parsed];
  }

  waitFor(predicate: (line: any) => boolean, timeoutMs = 15_000): Promise<any> {
    const past = this.parsed.find((obj) => matches(predicate, obj));
    if (past !== undefined) return Promise.resolve(past);
    if (this.closed) {
      return Promise.reject(new Error(`${this.name} has exited (${this.describeExit()}) without a matching log line; last 30 lines:\n${this.tail(30)}`));
    }
    return new Promise((res, rej) => {
      const w: Waiter = {
        predicate,
        resolve: res,
        reject: rej,
        timer: setTimeout(() => {
          this.settle(w, () => rej(new Error(`${this.name}: no matching log line within ${timeoutMs} ms; last 30 lines:\n${this.tail(30)}`)));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  async waitForExit(timeoutMs = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), timeoutMs)));
    const r = await Promise.race([this.closedPromise.then(() => 'closed' as const), timeout]);
    clearTimeout(timer);
    if (r === 'timeout') throw new Error(`${this.name} (pid ${this.pid}) did not exit within ${timeoutMs} ms; last 30 lines:\n${this.tail(30)}`);
    return this.child.exitCode;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (!this.exited) {
      try {
        this.child.kill(signal);
      } catch {
        /* gone */
      }
      if (!(await waitChildExit(this.child, timeoutMs))) this.kill();
    }
    await waitChildExit(this.child, 10_000);
    // Reap anything the app left in its process group (they could hold our pipes open).
    this.killGroup();
    await this.waitForExit(10_000);
    return this.child.exitCode;
  }

  kill(): void {
    this.killGroup();
    try {
      this.child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }

  private killGroup(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      /* no such group */
    }
  }
}

function matches(predicate: (line: any) => boolean, obj: any): boolean {
  try {
    return !!predicate(obj);
  } catch {
    return false;
  }
}

/**
 * Runs `node <entry>` (default dist/apps/<name>/main.js) in its own process group with a minimal
 * environment (PATH, HOME, LANG) plus `env`, capturing stdout and stderr lines in memory.
 */
export function spawnApp(name: string, env: Record<string, string>, opts: SpawnAppOptions = {}): AppProcess {
  const cwd = opts.cwd ?? repoRoot();
  const entry = opts.entry ? resolve(cwd, opts.entry) : join(repoRoot(), 'dist', 'apps', name, 'main.js');
  const baseEnv: Record<string, string> = {};
  for (const k of BASE_ENV_KEYS) {
    const v = process.env[k];
    if (v !== undefined) baseEnv[k] = v;
  }
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), entry, ...(opts.args ?? [])], {
    cwd,
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return new App(name, child, opts.echo ?? process.env['HELIX_TEST_ECHO'] === '1');
}

/** Polls url until it answers with the expected status (default 200). */
export async function waitForHttp(url: string, timeoutMs = 15_000, expectStatus = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(2000, Math.max(100, deadline - Date.now()))) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === expectStatus) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`waitForHttp(${url}): not ${expectStatus} within ${timeoutMs} ms (last: ${last})`);
    await sleep(100);
  }
}
