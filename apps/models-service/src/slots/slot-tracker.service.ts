import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import type { RunnerHeartbeat, SlotError, SlotState, SlotView } from '@helix/contracts';
import { SLOT_COLUMNS, type SlotRow } from '../models/rows';
import { flatRows } from '../scheduling/scheduler.service';
import { RunnerCommands } from './runner-commands';

const STATES: readonly SlotState[] = ['scheduled', 'starting', 'running', 'failed', 'stopped'];
const ERROR_CODES = ['hf_auth', 'oom', 'crash', 'start_timeout', 'no_capacity'];
const TOKEN_SOURCES = ['model', 'user', 'org', 'global', 'env', 'none'];
/** A slot its runner stops reporting is lost only after this long (covers a create racing a heartbeat). */
export const MISSING_GRACE_MS = 10_000;
/** An orphan (a process no slot row owns) is told to stop at most this often. */
const ORPHAN_STOP_EVERY_MS = 10_000;

/**
 * Applies what runners report about their slots (`runner.<id>.slots.status` and the slot list in
 * every heartbeat) to models.slots. Reports carry the runner's own timestamp; an older report never
 * overwrites a newer one, so a delayed status or a heartbeat that raced a status cannot roll back.
 */
@Injectable()
export class SlotTracker {
  private readonly orphanStops = new Map<string, number>();
  private readonly stoppedListeners: Array<() => void> = [];

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly commands: RunnerCommands,
    @InjectPinoLogger('SlotTracker') private readonly logger: PinoLogger,
  ) {}

  /** Called whenever a slot stops (so the reconciler can re-place the model at once). */
  onSlotStopped(listener: () => void): void {
    this.stoppedListeners.push(listener);
  }

  async applyStatus(runnerId: string, view: SlotView): Promise<void> {
    if (!isValidReport(view)) {
      this.logger.warn({ runner_id: runnerId }, 'ignored a malformed slot status');
      return;
    }
    const [row]: SlotRow[] = await this.db.query(`SELECT ${SLOT_COLUMNS} FROM models.slots WHERE id = $1`, [view.id]);
    await this.apply(runnerId, view, row);
  }

  async applyHeartbeat(hb: RunnerHeartbeat, now = Date.now()): Promise<void> {
    const reports = hb.slots.filter(isValidReport);
    const rows: SlotRow[] = await this.db.query(`SELECT ${SLOT_COLUMNS} FROM models.slots WHERE runner_id = $1 OR id = ANY($2::uuid[])`, [
      hb.runner_id,
      reports.map((r) => r.id),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const report of reports) await this.apply(hb.runner_id, report, byId.get(report.id));

    const reported = new Set(reports.map((r) => r.id));
    const lost = rows.filter(
      (r) => r.runner_id === hb.runner_id && r.state !== 'stopped' && !reported.has(r.id) && now - new Date(r.updated_at).getTime() > MISSING_GRACE_MS,
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
    const rows: Array<{ id: string; runner_id: string }> = await this.db.query(
      `SELECT s.id, s.runner_id FROM models.slots s JOIN models.runners r ON r.id = s.runner_id
        WHERE s.state <> 'stopped' AND r.last_seen <= $1`,
      [offlineSince],
    );
    for (const row of rows) {
      await this.markStopped(row.id, row.runner_id, {
        code: 'crash',
        message: `Runner ${row.runner_id} went offline (missed 3 heartbeats); the model is placed again on a runner with room.`,
      });
    }
    return rows.length;
  }

  private async apply(runnerId: string, view: SlotView, row: SlotRow | undefined): Promise<void> {
    if (!row || row.runner_id !== runnerId || row.state === 'stopped') {
      // A process no slot row owns here (model deleted, slot moved, runner came back): stop it.
      if (view.state !== 'stopped') this.stopOrphan(runnerId, view);
      return;
    }
    const reportedAt = new Date(view.updated);
    const result = await this.db.query(
      `UPDATE models.slots SET state = $3, restarts = $4, endpoint = $5, hf_token_source = $6, hf_token_fingerprint = $7, error = $8,
              reported_at = $9, updated_at = now()
        WHERE id = $1 AND runner_id = $2 AND state <> 'stopped' AND (reported_at IS NULL OR reported_at <= $9)
          AND (state, restarts, endpoint, hf_token_source, hf_token_fingerprint, error)
              IS DISTINCT FROM ($3, $4, $5, $6, $7, $8::jsonb)
        RETURNING id`,
      [row.id, runnerId, view.state, view.restarts, view.endpoint, view.hf_token_source, view.hf_token_fingerprint, view.error ? JSON.stringify(view.error) : null, reportedAt],
    );
    if (flatRows(result).length === 0) return;
    this.logger.info(
      {
        slot_id: row.id,
        model: row.model_id,
        runner_id: runnerId,
        state: view.state,
        restarts: view.restarts,
        hf_token_source: view.hf_token_source,
        hf_token_fingerprint: view.hf_token_fingerprint,
        error: view.error,
      },
      'slot state changed',
    );
    if (view.state === 'stopped') this.notifyStopped();
  }

  private async markStopped(slotId: string, runnerId: string, error: SlotError): Promise<void> {
    const result = await this.db.query(
      `UPDATE models.slots SET state = 'stopped', endpoint = NULL, error = $3, updated_at = now() WHERE id = $1 AND runner_id = $2 AND state <> 'stopped' RETURNING id`,
      [slotId, runnerId, JSON.stringify(error)],
    );
    if (flatRows(result).length === 0) return;
    this.logger.warn({ slot_id: slotId, runner_id: runnerId, error }, 'slot lost');
    this.notifyStopped();
  }

  private notifyStopped(): void {
    for (const listener of this.stoppedListeners) listener();
  }

  private stopOrphan(runnerId: string, view: SlotView): void {
    const key = `${runnerId}/${view.id}`;
    const last = this.orphanStops.get(key) ?? 0;
    if (Date.now() - last < ORPHAN_STOP_EVERY_MS) return;
    this.orphanStops.set(key, Date.now());
    if (this.orphanStops.size > 10_000) this.orphanStops.clear();
    this.logger.info({ slot_id: view.id, model: view.model_id, runner_id: runnerId }, 'stopping a slot the control plane no longer owns');
    void this.commands.stop(runnerId, { slot_id: view.id });
  }
}

function isValidReport(v: SlotView): boolean {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    /^[0-9a-f-]{36}$/i.test(v.id) &&
    typeof v.model_id === 'string' &&
    STATES.includes(v.state) &&
    Number.isSafeInteger(v.restarts) &&
    (v.endpoint === null || typeof v.endpoint === 'string') &&
    (v.hf_token_source === null || TOKEN_SOURCES.includes(v.hf_token_source)) &&
    (v.hf_token_fingerprint === null || (typeof v.hf_token_fingerprint === 'string' && /^sha256:[0-9a-f]{12}$/.test(v.hf_token_fingerprint))) &&
    (v.error === null || (typeof v.error === 'object' && ERROR_CODES.includes(v.error.code) && typeof v.error.message === 'string')) &&
    typeof v.updated === 'string' &&
    Number.isFinite(Date.parse(v.updated))
  );
}
