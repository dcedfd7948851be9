import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { SlotCreateCommand, SlotError } from '@helix/contracts';
import { OFFLINE_AFTER_MS } from '../runners/runners.service';
import { MODEL_COLUMNS, SLOT_COLUMNS, toSpec, type ModelRow, type SlotRow } from '../models/rows';
import { RunnerCommands } from '../slots/runner-commands';
import { choosePlacement, type RunnerCapacity } from './placement';

/** SQL for "this slot holds, or is about to hold, GPU memory" (same rule as reservesMemory()). */
export const RESERVES_MEMORY_SQL = `(s.state IN ('scheduled', 'starting', 'running') OR (s.state = 'failed' AND s.error->>'code' = 'hf_auth'))`;
/** A slot that counts as the model's deployment: alive, or failed on a runner (not re-placed automatically). */
export const OCCUPIES_SQL = `(s.state IN ('scheduled', 'starting', 'running') OR (s.state = 'failed' AND s.runner_id IS NOT NULL))`;

export interface PlannedDispatch {
  slotId: string;
  runnerId: string;
  model: ModelRow;
}

/**
 * Places slots: picks the online runner with the most free memory that fits, records the slot as
 * `scheduled` and sends `runner.<id>.slots.create`. Decisions are serialised across replicas by a
 * Postgres advisory lock held for the placing transaction; free memory is computed from the slots
 * table (which every placement writes before the lock is released), not from heartbeats that lag.
 */
const dispatched = new Counter({ name: 'helix_models_slots_dispatched_total', help: 'model-create commands a runner accepted' });
const refused = new Counter({ name: 'helix_models_slots_refused_total', help: 'model-create commands a runner refused or did not answer' });
const noCapacity = new Counter({ name: 'helix_models_no_capacity_total', help: 'placements that found no online runner with room' });

@Injectable()
export class Scheduler {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly commands: RunnerCommands,
    @InjectPinoLogger('Scheduler') private readonly logger: PinoLogger,
  ) {}

  static async lock(tx: EntityManager): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['helix-models-placement']);
  }

  async capacities(tx: EntityManager, now = Date.now()): Promise<RunnerCapacity[]> {
    const rows: Array<{ id: string; memory_total: string; reserved: string }> = await tx.query(
      `SELECT r.id, r.memory_total, COALESCE(SUM(m.memory) FILTER (WHERE ${RESERVES_MEMORY_SQL}), 0) AS reserved
         FROM models.runners r
         LEFT JOIN models.slots s ON s.runner_id = r.id
         LEFT JOIN models.models m ON m.id = s.model_id
        WHERE r.last_seen > $1
        GROUP BY r.id, r.memory_total`,
      [new Date(now - OFFLINE_AFTER_MS)],
    );
    return rows.map((r) => ({ id: r.id, memoryTotal: Number(r.memory_total), memoryReserved: Number(r.reserved) }));
  }

  /**
   * In `tx`: gives the model one new slot on the best runner, replacing its stopped and unplaced
   * rows; without room, leaves (or refreshes) one `failed`/`no_capacity` row. `onlyIfUnplaced`
   * makes it a no-op when the model already has a deployment (another replica got there first).
   */
  async placeNew(tx: EntityManager, model: ModelRow, options: { onlyIfUnplaced?: boolean } = {}): Promise<PlannedDispatch | null> {
    await Scheduler.lock(tx);
    if (options.onlyIfUnplaced) {
      const [{ occupied }] = await tx.query(`SELECT EXISTS (SELECT 1 FROM models.slots s WHERE s.model_id = $1 AND ${OCCUPIES_SQL}) AS occupied`, [model.id]);
      if (occupied) return null;
    }
    const choice = choosePlacement(Number(model.memory), await this.capacities(tx));
    if ('runnerId' in choice) {
      await tx.query(`DELETE FROM models.slots WHERE model_id = $1 AND (state = 'stopped' OR runner_id IS NULL)`, [model.id]);
      const slotId = await this.insertScheduled(tx, model.id, choice.runnerId);
      return { slotId, runnerId: choice.runnerId, model };
    }
    noCapacity.inc();
    await this.recordNoCapacity(tx, model.id, { code: 'no_capacity', message: choice.noCapacity });
    return null;
  }

  /** In `tx`: a prewarm slot on one (joining) runner, if it has room and none of this model yet. */
  async placeOn(tx: EntityManager, model: ModelRow, runnerId: string): Promise<PlannedDispatch | null> {
    await Scheduler.lock(tx);
    const [{ present }] = await tx.query(
      `SELECT EXISTS (SELECT 1 FROM models.slots s WHERE s.model_id = $1 AND s.runner_id = $2 AND ${OCCUPIES_SQL}) AS present`,
      [model.id, runnerId],
    );
    if (present) return null;
    const runner = (await this.capacities(tx)).filter((r) => r.id === runnerId);
    const choice = choosePlacement(Number(model.memory), runner);
    if (!('runnerId' in choice)) return null;
    await tx.query(`DELETE FROM models.slots WHERE model_id = $1 AND runner_id IS NULL`, [model.id]);
    const slotId = await this.insertScheduled(tx, model.id, runnerId);
    return { slotId, runnerId, model };
  }

  /** Sends the create command; a runner that refuses or does not answer is skipped for the next best. */
  async dispatch(plan: PlannedDispatch, tried: Set<string> = new Set()): Promise<void> {
    const model = toSpec(plan.model);
    const command: SlotCreateCommand = {
      slot_id: plan.slotId,
      model: { id: model.id, type: model.type, memory: model.memory, context_length: model.context_length, runtime_args: model.runtime_args },
    };
    const outcome = await this.commands.create(plan.runnerId, command);
    if (outcome.ok) {
      dispatched.inc();
      this.logger.info({ slot_id: plan.slotId, model: model.id, runner_id: plan.runnerId }, 'sent model-create command to runner');
      return;
    }
    tried.add(plan.runnerId);
    refused.inc();
    this.logger.warn({ slot_id: plan.slotId, model: model.id, runner_id: plan.runnerId, reason: outcome.reason }, 'runner did not take the slot');
    let next: PlannedDispatch | null = null;
    try {
      next = await this.db.transaction(async (tx) => {
        await Scheduler.lock(tx);
        const [row]: SlotRow[] = await tx.query(`SELECT ${SLOT_COLUMNS} FROM models.slots WHERE id = $1 FOR UPDATE`, [plan.slotId]);
        // The runner may have accepted after all (its status arrived), or the model was deleted/changed.
        if (!row || row.state !== 'scheduled' || row.runner_id !== plan.runnerId) return null;
        const choice = choosePlacement(model.memory, await this.capacities(tx), tried);
        if ('runnerId' in choice) {
          await tx.query('UPDATE models.slots SET runner_id = $2, updated_at = now() WHERE id = $1', [plan.slotId, choice.runnerId]);
          return { ...plan, runnerId: choice.runnerId };
        }
        const error: SlotError = { code: 'no_capacity', message: `${choice.noCapacity} Last attempt: ${outcome.reason}.` };
        await tx.query(`UPDATE models.slots SET runner_id = NULL, state = 'failed', endpoint = NULL, error = $2, updated_at = now() WHERE id = $1`, [
          plan.slotId,
          JSON.stringify(error),
        ]);
        return null;
      });
    } catch (err) {
      // The reconciler retries unplaced models; nothing is lost by giving up here.
      this.logger.warn({ slot_id: plan.slotId, err: { message: (err as Error).message } }, 'could not re-place slot');
      return;
    }
    if (next) await this.dispatch(next, tried);
  }

  private async insertScheduled(tx: EntityManager, modelId: string, runnerId: string): Promise<string> {
    const slotId = randomUUID();
    await tx.query(
      `INSERT INTO models.slots (id, model_id, runner_id, state, restarts, created_at, updated_at) VALUES ($1, $2, $3, 'scheduled', 0, now(), now())`,
      [slotId, modelId, runnerId],
    );
    return slotId;
  }

  private async recordNoCapacity(tx: EntityManager, modelId: string, error: SlotError): Promise<void> {
    await tx.query(`DELETE FROM models.slots WHERE model_id = $1 AND state = 'stopped'`, [modelId]);
    const updated: unknown[] = await tx.query(
      `UPDATE models.slots SET error = $2, updated_at = CASE WHEN error IS DISTINCT FROM $2::jsonb THEN now() ELSE updated_at END
        WHERE model_id = $1 AND runner_id IS NULL RETURNING id`,
      [modelId, JSON.stringify(error)],
    );
    if (flatRows(updated).length > 0) return;
    await tx.query(
      `INSERT INTO models.slots (id, model_id, runner_id, state, restarts, error, created_at, updated_at) VALUES ($1, $2, NULL, 'failed', 0, $3, now(), now())`,
      [randomUUID(), modelId, JSON.stringify(error)],
    );
  }

  /** Models that are enabled but have no deployment (new, lost with their runner, or unplaced). */
  async unplacedModels(): Promise<ModelRow[]> {
    return this.db.query(
      `SELECT ${MODEL_COLUMNS} FROM models.models m
        WHERE m.enabled AND NOT EXISTS (SELECT 1 FROM models.slots s WHERE s.model_id = m.id AND ${OCCUPIES_SQL})
        ORDER BY m.created_at`,
    );
  }
}

/** TypeORM returns [rows, count] for UPDATE … RETURNING on postgres, and plain rows for SELECT. */
export function flatRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return (result as T[]) ?? [];
}
