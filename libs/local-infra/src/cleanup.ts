import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

/**
 * Keeps child processes (NATS, Postgres, apps) from outliving the process that started them:
 * - on 'exit' every live child is signalled synchronously and temp dirs are removed;
 * - on SIGINT/SIGTERM/SIGHUP, if nobody else listens, the same happens and the signal is re-raised
 *   (if the host script has its own handler, it owns the shutdown and 'exit' is the backstop);
 * - a tiny `sh` watchdog per child holds a pipe to us: if we die hard (SIGKILL, OOM), the pipe
 *   closes and the watchdog signals the child.
 */
interface Tracked {
  pid: number;
  /** Signal the whole process group (child spawned detached). */
  group: boolean;
  signal: NodeJS.Signals;
  watchdog?: ChildProcess;
}

const live = new Set<Tracked>();
const tempDirs = new Set<string>();
const endHooks = new Set<() => void>();
let installed = false;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** True while pid exists and is not a zombie (our dead children stay zombies until the loop reaps them). */
function aliveSync(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: assume alive
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Children first: a port claim released by a hook must not point at a child still listening on it. */
function endSync(): void {
  killAllSync();
  for (const hook of endHooks) {
    try {
      hook();
    } catch {
      /* best effort: the other hooks still run */
    }
  }
}

function killAllSync(): void {
  const pids = [...live].map((t) => t.pid);
  for (const t of live) {
    try {
      process.kill(t.group ? -t.pid : t.pid, t.signal);
    } catch {
      /* already gone */
    }
    try {
      t.watchdog?.kill('SIGKILL');
    } catch {
      /* ignore */
    }
  }
  live.clear();
  // Let them finish dying before deleting their directories (postgres writes while shutting down).
  const deadline = Date.now() + 3000;
  while (pids.some(aliveSync) && Date.now() < deadline) sleepSync(20);
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      /* best effort: a dying postgres may still be writing */
    }
  }
  tempDirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', endSync);
  for (const sig of SIGNALS) {
    const handler = () => {
      if (process.listenerCount(sig) > 1) return; // the host script handles shutdown; 'exit' is the backstop
      endSync();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/**
 * Runs `hook` synchronously when this process ends: on 'exit', and on SIGINT/SIGTERM/SIGHUP when
 * nobody else handles them (a test runner ends its workers with SIGTERM, which skips 'exit').
 */
export function atProcessEnd(hook: () => void): () => void {
  install();
  endHooks.add(hook);
  return () => endHooks.delete(hook);
}

/** Registers a running child; returns an untrack function to call once it has exited. */
export function trackChild(
  child: ChildProcess,
  opts: { group: boolean; signal: NodeJS.Signals; /** removed by the watchdog once the orphan is dead */ orphanDir?: string },
): () => void {
  install();
  const pid = child.pid;
  if (pid === undefined) return () => undefined;
  const target = opts.group ? `-${pid}` : `${pid}`;
  let watchdog: ChildProcess | undefined;
  try {
    // `read` returns at EOF, i.e. when our end of the pipe closes because we died.
    const script = [
      'read _',
      `kill -${opts.signal.replace(/^SIG/, '')} ${target} 2>/dev/null`,
      ...(opts.orphanDir ? ['i=0; while kill -0 "$0" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; rm -rf -- "$1"'] : []),
    ].join(' ; ');
    watchdog = spawn('/bin/sh', ['-c', script, String(pid), opts.orphanDir ?? ''], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    watchdog.on('error', () => undefined);
    watchdog.stdin?.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  } catch {
    watchdog = undefined;
  }
  const t: Tracked = { pid, group: opts.group, signal: opts.signal, watchdog };
  live.add(t);
  return () => {
    live.delete(t);
    try {
      t.watchdog?.kill('SIGKILL');
    } catch {
      /* ignore */
    }
    t.watchdog?.stdin?.destroy();
  };
}

/** A directory removed on exit unless untracked (call the returned function after removing it yourself). */
export function trackTempDir(dir: string): () => void {
  install();
  tempDirs.add(dir);
  return () => tempDirs.delete(dir);
}

/** Waits for a child's 'exit' (resolves immediately if it already exited). */
export function waitChildExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolvePromise(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolvePromise(true);
    };
    child.once('exit', onExit);
  });
}

/** Signal, wait up to graceMs, then escalate through the remaining signals (last one is waited for unbounded-ish). */
export async function terminate(child: ChildProcess, steps: Array<{ signal: NodeJS.Signals; waitMs: number; group?: boolean }>): Promise<void> {
  for (const step of steps) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      if (step.group && child.pid) process.kill(-child.pid, step.signal);
      else child.kill(step.signal);
    } catch {
      /* gone */
    }
    if (await waitChildExit(child, step.waitMs)) return;
  }
  if (!(await waitChildExit(child, 5000))) throw new Error(`process ${child.pid} did not exit after SIGKILL`);
}
