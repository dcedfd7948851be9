import { Injectable } from '@nestjs/common';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_MISSED_OFFLINE, type RunnerHeartbeat, type RunnerRecord } from '@helix/contracts';
import { RunnerRepository } from './runner.repository';
import { SlotRepository } from '../slots/slot.repository';

export const OFFLINE_AFTER_MS = HEARTBEAT_INTERVAL_MS * HEARTBEAT_MISSED_OFFLINE;

/** The runner registry, fed by heartbeats. */
@Injectable()
export class RunnersService {
  constructor(
    private readonly runners: RunnerRepository,
    private readonly slots: SlotRepository,
  ) {}

  /** Records a heartbeat; returns whether the runner just joined (new, or back from offline). */
  async recordHeartbeat(hb: RunnerHeartbeat, now = new Date()): Promise<{ joined: boolean }> {
    const previous = await this.runners.recordHeartbeat(hb, now);
    return { joined: !previous || now.getTime() - previous.getTime() > OFFLINE_AFTER_MS };
  }

  /** Slots and allocated memory come from the slot table (the scheduler's view), not the last heartbeat. */
  async list(now = Date.now()): Promise<RunnerRecord[]> {
    const [runners, slots, reserved] = await Promise.all([this.runners.list(), this.slots.listPlaced(), this.slots.reservedByRunner()]);
    return runners.map((r) => ({
      id: r.id,
      state: now - r.lastSeen.getTime() <= OFFLINE_AFTER_MS ? 'online' : 'offline',
      last_seen: r.lastSeen.toISOString(),
      memory_total: r.memoryTotal,
      memory_allocated: reserved.get(r.id) ?? 0,
      settings_version: r.settingsVersion,
      settings_seq: r.settingsSeq,
      settings_applied: r.settingsApplied,
      hf_token_provided: r.hfTokenProvided,
      slots: slots.filter((s) => s.runner_id === r.id),
    }));
  }
}
