import { EventEmitter } from 'node:events';
import type { SlotError, SlotState, TokenSource } from '@helix/contracts';
import { redact, type Secret } from '@helix/secrets';
import { buildVllmArgs, stripOwnedFlags } from './args';
import { buildVllmEnv, gpuEnv } from './env';
import { vllmLauncher } from './launcher';
import { classifyLine, LineRing } from './output';
import { hfAuthFailures, vllmRestarts } from './metrics';
import { PortAllocator } from './ports';
import type { ExitInfo, Launch, SupervisorLogger, VllmProcessHandle } from './vllm-process';

export interface BackoffOptions {
  /** Delay before the first restart; doubles with every consecutive failure. Default 1000. */
  initialMs?: number;
  /** Cap of the delay. Default 300000 (5 min). */
  maxMs?: number;
  /** Consecutive failed runs that are restarted; the next failure leaves the slot `failed`. */
  maxRestarts: number;
}

/** Where ports come from; the default checks each port of `portRange` with a bind test. */
export type PortPool = Pick<PortAllocator, 'allocate' | 'release'>;

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
  /** Starts one process. Default: real processes that die with the runner (vllmLauncher). */
  launch?: Launch;
  /** Default: a PortAllocator over `portRange`. */
  ports?: PortPool;
}

export interface StartSpec {
  slotId: string;
  modelId: string;
  contextLength?: number | null;
  runtimeArgs: readonly string[];
  /** As resolved by the runner's TokenStore (which already turned an empty token into none). */
  token: Secret | null;
  tokenSource: TokenSource;
  /** CUDA indices of the slot's GPUs: CUDA_VISIBLE_DEVICES, and tensor parallel over all of them. */
  gpus?: readonly number[];
  /** The slot's share of each of its GPUs (0-1), for `--gpu-memory-utilization`. */
  gpuMemoryUtilization?: number | null;
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
  hfTokenSource: TokenSource;
  hfTokenFingerprint: string | null;
}

export const DEFAULT_BACKOFF_INITIAL_MS = 1_000;
export const DEFAULT_BACKOFF_MAX_MS = 300_000;
const MESSAGE_LINE_CHARS = 300;

/** Delay before restart number `restart` (1-based): initialMs doubling, capped at maxMs. */
export function backoffDelayMs(restart: number, initialMs: number, maxMs: number): number {
  const exponent = Math.min(Math.max(restart, 1) - 1, 60);
  return Math.min(maxMs, initialMs * 2 ** exponent);
}

/** One process of a slot. */
interface Run {
  proc: VllmProcessHandle;
  port: number;
  output: RunOutput;
  timedOut: boolean;
  startTimer?: NodeJS.Timeout;
}

/** What the output of a run said so far. */
interface RunOutput {
  detected: { code: 'hf_auth' | 'oom'; line: string } | null;
  lastLine: string | null;
}

/** Where a slot is in its life; the reported `state` follows from it (see STATE_OF). */
export type SlotPhase =
  | { kind: 'launching' } // waiting for a port
  | { kind: 'starting'; run: Run } // spawned, GET /health not 200 yet
  | { kind: 'running'; run: Run; since: number }
  | { kind: 'backoff'; timer: NodeJS.Timeout } // waiting to restart after a failure
  | { kind: 'parked' } // hf_auth: waits for a new token (retryParked)
  | { kind: 'failed' } // given up; start() may replace it
  | { kind: 'stopping'; done: Promise<void> };

const STATE_OF: Record<Exclude<SlotPhase['kind'], 'stopping'>, SupervisedState> = {
  launching: 'starting',
  starting: 'starting',
  running: 'running',
  backoff: 'starting',
  parked: 'failed',
  failed: 'failed',
};

interface Slot {
  spec: StartSpec;
  status: SlotStatus;
  phase: SlotPhase;
  /** Output of every run of the slot, tokens redacted. */
  ring: LineRing;
  /** Consecutive failed runs (drives the backoff and the limit). */
  failures: number;
  /** A token that arrived while the slot was starting: used by its next launch (see retryParked). */
  nextToken: { token: Secret | null; source: TokenSource } | null;
}

/**
 * The policy over vLLM processes ("slots"): ports, arguments and environment, readiness deadline,
 * restarts with backoff, Hugging Face auth parking and stops. One process is a VllmProcess (or what
 * `launch` returns). See libs/vllm-supervisor/README.md for the state machine.
 */
export class VllmSupervisor extends EventEmitter<{ status: [SlotStatus] }> {
  private readonly slots = new Map<string, Slot>();
  private readonly ports: PortPool;
  private readonly launchProcess: Launch;
  private readonly host: string;
  private readonly endpointHost: string;
  private readonly healthHost: string;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly log: SupervisorLogger;

  constructor(private readonly options: VllmSupervisorOptions) {
    super();
    this.host = options.host ?? '127.0.0.1';
    const advertised = options.advertiseHost ?? this.host;
    this.endpointHost = advertised.includes(':') ? `[${advertised}]` : advertised;
    this.healthHost = this.host === '0.0.0.0' ? '127.0.0.1' : this.host === '::' ? '::1' : this.host;
    this.ports = options.ports ?? new PortAllocator(options.portRange[0], options.portRange[1], this.host);
    this.launchProcess = options.launch ?? vllmLauncher(options.logger);
    this.initialMs = options.backoff.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.maxMs = options.backoff.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    this.log = options.logger;
  }

  /**
   * Starts a slot and returns its first status (`starting`, no endpoint yet). Throws if a slot with
   * this id is active (starting, running or stopping); a `failed` slot of that id is replaced.
   * Progress is reported through `status` events, the first once the process is spawned (with its
   * endpoint) or could not be. The caller already holds the first status: announcing it as well
   * cost one more bus message and database write per start, competing with the spawn for the CPU.
   */
  start(spec: StartSpec): SlotStatus {
    if (!spec.slotId) throw new Error('start: slotId is required');
    if (!spec.modelId) throw new Error('start: modelId is required');
    const existing = this.slots.get(spec.slotId);
    if (existing && existing.phase.kind !== 'failed' && existing.phase.kind !== 'parked') {
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
        hfTokenSource: spec.tokenSource,
        hfTokenFingerprint: spec.token?.fingerprint ?? null,
      },
      phase: { kind: 'launching' },
      ring: existing?.ring ?? new LineRing(this.options.logLines ?? 200),
      failures: 0,
      nextToken: null,
    };
    this.slots.set(spec.slotId, slot);
    this.launch(slot);
    return copy(slot.status);
  }

  /**
   * Offers a slot the token the runner now resolves for it; called for its slots whenever a token
   * version arrives (also the same token again: access may have been granted on huggingface.co
   * meanwhile). A slot parked in hf_auth starts again at once, without counting a restart and with a
   * fresh backoff sequence; a slot still starting keeps the token for its next attempt, so an hf_auth
   * failure of the current one restarts at once instead of parking. Returns whether it restarted.
   */
  retryParked(slotId: string, token: Secret | null, source: TokenSource): boolean {
    const slot = this.slots.get(slotId);
    switch (slot?.phase.kind) {
      case 'parked':
        this.relaunchWith(slot, { token, source });
        return true;
      case 'launching':
      case 'starting':
      case 'backoff':
        slot.nextToken = { token, source };
        return false;
      default:
        return false;
    }
  }

  /**
   * SIGTERM to the slot's process group, SIGKILL after stopGraceMs; resolves once the process exited
   * (and its group was killed), after emitting `stopped`. The slot is then forgotten (not in list()).
   * Unknown ids resolve at once; a second call returns the same promise.
   */
  stop(slotId: string): Promise<void> {
    const slot = this.slots.get(slotId);
    if (!slot) return Promise.resolve();
    if (slot.phase.kind === 'stopping') return slot.phase.done;
    const run = currentRun(slot.phase);
    if (slot.phase.kind === 'backoff') clearTimeout(slot.phase.timer);
    slot.nextToken = null;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    slot.phase = { kind: 'stopping', done };
    void (async () => {
      if (run) {
        this.log.info({ slot_id: slotId, model: slot.spec.modelId, pid: run.proc.pid }, 'stopping vllm');
        await run.proc.terminate(this.options.stopGraceMs);
      }
      this.setStatus(slot, { state: 'stopped', endpoint: null, error: null });
      if (this.slots.get(slotId) === slot) this.slots.delete(slotId);
      this.log.info({ slot_id: slotId, model: slot.spec.modelId }, 'vllm stopped');
      resolve();
    })();
    return done;
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
      const run = currentRun(slot.phase);
      if (slot.phase.kind === 'backoff') clearTimeout(slot.phase.timer);
      if (slot.phase.kind !== 'stopping') slot.phase = { kind: 'stopping', done: Promise.resolve() };
      if (run) {
        clearTimeout(run.startTimer);
        run.proc.killNow();
      }
    }
  }

  /** Current status of every slot that has not been stopped. */
  list(): SlotStatus[] {
    return [...this.slots.values()].map((s) => copy(s.status));
  }

  // ------------------------------------------------------------------------------------------------

  private launch(slot: Slot): void {
    slot.phase = { kind: 'launching' };
    this.spawnRun(slot).catch((err: unknown) => {
      // A bug, not a vLLM failure: make it visible instead of leaving the slot `starting` forever.
      const message = redact(err instanceof Error ? err.message : String(err), this.secretsFor(slot));
      this.log.error({ slot_id: slot.status.slotId, err: message }, 'vllm supervisor error');
      if (slot.phase.kind === 'launching') this.fail(slot, { code: 'crash', message: `supervisor error: ${message}` });
    });
  }

  private async spawnRun(slot: Slot): Promise<void> {
    const { slotId, modelId } = slot.status;
    let port: number;
    try {
      port = await this.ports.allocate();
    } catch (err) {
      if (slot.phase.kind === 'launching') this.fail(slot, { code: 'no_capacity', message: `cannot start ${modelId}: ${(err as Error).message}` });
      return;
    }
    if (slot.phase.kind !== 'launching' || this.slots.get(slotId) !== slot) {
      this.ports.release(port); // stopped or replaced meanwhile
      return;
    }
    if (slot.nextToken) this.useToken(slot, slot.nextToken);
    const { spec } = slot;
    const args = buildVllmArgs({
      modelId,
      host: this.host,
      port,
      contextLength: spec.contextLength,
      runtimeArgs: spec.runtimeArgs,
      tensorParallelSize: spec.gpus?.length,
      gpuMemoryUtilization: spec.gpuMemoryUtilization,
    });
    const runToken = spec.token;
    const secrets = () => this.secretsFor(slot, runToken);
    const removed = stripOwnedFlags(spec.runtimeArgs).removed;
    if (removed.length > 0) {
      this.log.warn({ slot_id: slotId, model: modelId, flags: removed.map((f) => `--${f}`) }, 'removed runtime args the supervisor sets itself');
    }
    this.log.debug(
      {
        slot_id: slotId,
        model: modelId,
        hf_token_provided: runToken !== null,
        hf_token_source: spec.tokenSource,
        gpus: spec.gpus ?? null,
        args: args.map((a) => redact(a, secrets())),
      },
      'NewVLLMRuntime received args',
    );

    const output: RunOutput = { detected: null, lastLine: null };
    let proc: VllmProcessHandle;
    try {
      proc = this.launchProcess({
        bin: this.options.vllmBin,
        args,
        env: { ...buildVllmEnv(this.options.baseEnv ?? process.env, runToken), ...gpuEnv(spec.gpus) },
        healthHost: this.healthHost,
        port,
        healthIntervalMs: this.options.healthIntervalMs ?? 500,
        secrets,
        onLine: (stream, line) => this.onLine(slot, output, stream, line),
        logger: this.log,
        logFields: { slot_id: slotId },
      });
    } catch (err) {
      // An unusable command line (e.g. a NUL byte in a runtime arg): not worth retrying.
      this.ports.release(port);
      this.fail(slot, { code: 'crash', message: `could not start ${this.options.vllmBin}: ${redact((err as Error).message, secrets())}` });
      return;
    }
    const run: Run = { proc, port, output, timedOut: false };
    slot.phase = { kind: 'starting', run };
    void proc.exited.then((exit) => this.onExit(slot, run, exit));
    if (proc.pid === undefined) return;

    // The status (the runner announces it on the bus) goes out before the log line is written.
    this.setStatus(slot, { endpoint: `http://${this.endpointHost}:${port}` });
    this.log.info({ slot_id: slotId, model: modelId, pid: proc.pid, port }, 'vllm process started');
    run.startTimer = setTimeout(() => {
      run.timedOut = true;
      this.log.warn({ slot_id: slotId, model: modelId, timeout_ms: this.options.startTimeoutMs }, 'vllm start timed out');
      void proc.terminate(this.options.stopGraceMs);
    }, this.options.startTimeoutMs);
    void proc.ready.then(() => this.markRunning(slot, run));
  }

  private onLine(slot: Slot, output: RunOutput, stream: 'stdout' | 'stderr', line: string): void {
    slot.ring.push(line);
    if (line.trim().length > 0) output.lastLine = line;
    const code = classifyLine(line);
    // hf_auth outranks oom: a process that could not download its config never got to allocate memory.
    if (code && (!output.detected || (code === 'hf_auth' && output.detected.code !== 'hf_auth'))) {
      output.detected = { code, line };
    }
    this.log.debug({ slot_id: slot.status.slotId, stream, line }, 'vllm output');
  }

  private markRunning(slot: Slot, run: Run): void {
    if (slot.phase.kind !== 'starting' || slot.phase.run !== run || run.timedOut) return;
    clearTimeout(run.startTimer);
    slot.nextToken = null;
    this.enter(slot, { kind: 'running', run, since: Date.now() }, { error: null });
    this.log.info({ slot_id: slot.status.slotId, model: slot.spec.modelId, endpoint: slot.status.endpoint }, 'vllm ready');
  }

  /** The process of `run` is gone (group killed, output read): decide what happens to the slot. */
  private onExit(slot: Slot, run: Run, exit: ExitInfo): void {
    clearTimeout(run.startTimer);
    this.ports.release(run.port);
    const phase = slot.phase;
    if ((phase.kind !== 'starting' && phase.kind !== 'running') || phase.run !== run) return; // stopping
    const { slotId, modelId } = slot.status;
    const { detected, lastLine } = run.output;
    this.log.warn(
      { slot_id: slotId, model: modelId, pid: run.proc.pid, code: exit.code, signal: exit.signal, detected: detected?.code ?? null },
      'vllm exited',
    );

    if (phase.kind === 'running' && Date.now() - phase.since >= (this.options.stableAfterMs ?? 600_000)) slot.failures = 0;

    if (detected?.code === 'hf_auth') {
      hfAuthFailures.inc({ model: modelId });
      if (slot.nextToken) this.relaunchWith(slot, slot.nextToken);
      else this.park(slot);
      return;
    }

    let error: SlotError;
    if (detected?.code === 'oom') {
      error = { code: 'oom', message: `vLLM ran out of GPU memory starting ${modelId}: ${clip(detected.line)}` };
    } else if (run.timedOut) {
      error = { code: 'start_timeout', message: `vLLM did not become ready (GET /health) within ${this.options.startTimeoutMs} ms for ${modelId}` };
    } else {
      const how = exit.spawnError
        ? `could not start ${this.options.vllmBin}: ${exit.spawnError}`
        : exit.signal
          ? `killed by ${exit.signal}`
          : `exit code ${exit.code}`;
      const last = lastLine ? `; last output: ${clip(lastLine)}` : '';
      error = { code: 'crash', message: `vLLM exited unexpectedly (${how})${last}` };
    }
    this.restartOrFail(slot, error);
  }

  private restartOrFail(slot: Slot, error: SlotError): void {
    const max = this.options.backoff.maxRestarts;
    if (slot.failures >= max) {
      this.fail(slot, { code: error.code, message: `${error.message} (gave up after ${slot.status.restarts} restarts)` });
      return;
    }
    slot.failures += 1;
    vllmRestarts.inc({ model: slot.spec.modelId, code: error.code });
    const delay = backoffDelayMs(slot.failures, this.initialMs, this.maxMs);
    this.log.warn(
      { slot_id: slot.status.slotId, model: slot.spec.modelId, error, restart: slot.failures, max_restarts: max, delay_ms: delay },
      'restarting vllm',
    );
    const timer = setTimeout(() => this.launch(slot), delay);
    this.enter(slot, { kind: 'backoff', timer }, { endpoint: null, error, restarts: slot.status.restarts + 1 });
  }

  private park(slot: Slot): void {
    const { modelId, hfTokenSource, hfTokenFingerprint } = slot.status;
    const which = slot.spec.token
      ? `the Hugging Face token in use (source ${hfTokenSource}, ${hfTokenFingerprint}) was refused`
      : 'no Hugging Face token was provided';
    this.fail(
      slot,
      {
        code: 'hf_auth',
        message:
          `Hugging Face denied access to ${modelId} (gated or private repository): ${which}. ` +
          'Set or fix the Hugging Face token, e.g. `helix system settings set --huggingface-token-stdin`, ' +
          'and make sure its account has been granted access to the model on huggingface.co; the slot ' +
          'starts again automatically when a new token reaches the runner.',
      },
      'parked',
    );
  }

  private relaunchWith(slot: Slot, token: NonNullable<Slot['nextToken']>): void {
    slot.failures = 0;
    this.useToken(slot, token);
    const { slotId, hfTokenSource, hfTokenFingerprint } = slot.status;
    this.log.info(
      { slot_id: slotId, model: slot.spec.modelId, hf_token_source: hfTokenSource, hf_token_fingerprint: hfTokenFingerprint },
      'retrying vllm with a new hugging face token',
    );
    this.enter(slot, { kind: 'launching' }, { endpoint: null, error: null });
    this.launch(slot);
  }

  private useToken(slot: Slot, { token, source }: NonNullable<Slot['nextToken']>): void {
    slot.nextToken = null;
    slot.spec.token = token;
    slot.spec.tokenSource = source;
    slot.status.hfTokenSource = source;
    slot.status.hfTokenFingerprint = token?.fingerprint ?? null;
  }

  private fail(slot: Slot, error: SlotError, kind: 'failed' | 'parked' = 'failed'): void {
    this.enter(slot, { kind }, { endpoint: null, error });
    const fields = {
      slot_id: slot.status.slotId,
      model: slot.spec.modelId,
      error,
      restarts: slot.status.restarts,
      hf_token_source: slot.status.hfTokenSource,
      hf_token_fingerprint: slot.status.hfTokenFingerprint,
      last_lines: slot.ring.toArray().slice(-20),
    };
    if (kind === 'parked') this.log.warn(fields, 'vllm waits for a hugging face token');
    else this.log.error(fields, 'vllm failed');
  }

  private secretsFor(slot: Slot, extra: Secret | null = null): Secret[] {
    const secrets = [...this.options.knownTokens()];
    for (const token of [slot.spec.token, slot.nextToken?.token, extra]) if (token) secrets.push(token);
    return secrets;
  }

  private enter(slot: Slot, phase: Exclude<SlotPhase, { kind: 'stopping' }>, patch: Partial<Pick<SlotStatus, 'endpoint' | 'error' | 'restarts'>>): void {
    slot.phase = phase;
    this.setStatus(slot, { ...patch, state: STATE_OF[phase.kind] });
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
    this.emit('status', copy(slot.status));
  }
}

function currentRun(phase: SlotPhase): Run | null {
  return phase.kind === 'starting' || phase.kind === 'running' ? phase.run : null;
}

function copy(status: SlotStatus): SlotStatus {
  return { ...status, error: status.error ? { ...status.error } : null };
}

function clip(line: string): string {
  const trimmed = line.trim();
  return trimmed.length > MESSAGE_LINE_CHARS ? `${trimmed.slice(0, MESSAGE_LINE_CHARS)}…` : trimmed;
}
