import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { RunnerHeartbeat, SlotError, SlotView } from '@helix/contracts';
import { RunnerCommands } from './runner-commands';
import { SlotRepository } from './slot.repository';

/** A slot its runner stops reporting is lost only after this long (covers a create racing a heartbeat). */
export const MISSING_GRACE_MS = 10_000;
/** An orphan (a process no slot row owns) is told to stop at most this often. */
export const ORPHAN_STOP_EVERY_MS = 10_000;

/**
 * Applies what runners report about their slots (`runner.<id>.slots.status` and the slot list in
 * every heartbeat, both already parsed) to models.slots. Reports carry the runner's own timestamp;
 * an older report never overwrites a newer one (see SlotRepository.applyReport).
 */
@Injectable()
export class SlotTracker {
  private readonly orphanStops = new Map<string, number>();
  private readonly stoppedListeners: Array<() => void> = [];

  constructor(
    private readonly slots: SlotRepository,
    private readonly commands: RunnerCommands,
    @InjectPinoLogger('SlotTracker') private readonly logger: PinoLogger,
  ) {}

  /** Called whenever a slot stops (so the reconciler can re-place the model at once). */
  onSlotStopped(listener: () => void): void {
    this.stoppedListeners.push(listener);
  }

  async applyStatus(runnerId: string, report: SlotView): Promise<void> {
    await this.apply(runnerId, report, (await this.slots.find(report.id)) ?? undefined);
  }

  async applyHeartbeat(hb: RunnerHeartbeat, now = Date.now()): Promise<void> {
    const rows = await this.slots.listForRunnerReport(
      hb.runner_id,
      hb.slots.map((r) => r.id),
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const report of hb.slots) await this.apply(hb.runner_id, report, byId.get(report.id));

    const reported = new Set(hb.slots.map((r) => r.id));
    const lost = rows.filter(
      (r) => r.runner_id === hb.runner_id && r.state !== 'stopped' && !reported.has(r.id) && now - Date.parse(r.updated) > MISSING_GRACE_MS,
    );
    for (const row of lost) {
      await this.markStopped(row.id, hb.runner_id, {
        code: 'crash',
        message: `Runner ${hb.runner_id} no longer reports this slot (the runner restarted or lost the process); the model is placed again.`,
      });
    }
  }

  /** Active slots of runners that went offline: stopped, so their models can be placed elsewhere. */
  async releaseOfflineRunners(offlineSince: Date): Promise<number> {
    const rows = await this.slots.listActiveOnRunnersSeenBefore(offlineSince);
    for (const row of rows) {
      await this.markStopped(row.id, row.runner_id, {
        code: 'crash',
        message: `Runner ${row.runner_id} went offline (missed 3 heartbeats); the model is placed again on a runner with room.`,
      });
    }
    return rows.length;
  }

  private async apply(runnerId: string, report: SlotView, row: SlotView | undefined): Promise<void> {
    if (!row || row.runner_id !== runnerId || row.state === 'stopped') {
      // A process no slot row owns here (model deleted, slot moved, runner came back): stop it.
      if (report.state !== 'stopped') this.stopOrphan(runnerId, report);
      return;
    }
    if (!(await this.slots.applyReport(runnerId, report))) return;
    this.logger.info(
      {
        slot_id: row.id,
        model: row.model_id,
        runner_id: runnerId,
        state: report.state,
        restarts: report.restarts,
        hf_token_source: report.hf_token_source,
        hf_token_fingerprint: report.hf_token_fingerprint,
        error: report.error,
      },
      'slot state changed',
    );
    if (report.state === 'stopped') this.notifyStopped();
  }

  private async markStopped(slotId: string, runnerId: string, error: SlotError): Promise<void> {
    if (!(await this.slots.markStopped(slotId, runnerId, error))) return;
    this.logger.warn({ slot_id: slotId, runner_id: runnerId, error }, 'slot lost');
    this.notifyStopped();
  }

  private notifyStopped(): void {
    for (const listener of this.stoppedListeners) listener();
  }

  private stopOrphan(runnerId: string, report: SlotView): void {
    const key = `${runnerId}/${report.id}`;
    const last = this.orphanStops.get(key) ?? 0;
    if (Date.now() - last < ORPHAN_STOP_EVERY_MS) return;
    this.orphanStops.set(key, Date.now());
    if (this.orphanStops.size > 10_000) this.orphanStops.clear();
    this.logger.info({ slot_id: report.id, model: report.model_id, runner_id: runnerId }, 'stopping a slot the control plane no longer owns');
    void this.commands.stop(runnerId, { slot_id: report.id });
  }
}
