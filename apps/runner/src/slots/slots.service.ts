import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import {
  fitOnGpus,
  gpuCountFromArgs,
  gpuMemoryUtilization,
  gpuShare,
  normalizeRuntimeArgs,
  reservesMemory,
  usedPerGpu,
  runnerSlotsCreate,
  runnerSlotsStatus,
  runnerSlotsStop,
  type ErrorBody,
  type SlotCommandReply,
  type SlotCreateCommand,
  type SlotStopCommand,
  type SlotView,
} from '@helix/contracts';
import { decodeJson, encodeJson, InjectNats } from '@helix/nats';
import { VllmSupervisor, type SlotStatus } from '@helix/vllm-supervisor';
import { RUNNER_SETTINGS, type RunnerSettings } from '../config';
import { SettingsSyncService, type AppliedSettings } from '../settings/settings-sync.service';
import type { SlotsSource } from '../heartbeat/heartbeat.service';
import { slotCreateErrors } from './slot-command';

export const VLLM_SUPERVISOR = Symbol('VLLM_SUPERVISOR');
/** A stop is answered once the process is gone, or after this long (it still completes). */
const STOP_REPLY_WITHIN_MS = 2_500;

interface Entry {
  modelId: string;
  memory: number;
  /** CUDA indices of the GPUs the slot runs on. */
  gpus: number[];
  userId: string | null;
  orgId: string | null;
  created: string;
  updated: string;
  /** Last status from the supervisor; null while waiting for the settings replay. */
  status: SlotStatus | null;
}

/**
 * The runner's slots: takes `runner.<id>.slots.create|stop` commands, resolves the Hugging Face token
 * through the hierarchy (model → user → org → global → env → none) for each start, hands the Secret
 * to the vLLM supervisor and publishes every state change on `runner.<id>.slots.status`. Only the
 * token's source and fingerprint are ever recorded.
 */
@Injectable()
export class SlotsService implements SlotsSource, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly slots = new Map<string, Entry>();
  private readonly subs: Subscription[] = [];
  private readonly killOnExit = () => this.supervisor.killAllSync();
  private shuttingDown = false;

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    @Inject(RUNNER_SETTINGS) private readonly settings: RunnerSettings,
    @Inject(VLLM_SUPERVISOR) private readonly supervisor: VllmSupervisor,
    private readonly sync: SettingsSyncService,
    @InjectPinoLogger('Slots') private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    // If the runner dies without a clean shutdown, its vLLM processes must not outlive it.
    process.on('exit', this.killOnExit);
    this.supervisor.on('status', (status) => this.onStatus(status));
    // A new token version may unblock slots parked on hf_auth whose chain contains its scope.
    this.sync.onApplied((applied) => this.offerTokens(applied));
    const id = this.settings.runnerId;
    this.subs.push(
      this.nc.subscribe(runnerSlotsCreate(id), {
        callback: (err, msg) => {
          if (!err) void this.handle(msg, (c: SlotCreateCommand) => this.create(c));
        },
      }),
      this.nc.subscribe(runnerSlotsStop(id), {
        callback: (err, msg) => {
          if (!err) void this.handle(msg, (c: SlotStopCommand) => this.stop(c));
        },
      }),
    );
  }

  /** Before NATS drains: stop every vLLM process and publish their `stopped` states. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const sub of this.subs) sub.unsubscribe();
    await this.supervisor.stopAll();
    await this.nc.flush().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    process.off('exit', this.killOnExit);
  }

  views(): SlotView[] {
    return [...this.slots.entries()].map(([id, e]) => this.view(id, e));
  }

  memoryAllocated(): number {
    let sum = 0;
    for (const e of this.holding()) sum += e.memory;
    return sum;
  }

  /** The slots that hold (or are about to hold) GPU memory here. */
  private holding(): Entry[] {
    return [...this.slots.values()].filter((e) => reservesMemory({ state: e.status?.state ?? 'scheduled', error: e.status?.error ?? null }));
  }

  /**
   * The GPUs of a new slot: the ones the control plane chose, if they exist here and have room for
   * the model's share on each (this runner's own record of its slots; never over-committed), or —
   * for a command without GPUs (an older models-service) — the ones the same rule picks here.
   */
  private gpusFor(command: SlotCreateCommand): { gpus: number[] } | { refused: string } {
    const used = usedPerGpu(this.holding());
    const memory = command.model.memory;
    const id = this.settings.runnerId;
    if (!command.gpus) {
      const gpus = fitOnGpus(this.settings.gpus, used, memory, gpuCountFromArgs(command.model.runtime_args ?? []));
      return gpus ? { gpus } : { refused: `Runner ${id} has no GPUs with room for ${memory} bytes.` };
    }
    const share = gpuShare(memory, command.gpus.length);
    for (const index of command.gpus) {
      const gpu = this.settings.gpus.find((g) => g.index === index);
      if (!gpu) return { refused: `Runner ${id} has no GPU ${index} (it has ${this.settings.gpus.map((g) => g.index).join(', ')}).` };
      const free = gpu.memory - (used.get(index) ?? 0);
      if (share > free) return { refused: `Runner ${id} has ${free} bytes free on GPU ${index}; the model needs ${share} there.` };
    }
    return { gpus: [...command.gpus].sort((a, b) => a - b) };
  }

  private async handle<C>(msg: Msg, run: (command: C) => Promise<SlotCommandReply>): Promise<void> {
    let reply: SlotCommandReply;
    try {
      reply = await run(decodeJson<C>(msg.data));
    } catch (err) {
      reply = { error: 'bad_request', message: err instanceof SyntaxError ? 'The command is not JSON.' : `The command failed: ${(err as Error).message}` };
    }
    msg.respond(encodeJson(reply));
  }

  private async create(command: SlotCreateCommand): Promise<SlotCommandReply> {
    if (this.shuttingDown) return error('unavailable', `Runner ${this.settings.runnerId} is shutting down.`);
    const errors = slotCreateErrors(command);
    if (errors.length) return { ...error('bad_request', `Invalid slot command: ${errors.map((e) => e.message).join('; ')}.`), details: errors };
    if (this.slots.has(command.slot_id)) return { accepted: true }; // a retried command
    const placed = this.gpusFor(command);
    if ('refused' in placed) return error('unavailable', placed.refused);
    const now = new Date().toISOString();
    const entry: Entry = {
      modelId: command.model.id,
      memory: command.model.memory,
      gpus: placed.gpus,
      userId: command.user_id ?? null,
      orgId: command.org_id ?? null,
      created: now,
      updated: now,
      status: null,
    };
    this.slots.set(command.slot_id, entry);
    // Tokens held before the replay finished could be stale or missing: start once it has.
    void this.startWhenReplayed(command, entry);
    return { accepted: true };
  }

  private async startWhenReplayed(command: SlotCreateCommand, entry: Entry): Promise<void> {
    await this.sync.whenReplayed();
    if (this.slots.get(command.slot_id) !== entry || this.shuttingDown) return;
    const resolved = this.sync.resolve({ modelId: command.model.id, userId: entry.userId ?? undefined, orgId: entry.orgId ?? undefined });
    this.logger.info(
      { slot_id: command.slot_id, model: command.model.id, gpus: entry.gpus, hf_token_source: resolved.source, hf_token_fingerprint: resolved.fingerprint },
      'starting model slot',
    );
    try {
      entry.status = this.supervisor.start({
        slotId: command.slot_id,
        modelId: command.model.id,
        contextLength: command.model.context_length,
        runtimeArgs: normalizeRuntimeArgs(command.model.runtime_args ?? [])!,
        token: resolved.token,
        tokenSource: resolved.source,
        gpus: entry.gpus,
        gpuMemoryUtilization: gpuMemoryUtilization(
          entry.memory,
          entry.gpus.map((i) => this.settings.gpus.find((g) => g.index === i)?.memory ?? 0),
        ),
      });
    } catch (err) {
      this.slots.delete(command.slot_id);
      this.logger.error({ slot_id: command.slot_id, model: command.model.id, err: { message: (err as Error).message } }, 'could not start model slot');
    }
  }

  private async stop(command: SlotStopCommand): Promise<SlotCommandReply> {
    if (typeof command?.slot_id !== 'string') return error('bad_request', 'Invalid slot command: slot_id must be a UUID.');
    const entry = this.slots.get(command.slot_id);
    if (!entry) return { accepted: true };
    if (!entry.status) {
      // Never started (waiting for the replay): nothing to stop.
      this.slots.delete(command.slot_id);
      this.publish(command.slot_id, { ...entry, updated: new Date().toISOString() }, 'stopped');
      return { accepted: true };
    }
    const stopping = this.supervisor.stop(command.slot_id);
    await Promise.race([stopping, new Promise((r) => setTimeout(r, STOP_REPLY_WITHIN_MS).unref())]);
    return { accepted: true };
  }

  /**
   * Hands every started slot whose chain contains the applied scope the token it now resolves to; the
   * supervisor restarts the parked ones. A parked slot is retried when a level of its own chain
   * changes, and only then (docs/reference/rest.md): another model's or user's token changes nothing for it.
   */
  private offerTokens(applied: Pick<AppliedSettings, 'scope' | 'scopeId'>): void {
    const restarted: string[] = [];
    for (const [slotId, entry] of this.slots) {
      if (!entry.status) continue; // not started yet: it resolves its token when it starts
      if (!inChain(entry, applied)) continue;
      const { token, source } = this.sync.resolve({ modelId: entry.modelId, userId: entry.userId ?? undefined, orgId: entry.orgId ?? undefined });
      if (this.supervisor.retryParked(slotId, token, source)) restarted.push(slotId);
    }
    if (restarted.length) this.logger.info({ slot_ids: restarted }, 'retrying slots that waited for a hugging face token');
  }

  private onStatus(status: SlotStatus): void {
    const entry = this.slots.get(status.slotId);
    if (!entry) return;
    entry.status = status;
    entry.updated = new Date().toISOString();
    if (status.state === 'stopped') this.slots.delete(status.slotId);
    this.publish(status.slotId, entry);
  }

  private publish(slotId: string, entry: Entry, state?: SlotView['state']): void {
    const view = this.view(slotId, entry);
    if (state) view.state = state;
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(runnerSlotsStatus(this.settings.runnerId), encodeJson(view));
    } catch {
      // Disconnected: the heartbeat after reconnecting carries the state.
    }
  }

  private view(id: string, e: Entry): SlotView {
    const s = e.status;
    return {
      id,
      model_id: e.modelId,
      runner_id: this.settings.runnerId,
      state: s?.state ?? 'scheduled',
      restarts: s?.restarts ?? 0,
      endpoint: s?.endpoint ?? null,
      hf_token_source: s?.hfTokenSource ?? null,
      hf_token_fingerprint: s?.hfTokenFingerprint ?? null,
      error: s?.error ?? null,
      gpus: e.gpus,
      created: e.created,
      updated: e.updated,
    };
  }
}

/** Whether `scope`/`scopeId` is a level of the token chain of the slot `entry` (model → user → org → global). */
function inChain(entry: Pick<Entry, 'modelId' | 'userId' | 'orgId'>, { scope, scopeId }: Pick<AppliedSettings, 'scope' | 'scopeId'>): boolean {
  switch (scope) {
    case 'global':
      return true;
    case 'model':
      return entry.modelId === scopeId;
    case 'user':
      return entry.userId !== null && entry.userId === scopeId;
    case 'org':
      return entry.orgId !== null && entry.orgId === scopeId;
    default:
      return false;
  }
}

function error(code: ErrorBody['error'], message: string): ErrorBody {
  return { error: code, message };
}
