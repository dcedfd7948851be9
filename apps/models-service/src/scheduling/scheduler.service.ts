import { Counter } from 'prom-client';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { ClientBase } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { ModelSpec, SlotCreateCommand, SlotError, SlotView } from '@helix/contracts';
import { OFFLINE_AFTER_MS } from '../runners/runners.service';
import { gpusOf } from '../runners/runner.entity';
import { RunnerCommands } from '../slots/runner-commands';
import { SlotRepository, type RunnerWithAllocations } from '../slots/slot.repository';
import { choosePlacement, type PlacementRequest, type RunnerCapacity } from './placement';

export interface PlannedDispatch {
  slotId: string;
  runnerId: string;
  /** The runner's GPUs the slot is placed on. */
  gpus: number[];
  model: ModelSpec;
}

/** A placement just made: what to dispatch, and the new slot's row as the placing transaction wrote it. */
export interface NewPlacement extends PlannedDispatch {
  slot: SlotView;
}

// Outcomes of placement, on /metrics.
const dispatched = new Counter({ name: 'helix_models_slots_dispatched_total', help: 'model-create commands a runner accepted' });
const refused = new Counter({ name: 'helix_models_slots_refused_total', help: 'model-create commands a runner refused or did not answer' });
const noCapacity = new Counter({ name: 'helix_models_no_capacity_total', help: 'placements that found no online runner with room' });

/** Held from a placing transaction's first statement until it ends (see Scheduler.transaction). */
const PLACEMENT_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('helix-models-placement'))`;

/** The EntityManager of a Scheduler.transaction: the placement lock is held. */
export type PlacementTx = EntityManager & { readonly __placementLockHeld: true };

/**
 * Places slots: picks a runner and GPUs with room (see choosePlacement), records the slot as
 * `scheduled` on them and sends `runner.<id>.slots.create` with the GPU indices. Decisions are serialised across replicas by a
 * Postgres advisory lock held for the placing transaction; free memory per GPU is computed from the slots
 * table (which every placement writes before the lock is released), not from heartbeats that lag.
 */
@Injectable()
export class Scheduler {
  /** Per open transaction: the capacities read together with the lock. */
  private readonly readWithLock = new WeakMap<PlacementTx, RunnerCapacity[]>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly slots: SlotRepository,
    private readonly commands: RunnerCommands,
    @InjectPinoLogger('Scheduler') private readonly logger: PinoLogger,
  ) {}

  /**
   * Runs `work` in a transaction that holds the placement lock from the start. BEGIN, the lock and
   * the read of the online runners with their allocations go to Postgres as one message (see
   * SlotRepository.beginWithOnlineRunners), so every statement takes its snapshot with the lock held
   * and sees what the previous holder committed. The lock must stay a statement of its own: a read in
   * the same statement would use a snapshot taken before the wait. TypeORM does not know of this
   * transaction: `work` runs raw `tx.query` statements only (as every repository method here does);
   * a `save()` would open and commit a transaction of its own.
   */
  async transaction<T>(work: (tx: PlacementTx) => Promise<T>): Promise<T> {
    const runner = this.db.createQueryRunner();
    const client: ClientBase = await runner.connect();
    const tx = runner.manager as PlacementTx;
    try {
      const online = await this.slots.beginWithOnlineRunners(client, PLACEMENT_LOCK_SQL, onlineSince(Date.now()));
      this.readWithLock.set(tx, online.map(capacity));
      const result = await work(tx);
      await runner.query('COMMIT');
      return result;
    } catch (err) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      this.readWithLock.delete(tx);
      await runner.release();
    }
  }

  /**
   * Online runners with their GPUs and the slots that hold or are about to hold memory on them, as
   * read with the lock when the transaction began (no round trip). A placing transaction places one
   * slot, so nothing it wrote is missing here.
   */
  capacities(tx: PlacementTx): RunnerCapacity[] {
    const read = this.readWithLock.get(tx);
    if (!read) throw new Error('capacities() outside Scheduler.transaction');
    return read;
  }

  /**
   * In a Scheduler.transaction: gives the model one new slot on the best runner, replacing its stopped and unplaced
   * rows; without room, leaves (or refreshes) one `failed`/`no_capacity` row. `onlyIfUnplaced`
   * makes it a no-op when the model already has a deployment (another replica got there first).
   */
  async placeNew(tx: PlacementTx, model: ModelSpec, options: { onlyIfUnplaced?: boolean } = {}): Promise<NewPlacement | null> {
    if (options.onlyIfUnplaced && (await this.slots.isDeployed(model.id, tx))) return null;
    const choice = choosePlacement(request(model), this.capacities(tx));
    if ('runnerId' in choice) {
      const slot = await this.slots.insertScheduled(model.id, choice.runnerId, choice.gpus, tx, 'stopped-and-unplaced');
      return { slotId: slot.id, slot, runnerId: choice.runnerId, gpus: choice.gpus, model };
    }
    noCapacity.inc();
    await this.slots.recordNoCapacity(model.id, { code: 'no_capacity', message: choice.noCapacity }, tx);
    return null;
  }

  /** In a Scheduler.transaction: a prewarm slot on one (joining) runner, if it has room and none of this model yet. */
  async placeOn(tx: PlacementTx, model: ModelSpec, runnerId: string): Promise<PlannedDispatch | null> {
    if (await this.slots.isDeployed(model.id, tx, runnerId)) return null;
    const runner = this.capacities(tx).filter((r) => r.id === runnerId);
    const choice = choosePlacement(request(model), runner);
    if (!('runnerId' in choice)) return null;
    const slot = await this.slots.insertScheduled(model.id, runnerId, choice.gpus, tx, 'unplaced');
    return { slotId: slot.id, runnerId, gpus: choice.gpus, model };
  }

  /** Sends the create command; a runner that refuses or does not answer is skipped for the next best. */
  async dispatch(plan: PlannedDispatch, tried: Set<string> = new Set()): Promise<void> {
    const { model } = plan;
    const command: SlotCreateCommand = {
      slot_id: plan.slotId,
      model: { id: model.id, type: model.type, memory: model.memory, context_length: model.context_length, runtime_args: model.runtime_args },
      // The runner resolves the token along the model's chain: model → owner (user) → org → global → env.
      user_id: model.owner_id,
      org_id: model.org_id,
      gpus: plan.gpus,
    };
    const outcome = await this.commands.create(plan.runnerId, command);
    if (outcome.ok) {
      dispatched.inc();
      this.logger.info({ slot_id: plan.slotId, model: model.id, runner_id: plan.runnerId, gpus: plan.gpus }, 'sent model-create command to runner');
      return;
    }
    tried.add(plan.runnerId);
    refused.inc();
    this.logger.warn({ slot_id: plan.slotId, model: model.id, runner_id: plan.runnerId, reason: outcome.reason }, 'runner did not take the slot');
    let next: PlannedDispatch | null = null;
    try {
      next = await this.transaction(async (tx) => {
        const slot = await this.slots.lock(plan.slotId, tx);
        // The runner may have accepted after all (its status arrived), or the model was deleted/changed.
        if (!slot || slot.state !== 'scheduled' || slot.runner_id !== plan.runnerId) return null;
        const choice = choosePlacement(request(model), this.capacities(tx), tried);
        if ('runnerId' in choice) {
          await this.slots.reassign(plan.slotId, choice.runnerId, choice.gpus, tx);
          return { ...plan, runnerId: choice.runnerId, gpus: choice.gpus };
        }
        const error: SlotError = { code: 'no_capacity', message: `${choice.noCapacity} Last attempt: ${outcome.reason.replace(/\.$/, '')}.` };
        await this.slots.markUnplaced(plan.slotId, error, tx);
        return null;
      });
    } catch (err) {
      // The reconciler retries unplaced models; nothing is lost by giving up here.
      this.logger.warn({ slot_id: plan.slotId, err: { message: (err as Error).message } }, 'could not re-place slot');
      return;
    }
    if (next) await this.dispatch(next, tried);
  }
}

function request(model: ModelSpec): PlacementRequest {
  return { memory: model.memory, runtimeArgs: model.runtime_args };
}

/** Runners seen after this are online (three heartbeats). */
function onlineSince(now: number): Date {
  return new Date(now - OFFLINE_AFTER_MS);
}

function capacity(r: RunnerWithAllocations): RunnerCapacity {
  return { id: r.id, gpus: gpusOf(r), allocations: r.allocations };
}
