import { Injectable } from '@nestjs/common';
import {
  gpuShare,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_MISSED_OFFLINE,
  type GpuInfo,
  type RunnerGpuView,
  type RunnerHeartbeat,
  type RunnerRecord,
  type SlotView,
} from '@helix/contracts';
import { RunnerRepository } from './runner.repository';
import { gpusOf } from './runner.entity';
import { SlotRepository, type SlotAllocation } from '../slots/slot.repository';

export const OFFLINE_AFTER_MS = HEARTBEAT_INTERVAL_MS * HEARTBEAT_MISSED_OFFLINE;

/** The runner registry, fed by heartbeats. */
@Injectable()
export class RunnersService {
  constructor(
    private readonly runners: RunnerRepository,
    private readonly slots: SlotRepository,
  ) {}

  /** When this replica started listening to heartbeats. */
  private readonly upSince = Date.now();

  /**
   * Records a heartbeat; returns whether the runner just joined: never seen, or back after being
   * offline. A gap in the heartbeats counts as "was offline" only when this replica was up to see
   * them: right after a models-service restart (every replica down for a while) the gap is ours, not
   * the runner's, and treating every runner as new would copy prewarm models onto all of them.
   */
  async recordHeartbeat(hb: RunnerHeartbeat, now = new Date()): Promise<{ joined: boolean }> {
    const previous = await this.runners.recordHeartbeat(hb, now);
    const watching = now.getTime() - this.upSince > OFFLINE_AFTER_MS;
    return { joined: !previous || (watching && now.getTime() - previous.getTime() > OFFLINE_AFTER_MS) };
  }

  /** Slots and allocated memory (per GPU too) come from the slot table (the scheduler's view), not the last heartbeat. */
  async list(page: { after: string | null; limit: number }, now = Date.now()): Promise<RunnerRecord[]> {
    const runners = await this.runners.list(page.after, page.limit);
    const ids = runners.map((r) => r.id);
    const [slots, allocations] = await Promise.all([this.slots.listPlaced(ids), this.slots.allocationsByRunner(undefined, ids)]);
    const slotsOf = new Map<string, SlotView[]>();
    for (const s of slots) {
      const list = slotsOf.get(s.runner_id!);
      if (list) list.push(s);
      else slotsOf.set(s.runner_id!, [s]);
    }
    return runners.map((r) => ({
      id: r.id,
      state: now - r.lastSeen.getTime() <= OFFLINE_AFTER_MS ? 'online' : 'offline',
      last_seen: r.lastSeen.toISOString(),
      memory_total: r.memoryTotal,
      memory_allocated: (allocations.get(r.id) ?? []).reduce((sum, a) => sum + a.memory, 0),
      gpus: gpuViews(gpusOf(r), allocations.get(r.id) ?? []),
      settings_version: r.settingsVersion,
      settings_seq: r.settingsSeq,
      settings_applied: r.settingsApplied,
      hf_token_provided: r.hfTokenProvided,
      slots: slotsOf.get(r.id) ?? [],
    }));
  }
}

/** Each GPU with the shares of the slots placed on it (a slot on k GPUs holds memory / k on each). */
export function gpuViews(gpus: readonly GpuInfo[], allocations: readonly SlotAllocation[]): RunnerGpuView[] {
  return gpus.map((g) => {
    const here = allocations.filter((a) => a.gpus.includes(g.index));
    return {
      index: g.index,
      memory_total: g.memory,
      memory_allocated: here.reduce((sum, a) => sum + gpuShare(a.memory, a.gpus.length), 0),
      slot_ids: here.map((a) => a.slotId),
    };
  });
}
