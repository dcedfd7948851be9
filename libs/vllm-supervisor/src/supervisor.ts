import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { get as httpGet } from 'node:http';
import type { SlotError, SlotState, TokenSource } from '@helix/contracts';
import { redact, type Secret } from '@helix/secrets';
import { buildVllmArgs, stripOwnedFlags } from './args';
import { buildVllmEnv } from './env';
import { classifyLine, LineRing, LineSplitter } from './output';
import { PortAllocator } from './ports';

/** pino-compatible: `logger.info({ fields }, 'message')`. */
export interface SupervisorLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface BackoffOptions {
  /** Delay before the first restart; doubles with every consecutive failure. Default 1000. */
  initialMs?: number;
  /** Cap of the delay. Default 300000 (5 min). */
  maxMs?: number;
  /** Consecutive failed runs that are restarted; the next failure leaves the slot `failed`. */
  maxRestarts: number;
}

export interface VllmSupervisorOptions {
  /** The vLLM executable (HELIX_VLLM_BIN), e.g. `vllm` or `bin/vllm-sim`. */
  vllmBin: string;
  /** Address vLLM binds to (`--host`). Default 127.0.0.1. */
  host?: string;
  /** Host name in the reported endpoint, when it differs from `host` (e.g. binding 0.0.0.0). */
  advertiseHost?: string;
  /** Inclusive range vLLM ports are taken from. */
  portRange: [number, number];
  /** A process that has not answered GET /health with 200 by then fails with `start_timeout`. */
  startTimeoutMs: number;
  /** Poll interval of GET /health while starting. Default 500. */
  healthIntervalMs?: number;
  backoff: BackoffOptions;
  /** A run that was `running` at least this long resets the consecutive-failure count. Default 600000. */
  stableAfterMs?: number;
  /** Time between SIGTERM and SIGKILL to the process group. */
  stopGraceMs: number;
  /** Environment the allowlist is applied to. Default process.env. */
  baseEnv?: NodeJS.ProcessEnv;
  logger: SupervisorLogger;
  /** Every token value the runner knows (all scopes, env); scrubbed from every output line. */
  knownTokens: () => Iterable<Secret>;
  /** Output lines kept per slot. Default 200. */
  logLines?: number;
}

export interface StartSpec {
  slotId: string;
  modelId: string;
  contextLength?: number | null;
  runtimeArgs: readonly string[];
  token: Secret | null;
  tokenSource: TokenSource;
}

/** The states a supervised slot goes through (`scheduled` belongs to the models-service). */
export type SupervisedState = Extract<SlotState, 'starting' | 'running' | 'failed' | 'stopped'>;

/** Payload of the `status` event and item of `list()`. */
export interface SlotStatus {
  slotId: string;
  modelId: string;
  state: SupervisedState;
  /** Restarts after crashes / timeouts / OOM so far (never reset; auth retries do not count). */
  restarts: number;
  /** `http://host:port` of the current process (already while starting); null without a process. */
  endpoint: string | null;
  error: SlotError | null;
  hf_token_source: TokenSource;
  hf_token_fingerprint: string | null;
}

export interface ResolvedToken {
  token: Secret | null;
  source: TokenSource;
}

export const DEFAULT_BACKOFF_INITIAL_MS = 1_000;
export const DEFAULT_BACKOFF_MAX_MS = 300_000;
const STREAM_CLOSE_WAIT_MS = 2_000;
const MESSAGE_LINE_CHARS = 300;

/** Delay before restart number `restart` (1-based): initialMs doubling, capped at maxMs. */
export function backoffDelayMs(restart: number, initialMs: number, maxMs: number): number {
  const exponent = Math.min(Math.max(restart, 1) - 1, 60);
  return Math.min(maxMs, initialMs * 2 ** exponent);
}

interface Run {
  child: ChildProcess;
  pid: number | undefined;
  port: number;
  token: Secret | null;
  detected: { code: 'hf_auth' | 'oom'; line: string } | null;
  lastLine: string | null;
  spawnError: Error | null;
  timedOut: boolean;
  runningSince: number | null;
  finished: boolean;
  timers: Set<NodeJS.Timeout>;
  done: Promise<void>;
  resolveDone: () => void;
  streamsClosed: Promise<void>;
}

interface Slot {
  spec: StartSpec;
  status: SlotStatus;
  ring: LineRing;
  /** Consecutive failed runs (drives the backoff and the limit). */
  failures: number;
  run: Run | null;
  restartTimer: NodeJS.Timeout | null;
  stopping: Promise<void> | null;
  /** A token that arrived while this slot was starting: used by its next launch (see retryAuthFailed). */
  pendingToken: ResolvedToken | null;
}

export interface VllmSupervisor {
  on(event: 'status', listener: (status: SlotStatus) => void): this;
  once(event: 'status', listener: (status: SlotStatus) => void): this;
  off(event: 'status', listener: (status: SlotStatus) => void): this;
  emit(event: 'status', status: SlotStatus): boolean;
}

/**
 * Runs vLLM processes ("slots"): arguments, allowlisted environment with the token, ports, readiness,
 * restarts with backoff, Hugging Face auth parking, redacted output capture and process-group stops.
 * See libs/vllm-supervisor/README.md for the state machine.
 */
export class VllmSupervisor extends EventEmitter {
  private readonly slots = new Map<string, Slot>();
  private readonly ports: PortAllocator;
  private readonly host: string;
  private readonly endpointHost: string;
  private readonly pollHost: string;
  private readonly healthIntervalMs: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly stableAfterMs: number;
  private readonly logLines: number;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly log: SupervisorLogger;

  constructor(private readonly options: VllmSupervisorOptions) {
    super();
    this.host = options.host ?? '127.0.0.1';
    const advertised = options.advertiseHost ?? this.host;
    this.endpointHost = advertised.includes(':') ? `[${advertised}]` : advertised;
    this.pollHost = this.host === '0.0.0.0' ? '127.0.0.1' : this.host === '::' ? '::1' : this.host;
    this.ports = new PortAllocator(options.portRange[0], options.portRange[1], this.host);
    this.healthIntervalMs = options.healthIntervalMs ?? 500;
    this.initialMs = options.backoff.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.maxMs = options.backoff.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    this.stableAfterMs = options.stableAfterMs ?? 600_000;
    this.logLines = options.logLines ?? 200;
    this.baseEnv = options.baseEnv ?? process.env;
    this.log = options.logger;
  }

  /**
   * Starts a slot. Throws if a slot with this id is already active (starting, running or stopping);
   * a `failed` slot of that id is replaced. Progress is reported through `status` events.
   */
  start(spec: StartSpec): void {
    if (!spec.slotId) throw new Error('start: slotId is required');
    if (!spec.modelId) throw new Error('start: modelId is required');
    const existing = this.slots.get(spec.slotId);
    if (existing && (existing.status.state !== 'failed' || existing.stopping)) {
      throw new Error(`slot ${spec.slotId} is already supervised (state ${existing.status.state})`);
    }
    const slot: Slot = {
      spec: { ...spec, runtimeArgs: [...spec.runtimeArgs] },
      status: {
        slotId: spec.slotId,
        modelId: spec.modelId,
        state: 'starting',
        restarts: 0,
        endpoint: null,
        error: null,
        hf_token_source: 'none',
        hf_token_fingerprint: null,
      },
      ring: existing?.ring ?? new LineRing(this.logLines),
      failures: 0,
      run: null,
      restartTimer: null,
      stopping: null,
      pendingToken: null,
    };
    this.applyToken(slot, { token: spec.token, source: spec.tokenSource });
    this.slots.set(spec.slotId, slot);
    this.emitStatus(slot);
    this.launch(slot);
  }

  /**
   * Starts again every slot parked in `hf_auth`, with the token `resolve` gives for it. The runner
   * calls this whenever a new token version arrives (also when the same token was set again: access
   * may have been granted on huggingface.co meanwhile). Slots still starting get the new token too:
   * should their current attempt end in hf_auth, they restart at once instead of parking. Auth
   * retries do not count as restarts and start a fresh backoff sequence. Returns the restarted ids.
   */
  retryAuthFailed(resolve: (slot: SlotStatus) => ResolvedToken): string[] {
    const restarted: string[] = [];
    for (const slot of this.slots.values()) {
      if (slot.stopping) continue;
      if (this.isParked(slot)) {
        this.relaunchNow(slot, resolve({ ...slot.status }));
        restarted.push(slot.status.slotId);
      } else if (slot.status.state === 'starting') {
        slot.pendingToken = resolve({ ...slot.status });
      }
    }
    return restarted;
  }

  /**
   * Starts one `failed` slot (any error, typically hf_auth) again with `token`; for a slot still
   * starting the token is kept for its next attempt. Returns false for unknown, running or stopping
   * slots.
   */
  retryWithToken(slotId: string, token: Secret | null, tokenSource: TokenSource): boolean {
    const slot = this.slots.get(slotId);
    if (!slot || slot.stopping) return false;
    if (slot.status.state === 'failed' && !slot.run && !slot.restartTimer) {
      this.relaunchNow(slot, { token, source: tokenSource });
      return true;
    }
    if (slot.status.state === 'starting') {
      slot.pendingToken = { token, source: tokenSource };
      return true;
    }
    return false;
  }

  /**
   * SIGTERM to the slot's process group, SIGKILL after stopGraceMs; resolves once the process exited
   * (and its group was killed), after emitting `stopped`. The slot is then forgotten (not in list()).
   * Unknown ids resolve at once; a second call returns the same promise.
   */
  stop(slotId: string): Promise<void> {
    const slot = this.slots.get(slotId);
    if (!slot) return Promise.resolve();
    if (slot.stopping) return slot.stopping;
    slot.stopping = (async () => {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = null;
      slot.pendingToken = null;
      const run = slot.run;
      if (run) {
        this.log.info({ slot_id: slotId, model: slot.spec.modelId, pid: run.pid }, 'stopping vllm');
        this.terminate(run);
        await run.done;
      }
      this.setStatus(slot, { state: 'stopped', endpoint: null, error: null });
      if (this.slots.get(slotId) === slot) this.slots.delete(slotId);
      this.log.info({ slot_id: slotId, model: slot.spec.modelId }, 'vllm stopped');
    })();
    return slot.stopping;
  }

  /** Stops every slot (in parallel). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((id) => this.stop(id)));
  }

  /**
   * SIGKILL to every slot's process group, synchronously, and no more restarts: for a process 'exit'
   * handler, where nothing asynchronous runs any more.
   */
  killAllSync(): void {
    for (const slot of this.slots.values()) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = null;
      slot.stopping ??= Promise.resolve();
      if (slot.run) {
        this.clearRunTimers(slot.run);
        killGroup(slot.run.pid, 'SIGKILL');
      }
    }
  }

  /** Current status of every slot that has not been stopped. */
  list(): SlotStatus[] {
    return [...this.slots.values()].map((s) => ({ ...s.status }));
  }

  status(slotId: string): SlotStatus | undefined {
    const slot = this.slots.get(slotId);
    return slot ? { ...slot.status } : undefined;
  }

  /** The last `logLines` (200) lines of stdout+stderr of the slot, across restarts, tokens redacted. */
  logs(slotId: string): string[] {
    return this.slots.get(slotId)?.ring.toArray() ?? [];
  }

  /** The pid (= process group id) of the slot's current vLLM process, if one is alive. */
  pid(slotId: string): number | null {
    const run = this.slots.get(slotId)?.run;
    return run && !run.finished ? (run.pid ?? null) : null;
  }

  // ------------------------------------------------------------------------------------------------

  private isParked(slot: Slot): boolean {
    return slot.status.state === 'failed' && slot.status.error?.code === 'hf_auth' && !slot.run && !slot.restartTimer;
  }

  private relaunchNow(slot: Slot, resolved: ResolvedToken): void {
    slot.pendingToken = null;
    slot.failures = 0;
    this.applyToken(slot, resolved);
    this.log.info(
      {
        slot_id: slot.status.slotId,
        model: slot.spec.modelId,
        hf_token_source: slot.status.hf_token_source,
        hf_token_fingerprint: slot.status.hf_token_fingerprint,
      },
      'retrying vllm with a new hugging face token',
    );
    this.setStatus(slot, { state: 'starting', endpoint: null, error: null });
    this.launch(slot);
  }

  private applyToken(slot: Slot, resolved: ResolvedToken): void {
    // An empty token is no token; without a token the source is `none`, whatever the caller said.
    const token = resolved.token && resolved.token.reveal().length > 0 ? resolved.token : null;
    slot.spec.token = token;
    slot.spec.tokenSource = token ? resolved.source : 'none';
    slot.status.hf_token_source = slot.spec.tokenSource;
    slot.status.hf_token_fingerprint = token ? token.fingerprint : null;
  }

  private secretsFor(slot: Slot, extra: Secret | null = null): Secret[] {
    const secrets = [...this.options.knownTokens()];
    if (slot.spec.token) secrets.push(slot.spec.token);
    if (slot.pendingToken?.token) secrets.push(slot.pendingToken.token);
    if (extra) secrets.push(extra);
    return secrets;
  }

  private launch(slot: Slot): void {
    this.spawnRun(slot).catch((err: unknown) => {
      // A bug, not a vLLM failure: make it visible instead of leaving the slot `starting` forever.
      const message = redact(err instanceof Error ? err.message : String(err), this.secretsFor(slot));
      this.log.error({ slot_id: slot.status.slotId, err: message }, 'vllm supervisor error');
      if (!slot.stopping && !slot.run) this.fail(slot, { code: 'crash', message: `supervisor error: ${message}` });
    });
  }

  private async spawnRun(slot: Slot): Promise<void> {
    const { slotId, modelId } = slot.status;
    let port: number;
    try {
      port = await this.ports.allocate();
    } catch (err) {
      if (slot.stopping) return;
      this.fail(slot, { code: 'no_capacity', message: `cannot start ${modelId}: ${(err as Error).message}` });
      return;
    }
    if (slot.stopping || this.slots.get(slotId) !== slot) {
      this.ports.release(port);
      return;
    }
    if (slot.pendingToken) {
      this.applyToken(slot, slot.pendingToken);
      slot.pendingToken = null;
    }
    const { spec } = slot;
    const args = buildVllmArgs({ modelId, host: this.host, port, contextLength: spec.contextLength, runtimeArgs: spec.runtimeArgs });
    const secrets = this.secretsFor(slot);
    const removed = stripOwnedFlags(spec.runtimeArgs).removed;
    if (removed.length > 0) {
      this.log.warn({ slot_id: slotId, model: modelId, flags: removed.map((f) => `--${f}`) }, 'removed runtime args the supervisor sets itself');
    }
    this.log.debug(
      {
        slot_id: slotId,
        model: modelId,
        hf_token_provided: spec.token !== null,
        hf_token_source: spec.tokenSource,
        args: args.map((a) => redact(a, secrets)),
      },
      'NewVLLMRuntime received args',
    );

    let resolveDone!: () => void;
    let child: ChildProcess;
    try {
      child = spawn(this.options.vllmBin, args, {
        env: buildVllmEnv(this.baseEnv, spec.token),
        detached: true, // own process group: stop() signals vLLM and all its workers at once
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // Invalid arguments (e.g. a NUL byte in a runtime arg) throw synchronously: not worth retrying.
      this.ports.release(port);
      this.fail(slot, { code: 'crash', message: `could not start ${this.options.vllmBin}: ${redact((err as Error).message, secrets)}` });
      return;
    }
    const run: Run = {
      child,
      pid: child.pid,
      port,
      token: spec.token,
      detected: null,
      lastLine: null,
      spawnError: null,
      timedOut: false,
      runningSince: null,
      finished: false,
      timers: new Set(),
      done: new Promise<void>((r) => (resolveDone = r)),
      resolveDone: () => resolveDone(),
      streamsClosed: Promise.all(
        [child.stdout, child.stderr].map((s) => new Promise<void>((r) => (s ? s.once('close', () => r()) : r()))),
      ).then(() => undefined),
    };
    slot.run = run;

    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!stream) continue;
      const splitter = new LineSplitter(
        (line) => this.onLine(slot, run, name, line),
        (line) => redact(line, this.secretsFor(slot, run.token)),
      );
      stream.on('data', (chunk: Buffer) => splitter.push(chunk));
      stream.once('close', () => splitter.end());
    }
    child.once('exit', (code, signal) => void this.finishRun(slot, run, code, signal));
    child.on('error', (err) => {
      // Spawn failures (ENOENT, EACCES) come without a pid and usually without 'exit'.
      if (run.pid === undefined) {
        run.spawnError = err;
        void this.finishRun(slot, run, null, null);
      } else {
        this.log.warn({ slot_id: slotId, err: err.message }, 'vllm process error');
      }
    });
    if (run.pid === undefined) return;

    this.log.info({ slot_id: slotId, model: modelId, pid: run.pid, port }, 'vllm process started');
    this.setStatus(slot, { endpoint: `http://${this.endpointHost}:${port}` });
    this.addTimer(run, this.options.startTimeoutMs, () => {
      if (run.runningSince !== null || run.finished) return;
      run.timedOut = true;
      this.log.warn({ slot_id: slotId, model: modelId, timeout_ms: this.options.startTimeoutMs }, 'vllm start timed out');
      this.terminate(run);
    });
    this.pollHealth(slot, run);
  }

  private onLine(slot: Slot, run: Run, stream: 'stdout' | 'stderr', line: string): void {
    slot.ring.push(line);
    if (line.trim().length > 0) run.lastLine = line;
    const code = classifyLine(line);
    // hf_auth outranks oom: a process that could not download its config never got to allocate memory.
    if (code && (!run.detected || (code === 'hf_auth' && run.detected.code !== 'hf_auth'))) {
      run.detected = { code, line };
    }
    this.log.debug({ slot_id: slot.status.slotId, stream, line }, 'vllm output');
  }

  private pollHealth(slot: Slot, run: Run): void {
    const poll = () => {
      if (run.finished || run.timedOut || run.runningSince !== null) return;
      const req = httpGet(
        { host: this.pollHost, port: run.port, path: '/health', timeout: Math.max(1_000, this.healthIntervalMs) },
        (res) => {
          res.resume();
          if (res.statusCode === 200) this.markRunning(slot, run);
          else next();
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => next());
    };
    const next = () => {
      if (!run.finished && !run.timedOut && run.runningSince === null) this.addTimer(run, this.healthIntervalMs, poll);
    };
    this.addTimer(run, Math.min(this.healthIntervalMs, 100), poll);
  }

  private markRunning(slot: Slot, run: Run): void {
    if (run.finished || run.timedOut || run.runningSince !== null || slot.run !== run || slot.stopping) return;
    run.runningSince = Date.now();
    slot.pendingToken = null;
    this.setStatus(slot, { state: 'running', error: null });
    this.log.info({ slot_id: slot.status.slotId, model: slot.spec.modelId, endpoint: slot.status.endpoint }, 'vllm ready');
  }

  /** After the leader exited: kill what is left of its group, collect output, free the port, decide. */
  private async finishRun(slot: Slot, run: Run, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (run.finished) return;
    run.finished = true;
    this.clearRunTimers(run);
    killGroup(run.pid, 'SIGKILL'); // workers left behind by a crashed or stopped vLLM hold GPU memory
    let fallback: NodeJS.Timeout | undefined;
    await Promise.race([run.streamsClosed, new Promise<void>((r) => (fallback = setTimeout(r, STREAM_CLOSE_WAIT_MS)))]);
    clearTimeout(fallback);
    run.child.stdout?.destroy();
    run.child.stderr?.destroy();
    this.ports.release(run.port);
    if (slot.run === run) slot.run = null;
    run.resolveDone();
    if (slot.stopping || this.slots.get(slot.status.slotId) !== slot) return;
    this.onUnexpectedExit(slot, run, code, signal);
  }

  private onUnexpectedExit(slot: Slot, run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    const { slotId, modelId } = slot.status;
    const exit = run.spawnError
      ? `could not start ${this.options.vllmBin}: ${run.spawnError.message}`
      : signal
        ? `killed by ${signal}`
        : `exit code ${code}`;
    this.log.warn({ slot_id: slotId, model: modelId, pid: run.pid, code, signal, detected: run.detected?.code ?? null }, 'vllm exited');

    if (run.runningSince !== null && Date.now() - run.runningSince >= this.stableAfterMs) slot.failures = 0;

    if (run.detected?.code === 'hf_auth') {
      if (slot.pendingToken) {
        this.relaunchNow(slot, slot.pendingToken);
        return;
      }
      const source = slot.status.hf_token_source;
      const which = slot.spec.token
        ? `the Hugging Face token in use (source ${source}, ${slot.status.hf_token_fingerprint}) was refused`
        : 'no Hugging Face token was provided';
      this.fail(slot, {
        code: 'hf_auth',
        message:
          `Hugging Face denied access to ${modelId} (gated or private repository): ${which}. ` +
          'Set or fix the Hugging Face token, e.g. `helix system settings set --huggingface-token-stdin`, ' +
          "and make sure its account has been granted access to the model on huggingface.co; the slot " +
          'starts again automatically when a new token reaches the runner.',
      });
      return;
    }

    let error: SlotError;
    if (run.detected?.code === 'oom') {
      error = { code: 'oom', message: `vLLM ran out of GPU memory starting ${modelId}: ${clip(run.detected.line)}` };
    } else if (run.timedOut) {
      error = {
        code: 'start_timeout',
        message: `vLLM did not become ready (GET /health) within ${this.options.startTimeoutMs} ms for ${modelId}`,
      };
    } else {
      const last = run.lastLine ? `; last output: ${clip(run.lastLine)}` : '';
      error = { code: 'crash', message: `vLLM exited unexpectedly (${exit})${last}` };
    }

    const max = this.options.backoff.maxRestarts;
    if (slot.failures >= max) {
      this.fail(slot, { code: error.code, message: `${error.message} (gave up after ${slot.status.restarts} restarts)` });
      return;
    }
    slot.failures += 1;
    const delay = backoffDelayMs(slot.failures, this.initialMs, this.maxMs);
    this.log.warn({ slot_id: slotId, model: modelId, error, restart: slot.failures, max_restarts: max, delay_ms: delay }, 'restarting vllm');
    this.setStatus(slot, { state: 'starting', endpoint: null, error, restarts: slot.status.restarts + 1 });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (!slot.stopping) this.launch(slot);
    }, delay);
  }

  private fail(slot: Slot, error: SlotError): void {
    this.setStatus(slot, { state: 'failed', endpoint: null, error });
    const fields = {
      slot_id: slot.status.slotId,
      model: slot.spec.modelId,
      error,
      restarts: slot.status.restarts,
      hf_token_source: slot.status.hf_token_source,
      hf_token_fingerprint: slot.status.hf_token_fingerprint,
      last_lines: slot.ring.toArray().slice(-20),
    };
    if (error.code === 'hf_auth') this.log.warn(fields, 'vllm waits for a hugging face token');
    else this.log.error(fields, 'vllm failed');
  }

  private terminate(run: Run): void {
    if (run.finished) return;
    killGroup(run.pid, 'SIGTERM');
    this.addTimer(run, this.options.stopGraceMs, () => {
      if (run.finished) return;
      this.log.warn({ pid: run.pid, grace_ms: this.options.stopGraceMs }, 'vllm ignored SIGTERM; sending SIGKILL');
      killGroup(run.pid, 'SIGKILL');
    });
  }

  private addTimer(run: Run, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      run.timers.delete(timer);
      fn();
    }, ms);
    run.timers.add(timer);
  }

  private clearRunTimers(run: Run): void {
    for (const t of run.timers) clearTimeout(t);
    run.timers.clear();
  }

  private setStatus(slot: Slot, patch: Partial<Pick<SlotStatus, 'state' | 'endpoint' | 'error' | 'restarts'>>): void {
    const before = slot.status;
    const after = { ...before, ...patch };
    const changed = (Object.keys(patch) as (keyof typeof patch)[]).some((k) =>
      k === 'error' ? JSON.stringify(before.error) !== JSON.stringify(after.error) : before[k] !== after[k],
    );
    slot.status = after;
    if (changed) this.emitStatus(slot);
  }

  private emitStatus(slot: Slot): void {
    this.emit('status', { ...slot.status, error: slot.status.error ? { ...slot.status.error } : null });
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

function clip(line: string): string {
  const trimmed = line.trim();
  return trimmed.length > MESSAGE_LINE_CHARS ? `${trimmed.slice(0, MESSAGE_LINE_CHARS)}…` : trimmed;
}


