import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ClientBase } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { GpuInfo, SlotError, SlotView } from '@helix/contracts';
import { preparedStatement, queryPrepared, ReadWithBegin, timestampLiteral } from '@helix/persistence';

/** SQL for "this slot holds, or is about to hold, GPU memory" (same rule as reservesMemory()). */
export const RESERVES_MEMORY_SQL = `(s.state IN ('scheduled', 'starting', 'running') OR (s.state = 'failed' AND s.error->>'code' = 'hf_auth'))`;
/** A slot that counts as the model's deployment: alive, or failed on a runner (not re-placed automatically). */
export const OCCUPIES_SQL = `(s.state IN ('scheduled', 'starting', 'running') OR (s.state = 'failed' AND s.runner_id IS NOT NULL))`;

const VIEW_COLUMNS = `s.id, s.model_id, s.runner_id, s.state, s.restarts, s.endpoint, s.hf_token_source, s.hf_token_fingerprint, s.error,
  COALESCE(s.gpus, '{}') AS gpus, s.created_at AS created, s.updated_at AS updated`;

// Statements of the placing path and of every slot report (see queryPrepared).
/** The runners seen after $1, each with the slots that hold memory on it (oldest first), in one statement. */
const ONLINE_RUNNERS_WITH_ALLOCATIONS = new ReadWithBegin<OnlineRunnerRow>(
  'models_online_runners_with_allocations',
  ['timestamptz'],
  `SELECT r.id, r.gpus, r.memory_total, COALESCE(a.allocations, '[]') AS allocations
     FROM models.runners r
     LEFT JOIN LATERAL (
       SELECT json_agg(json_build_object('id', s.id, 'gpus', s.gpus, 'memory', m.memory) ORDER BY s.created_at) AS allocations
         FROM models.slots s JOIN models.models m ON m.id = s.model_id
        WHERE s.runner_id = r.id AND ${RESERVES_MEMORY_SQL}
     ) a ON true
    WHERE r.last_seen > $1 ORDER BY r.id`,
);

const insertScheduled = (which: string) =>
  `WITH replaced AS (DELETE FROM models.slots WHERE model_id = $2 AND ${which})
   INSERT INTO models.slots AS s (id, model_id, runner_id, gpus, state, restarts, created_at, updated_at) VALUES ($1, $2, $3, $4, 'scheduled', 0, now(), now())
   RETURNING ${VIEW_COLUMNS}`;
const INSERT_SCHEDULED = {
  'stopped-and-unplaced': preparedStatement('models.slots.insert-replacing-stopped-and-unplaced', insertScheduled(`(state = 'stopped' OR runner_id IS NULL)`)),
  unplaced: preparedStatement('models.slots.insert-replacing-unplaced', insertScheduled('runner_id IS NULL')),
};

const APPLY_REPORT = preparedStatement(
  'models.slots.apply-report',
  `UPDATE models.slots SET state = $3, restarts = $4, endpoint = $5, hf_token_source = $6, hf_token_fingerprint = $7, error = $8,
          reported_at = $9, updated_at = now()
    WHERE id = $1 AND runner_id = $2 AND state <> 'stopped' AND (reported_at IS NULL OR reported_at <= $9)
      AND (state, restarts, endpoint, hf_token_source, hf_token_fingerprint, error)
          IS DISTINCT FROM ($3, $4, $5, $6, $7, $8::jsonb)
    RETURNING id`,
);

/** One slot's hold on a runner's GPUs (the model's memory, spread evenly over `gpus`). */
export interface SlotAllocation {
  slotId: string;
  gpus: number[];
  memory: number;
}

/** A runner's GPUs (as its row holds them) and the slots that hold memory on it. */
export interface RunnerWithAllocations {
  id: string;
  gpus: GpuInfo[];
  memoryTotal: number;
  allocations: SlotAllocation[];
}

function allocation(slotId: string, gpus: number[] | null, memory: string | number): SlotAllocation {
  // A slot placed before GPUs were tracked ran where vLLM starts without CUDA_VISIBLE_DEVICES: GPU 0.
  return { slotId, gpus: gpus ?? [0], memory: Number(memory) };
}

interface OnlineRunnerRow {
  id: string;
  gpus: GpuInfo[];
  memory_total: string; // bigint
  allocations: Array<{ id: string; gpus: number[] | null; memory: number }>;
}

function withAllocations(rows: OnlineRunnerRow[]): RunnerWithAllocations[] {
  return rows.map((r) => ({
    id: r.id,
    gpus: r.gpus,
    memoryTotal: Number(r.memory_total),
    allocations: r.allocations.map((a) => allocation(a.id, a.gpus, a.memory)),
  }));
}

/**
 * The only writer (and the reader) of models.slots. Rows come back as the contract's SlotView.
 * Methods that take `tx` run in the caller's transaction (placement holds its advisory lock there).
 */
@Injectable()
export class SlotRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async listForModel(modelId: string, tx: EntityManager = this.db.manager): Promise<SlotView[]> {
    return views(await tx.query(`SELECT ${VIEW_COLUMNS} FROM models.slots s WHERE s.model_id = $1 ORDER BY s.created_at`, [modelId]));
  }

  async listAll(): Promise<SlotView[]> {
    return views(await this.db.query(`SELECT ${VIEW_COLUMNS} FROM models.slots s ORDER BY s.created_at`));
  }

  /** Slots that are on a runner (placed), oldest first. */
  /** The slots placed on these runners. */
  async listPlaced(runnerIds: string[]): Promise<SlotView[]> {
    return views(await this.db.query(`SELECT ${VIEW_COLUMNS} FROM models.slots s WHERE s.runner_id = ANY($1) ORDER BY s.created_at`, [runnerIds]));
  }

  /** The slot, locked for the rest of `tx`. */
  async lock(slotId: string, tx: EntityManager): Promise<SlotView | null> {
    return views(await tx.query(`SELECT ${VIEW_COLUMNS} FROM models.slots s WHERE s.id = $1 FOR UPDATE`, [slotId]))[0] ?? null;
  }

  async find(slotId: string): Promise<SlotView | null> {
    return views(await this.db.query(`SELECT ${VIEW_COLUMNS} FROM models.slots s WHERE s.id = $1`, [slotId]))[0] ?? null;
  }

  /** What a heartbeat is compared with: the runner's slots, and the slots it reports (wherever they are). */
  async listForRunnerReport(runnerId: string, reportedIds: string[]): Promise<SlotView[]> {
    return views(await this.db.query(`SELECT ${VIEW_COLUMNS} FROM models.slots s WHERE s.runner_id = $1 OR s.id = ANY($2::uuid[])`, [runnerId, reportedIds]));
  }

  /** Slots not yet stopped on runners last seen at or before `lastSeen`. */
  async listActiveOnRunnersSeenBefore(lastSeen: Date): Promise<Array<{ id: string; runner_id: string }>> {
    return this.db.query(
      `SELECT s.id, s.runner_id FROM models.slots s JOIN models.runners r ON r.id = s.runner_id
        WHERE s.state <> 'stopped' AND r.last_seen <= $1`,
      [lastSeen],
    );
  }

  /**
   * Opens a transaction on `client`, runs `lockSql` and then reads the runners seen after `since`
   * with the slots that hold memory on each, as one message (see ReadWithBegin): one round trip on
   * the placing path. The read sees what was committed while the lock was awaited.
   */
  async beginWithOnlineRunners(client: ClientBase, lockSql: string, since: Date): Promise<RunnerWithAllocations[]> {
    return withAllocations(await ONLINE_RUNNERS_WITH_ALLOCATIONS.begin(client, lockSql, [timestampLiteral(since)]));
  }

  /**
   * The slots that hold or are about to hold GPU memory, per runner: their GPUs and their model's
   * memory; only on `runnerIds` when given (a page of GET /runners).
   */
  async allocationsByRunner(tx: EntityManager = this.db.manager, runnerIds?: string[]): Promise<Map<string, SlotAllocation[]>> {
    const rows: Array<{ id: string; runner_id: string; gpus: number[] | null; memory: string }> = await tx.query(
      `SELECT s.id, s.runner_id, s.gpus, m.memory FROM models.slots s JOIN models.models m ON m.id = s.model_id
        WHERE s.runner_id IS NOT NULL AND ($1::text[] IS NULL OR s.runner_id = ANY($1)) AND ${RESERVES_MEMORY_SQL} ORDER BY s.created_at`,
      [runnerIds ?? null],
    );
    const byRunner = new Map<string, SlotAllocation[]>();
    for (const r of rows) {
      const list = byRunner.get(r.runner_id) ?? [];
      list.push(allocation(r.id, r.gpus, r.memory));
      byRunner.set(r.runner_id, list);
    }
    return byRunner;
  }

  /** Whether the model has a deployment (on `runnerId`, when given). */
  async isDeployed(modelId: string, tx: EntityManager, runnerId?: string): Promise<boolean> {
    const [{ deployed }] = await tx.query(
      `SELECT EXISTS (SELECT 1 FROM models.slots s WHERE s.model_id = $1 AND ($2::text IS NULL OR s.runner_id = $2) AND ${OCCUPIES_SQL}) AS deployed`,
      [modelId, runnerId ?? null],
    );
    return deployed;
  }

  /**
   * A new `scheduled` slot on the runner, as recorded; its rows that no longer count (stopped,
   * unplaced) go first when `replace`.
   */
  async insertScheduled(
    modelId: string,
    runnerId: string,
    gpus: readonly number[],
    tx: EntityManager,
    replace: 'stopped-and-unplaced' | 'unplaced',
  ): Promise<SlotView> {
    // One statement (one round trip on the placing path): the DELETE does not see the row the INSERT adds.
    const rows = await queryPrepared(tx, INSERT_SCHEDULED[replace], [randomUUID(), modelId, runnerId, gpus]);
    return views(returnedRows(rows))[0];
  }

  /** Moves a scheduled slot to another runner and GPUs (the first runner did not take it). */
  async reassign(slotId: string, runnerId: string, gpus: readonly number[], tx: EntityManager): Promise<void> {
    await tx.query('UPDATE models.slots SET runner_id = $2, gpus = $3, updated_at = now() WHERE id = $1', [slotId, runnerId, gpus]);
  }

  /** The slot could be placed nowhere: it stays as the model's one unplaced `failed` row. */
  async markUnplaced(slotId: string, error: SlotError, tx: EntityManager): Promise<void> {
    await tx.query(`UPDATE models.slots SET runner_id = NULL, gpus = NULL, state = 'failed', endpoint = NULL, error = $2, updated_at = now() WHERE id = $1`, [
      slotId,
      JSON.stringify(error),
    ]);
  }

  /** Leaves (or refreshes) exactly one unplaced `failed` row carrying `error`; stopped rows go. */
  async recordNoCapacity(modelId: string, error: SlotError, tx: EntityManager): Promise<void> {
    await tx.query(`DELETE FROM models.slots WHERE model_id = $1 AND state = 'stopped'`, [modelId]);
    const updated = await tx.query(
      `UPDATE models.slots SET error = $2, updated_at = CASE WHEN error IS DISTINCT FROM $2::jsonb THEN now() ELSE updated_at END
        WHERE model_id = $1 AND runner_id IS NULL RETURNING id`,
      [modelId, JSON.stringify(error)],
    );
    if (returnedRows(updated).length > 0) return;
    await tx.query(
      `INSERT INTO models.slots (id, model_id, runner_id, state, restarts, error, created_at, updated_at) VALUES ($1, $2, NULL, 'failed', 0, $3, now(), now())`,
      [randomUUID(), modelId, JSON.stringify(error)],
    );
  }

  /**
   * Records what the runner reported about its slot. Returns false (and changes nothing) when the
   * slot is not this runner's, is stopped, nothing changed, or the report is older than the last one
   * applied (`reported_at`), so a delayed status cannot roll back a newer one.
   */
  async applyReport(runnerId: string, report: SlotView): Promise<boolean> {
    const result = await queryPrepared(this.db.manager, APPLY_REPORT, [
      report.id,
      runnerId,
      report.state,
      report.restarts,
      report.endpoint,
      report.hf_token_source,
      report.hf_token_fingerprint,
      report.error ? JSON.stringify(report.error) : null,
      new Date(report.updated),
    ]);
    return returnedRows(result).length > 0;
  }

  /** Marks the runner's slot stopped with `error`; false when it was not this runner's or already stopped. */
  async markStopped(slotId: string, runnerId: string, error: SlotError): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE models.slots SET state = 'stopped', endpoint = NULL, error = $3, updated_at = now() WHERE id = $1 AND runner_id = $2 AND state <> 'stopped' RETURNING id`,
      [slotId, runnerId, JSON.stringify(error)],
    );
    return returnedRows(result).length > 0;
  }

  /** Deletes the model's slots; returns where they ran, so their processes can be stopped. */
  async deleteForModel(modelId: string, tx: EntityManager): Promise<Array<{ id: string; runner_id: string | null; state: SlotView['state'] }>> {
    return returnedRows(await tx.query('DELETE FROM models.slots WHERE model_id = $1 RETURNING id, runner_id, state', [modelId]));
  }
}

/**
 * The state a slot is shown in. The model's one unplaced row is stored `failed` with `no_capacity`
 * (placement, the reconciler and the memory rules read it so), but it has not failed: it waits for
 * room and is placed when room appears, so it is shown `scheduled`, its error still `no_capacity`.
 */
export const SHOWN_STATE_SQL = `(CASE WHEN s.state = 'failed' AND s.runner_id IS NULL AND s.error->>'code' = 'no_capacity' THEN 'scheduled' ELSE s.state END)`;

export function shownState(slot: Pick<SlotView, 'state' | 'runner_id' | 'error'>): SlotView['state'] {
  return slot.state === 'failed' && slot.runner_id === null && slot.error?.code === 'no_capacity' ? 'scheduled' : slot.state;
}

/** Rows as SlotViews: the driver gives timestamps as Dates, the view has ISO strings; see shownState. */
function views(rows: Array<Omit<SlotView, 'created' | 'updated'> & { created: Date; updated: Date }>): SlotView[] {
  return rows.map((r) => ({ ...r, state: shownState(r), created: new Date(r.created).toISOString(), updated: new Date(r.updated).toISOString() }));
}

/** TypeORM returns [rows, count] for UPDATE/DELETE … RETURNING on postgres, and plain rows for SELECT. */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return (result as T[]) ?? [];
}
