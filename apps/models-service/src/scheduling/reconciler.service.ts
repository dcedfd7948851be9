import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { SingleFlight } from '@helix/tasks';
import { OFFLINE_AFTER_MS } from '../runners/runners.service';
import { SlotTracker } from '../slots/slot-tracker.service';
import { Scheduler, type PlannedDispatch } from './scheduler.service';
import { ModelRepository, specOf } from '../models/model.repository';

export const RECONCILE_INTERVAL_MS = 2_000;

/**
 * Drives the stored desired state (every enabled model has a deployment) towards what runners
 * report: releases the slots of offline runners, places models that have none (new, lost, or
 * waiting for capacity), and starts prewarm models on runners that join. Everything it needs is in
 * Postgres, so a restarted models-service simply carries on.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly startedAt = Date.now();
  private readonly flight = new SingleFlight(
    () => this.pass(),
    (err) => this.logger.warn({ err: { message: err.message } }, 'reconcile pass failed; retrying'),
  );
  private stopped = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly models: ModelRepository,
    private readonly tracker: SlotTracker,
    @InjectPinoLogger('Reconciler') private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.tracker.onSlotStopped(() => this.kick());
    this.flight.every(RECONCILE_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.flight.stop();
  }

  /** Runs a pass now (or right after the current one). */
  kick(): void {
    this.flight.kick();
  }

  private async pass(): Promise<void> {
    const now = Date.now();
    // After a restart, runners get one offline window to report before being declared offline.
    if (now - this.startedAt > OFFLINE_AFTER_MS) await this.tracker.releaseOfflineRunners(new Date(now - OFFLINE_AFTER_MS));
    for (const model of await this.models.listUndeployed()) {
      if (this.stopped) return;
      const plan = await this.scheduler.transaction((tx) => this.scheduler.placeNew(tx, specOf(model), { onlyIfUnplaced: true }));
      if (plan) this.launch(plan, 'placed model');
    }
  }

  /** A runner joined (new, or back from offline): start every prewarm model that fits on it. */
  async runnerJoined(runnerId: string): Promise<void> {
    for (const model of await this.models.listPrewarm()) {
      const plan = await this.scheduler.transaction((tx) => this.scheduler.placeOn(tx, specOf(model), runnerId));
      if (plan) this.launch(plan, 'prewarming model on joining runner');
    }
    this.kick();
  }

  private launch(plan: PlannedDispatch, msg: string): void {
    this.logger.info({ slot_id: plan.slotId, model: plan.model.id, runner_id: plan.runnerId, gpus: plan.gpus }, msg);
    void this.scheduler.dispatch(plan);
  }
}
