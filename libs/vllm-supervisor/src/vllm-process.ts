import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { redact, type Secret } from '@helix/secrets';
import { resolveExecutable } from './executable';
import { LineSplitter } from './output';

/** pino-compatible: `logger.info({ fields }, 'message')`. */
export interface SupervisorLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Everything one vLLM process needs; the token is in `env` only, never in `args`. */
export interface LaunchSpec {
  bin: string;
  args: readonly string[];
  env: Record<string, string>;
  /** GET http://healthHost:port/health is polled until it answers 200. */
  healthHost: string;
  port: number;
  healthIntervalMs: number;
  /** Read for every line (the runner's tokens change while a process runs). */
  secrets: () => readonly Secret[];
  /** Every output line, already redacted. */
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  logger: SupervisorLogger;
  /** Context added to this process's own log lines (e.g. the slot id). */
  logFields: object;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the executable could not be started at all (ENOENT, EACCES), redacted; null if it ran. */
  spawnError: string | null;
}

/** One running vLLM process, as the supervisor sees it (a fake implements it in policy tests). */
export interface VllmProcessHandle {
  /** Also its process group id; undefined when it could not be spawned. */
  readonly pid: number | undefined;
  /** Resolves on the first 200 from GET /health; never settles if the process exits first. */
  readonly ready: Promise<void>;
  /** Resolves once the process exited, its group was killed and its output was read to the end. */
  readonly exited: Promise<ExitInfo>;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves like `exited`. */
  terminate(graceMs: number): Promise<ExitInfo>;
  /** SIGKILL to the process group, synchronously (for a process 'exit' handler). */
  killNow(): void;
}

export type Launch = (spec: LaunchSpec) => VllmProcessHandle;

/** Another user for vLLM than the runner's (the runner must be root to switch). */
export interface VllmUser {
  uid: number;
  gid: number;
}

/** How long the output pipes may stay open after the leader exited (a stray holder of the pipe). */
const STREAM_CLOSE_WAIT_MS = 2_000;

/**
 * One vLLM process in its own process group: spawn (optionally through `wrapper`, e.g. setpriv),
 * line capture with by-value redaction, readiness polling and the SIGTERM → SIGKILL ladder. It knows
 * nothing of slots, restarts or tokens beyond scrubbing them.
 */
export class VllmProcess implements VllmProcessHandle {
  readonly ready: Promise<void>;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess | null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly markReady: () => void;
  private finished = false;
  private terminating = false;
  private isReady = false;
  private resolveExited!: (exit: ExitInfo) => void;

  /**
   * Throws synchronously when the command line itself is unusable (e.g. a NUL byte in an argument):
   * retrying cannot help. A missing or non-executable binary is reported through `exited` instead.
   */
  static start(spec: LaunchSpec, wrapper: readonly string[] = [], identity: VllmUser | null = null): VllmProcess {
    return new VllmProcess(spec, wrapper, identity);
  }

  private constructor(
    private readonly spec: LaunchSpec,
    wrapper: readonly string[],
    identity: VllmUser | null,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.markReady = markReady;

    let file: string;
    try {
      file = resolveExecutable(spec.bin, spec.env.PATH);
    } catch (err) {
      this.child = null;
      void this.finish(null, null, err as Error);
      return;
    }
    const [command, ...args] = [...wrapper, file, ...spec.args];
    this.child = spawn(command, args, {
      env: spec.env,
      detached: true, // own process group: vLLM and all its workers are signalled at once
      stdio: ['ignore', 'pipe', 'pipe'],
      // libuv drops the supplementary groups when it changes the user.
      ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
    });
    this.capture();
    if (this.child.pid !== undefined) this.pollHealth();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  terminate(graceMs: number): Promise<ExitInfo> {
    if (!this.finished && !this.terminating) {
      this.terminating = true;
      this.signalGroup('SIGTERM');
      this.addTimer(graceMs, () => {
        this.spec.logger.warn({ ...this.spec.logFields, pid: this.pid, grace_ms: graceMs }, 'vllm ignored SIGTERM; sending SIGKILL');
        this.signalGroup('SIGKILL');
      });
    }
    return this.exited;
  }

  killNow(): void {
    this.clearTimers();
    this.signalGroup('SIGKILL');
  }

  private capture(): void {
    const child = this.child!;
    const streamsClosed = Promise.all([child.stdout, child.stderr].map((s) => new Promise<void>((r) => (s ? s.once('close', () => r()) : r()))));
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!stream) continue;
      // Lines are split before redaction, so a token cut across two chunks is still caught.
      const splitter = new LineSplitter(
        (line) => this.spec.onLine(name, line),
        (line) => redact(line, this.spec.secrets()),
      );
      stream.on('data', (chunk: Buffer) => splitter.push(chunk));
      stream.once('close', () => splitter.end());
    }
    child.once('exit', (code, signal) => void this.finish(code, signal, null, streamsClosed));
    child.on('error', (err) => {
      // Spawn failures (ENOENT, EACCES of the wrapper) come without a pid and usually without 'exit'.
      if (child.pid === undefined) void this.finish(null, null, err, streamsClosed);
      else this.spec.logger.warn({ ...this.spec.logFields, err: redact(err.message, this.spec.secrets()) }, 'vllm process error');
    });
  }

  private pollHealth(): void {
    const polling = () => !this.finished && !this.terminating && !this.isReady;
    const next = () => {
      if (polling()) this.addTimer(this.spec.healthIntervalMs, poll);
    };
    const poll = () => {
      if (!polling()) return;
      const req = httpGet(
        { host: this.spec.healthHost, port: this.spec.port, path: '/health', timeout: Math.max(1_000, this.spec.healthIntervalMs) },
        (res) => {
          res.resume();
          if (res.statusCode === 200 && polling()) {
            this.isReady = true;
            this.markReady();
          } else next();
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => next());
    };
    this.addTimer(Math.min(this.spec.healthIntervalMs, 100), poll);
  }

  /** After the leader exited: kill what is left of its group, read the output to the end, report. */
  private async finish(code: number | null, signal: NodeJS.Signals | null, spawnError: Error | null, streamsClosed?: Promise<unknown>): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    this.signalGroup('SIGKILL'); // workers left behind by a crashed or stopped vLLM hold GPU memory
    if (streamsClosed) {
      let fallback: NodeJS.Timeout | undefined;
      await Promise.race([streamsClosed, new Promise<void>((r) => (fallback = setTimeout(r, STREAM_CLOSE_WAIT_MS)))]);
      clearTimeout(fallback);
      this.child?.stdout?.destroy();
      this.child?.stderr?.destroy();
    }
    this.resolveExited({ code, signal, spawnError: spawnError ? redact(spawnError.message, this.spec.secrets()) : null });
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  private addTimer(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
