import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_MISSED_OFFLINE, RUNNER_ID_PATTERN, reservesMemory, type RunnerHeartbeat, type RunnerRecord } from '@helix/contracts';
import { RunnerEntity } from './runner.entity';
import { SLOT_COLUMNS, toSlotView, type SlotRow } from '../models/rows';

export const OFFLINE_AFTER_MS = HEARTBEAT_INTERVAL_MS * HEARTBEAT_MISSED_OFFLINE;

/** The runner registry, fed by heartbeats. */
@Injectable()
export class RunnersService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records a heartbeat; returns whether the runner just joined (new, or back from offline). */
  async recordHeartbeat(hb: RunnerHeartbeat, now = new Date()): Promise<{ joined: boolean }> {
    const rows: Array<{ previous_last_seen: Date | null }> = await this.db.query(
      `WITH previous AS (SELECT last_seen FROM models.runners WHERE id = $1)
       INSERT INTO models.runners (id, memory_total, memory_allocated, settings_versions, hf_token_provided, slots, first_seen, last_seen)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
       ON CONFLICT (id) DO UPDATE SET memory_total = EXCLUDED.memory_total, memory_allocated = EXCLUDED.memory_allocated,
         settings_versions = EXCLUDED.settings_versions, hf_token_provided = EXCLUDED.hf_token_provided,
         slots = EXCLUDED.slots, last_seen = EXCLUDED.last_seen
       RETURNING (SELECT last_seen FROM previous) AS previous_last_seen`,
      [hb.runner_id, hb.memory_total, hb.memory_allocated, JSON.stringify(hb.settings_versions), hb.hf_token_provided, JSON.stringify(hb.slots), now],
    );
    const previous = rows[0]?.previous_last_seen;
    return { joined: !previous || now.getTime() - new Date(previous).getTime() > OFFLINE_AFTER_MS };
  }

  /** Slots and allocated memory come from the slot table (the scheduler's view), not the last heartbeat. */
  async list(now = Date.now()): Promise<RunnerRecord[]> {
    const [runners, slots, models]: [RunnerEntity[], SlotRow[], Array<{ id: string; memory: string }>] = await Promise.all([
      this.db.getRepository(RunnerEntity).find({ order: { id: 'ASC' } }),
      this.db.query(`SELECT ${SLOT_COLUMNS} FROM models.slots WHERE runner_id IS NOT NULL ORDER BY created_at`),
      this.db.query('SELECT id, memory FROM models.models'),
    ]);
    const memory = new Map(models.map((m) => [m.id, Number(m.memory)]));
    return runners.map((r) => {
      const own = slots.filter((s) => s.runner_id === r.id).map(toSlotView);
      const allocated = own.filter(reservesMemory).reduce((sum, s) => sum + (memory.get(s.model_id) ?? 0), 0);
      return { ...toRecord(r, now), memory_allocated: allocated, slots: own };
    });
  }

  async online(now = Date.now()): Promise<RunnerRecord[]> {
    return (await this.list(now)).filter((r) => r.state === 'online');
  }
}

export function toRecord(r: RunnerEntity, now = Date.now()): RunnerRecord {
  return {
    id: r.id,
    state: now - r.lastSeen.getTime() <= OFFLINE_AFTER_MS ? 'online' : 'offline',
    last_seen: r.lastSeen.toISOString(),
    memory_total: r.memoryTotal,
    memory_allocated: r.memoryAllocated,
    settings_versions: r.settingsVersions,
    hf_token_provided: r.hfTokenProvided,
    slots: r.slots,
  };
}

export function isValidHeartbeat(hb: RunnerHeartbeat): boolean {
  return (
    typeof hb === 'object' &&
    hb !== null &&
    typeof hb.runner_id === 'string' &&
    RUNNER_ID_PATTERN.test(hb.runner_id) &&
    Number.isSafeInteger(hb.memory_total) &&
    Number.isSafeInteger(hb.memory_allocated) &&
    typeof hb.settings_versions === 'object' &&
    typeof hb.hf_token_provided === 'boolean' &&
    Array.isArray(hb.slots)
  );
}
