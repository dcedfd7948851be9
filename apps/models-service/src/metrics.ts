import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Gauge } from 'prom-client';
import { SLOT_STATES } from '@helix/contracts';
import { OFFLINE_AFTER_MS } from './runners/runners.service';
import { SHOWN_STATE_SQL } from './slots/slot.repository';

let source: ModelsMetrics | undefined;

/** Runners by state, read from `models.runners` at each scrape (online: a heartbeat within the offline delay). */
const runners = new Gauge({
  name: 'helix_models_runners',
  help: 'runners known to the control plane, by state (online: heartbeat seen within the offline delay)',
  labelNames: ['state'] as const,
  async collect() {
    const counts = await source?.runners().catch(() => undefined);
    if (!counts) return; // database unavailable: keep the last values rather than fail the scrape
    runners.set({ state: 'online' }, counts.online);
    runners.set({ state: 'offline' }, counts.offline);
  },
});

/**
 * Slots by state (as shown by the API) and reason (the error code: `no_capacity` for a scheduled slot waiting for room,
 * `hf_auth`, `oom`, `crash`, `start_timeout` for a failed one; `none` otherwise).
 */
const slots = new Gauge({
  name: 'helix_models_slots',
  help: 'model slots by state and reason (error code, or none)',
  labelNames: ['state', 'reason'] as const,
  async collect() {
    const rows = await source?.slots().catch(() => undefined);
    if (!rows) return;
    slots.reset();
    for (const state of SLOT_STATES) slots.set({ state, reason: 'none' }, 0);
    for (const r of rows) slots.set({ state: r.state, reason: r.reason }, r.count);
  },
});

/** The models-service's gauges for alerting; every replica reports the same tables. */
@Injectable()
export class ModelsMetrics {
  constructor(@InjectDataSource() private readonly db: DataSource) {
    source = this;
  }

  async runners(now = Date.now()): Promise<{ online: number; offline: number }> {
    const [row]: Array<{ online: string; offline: string }> = await this.db.query(
      'SELECT count(*) FILTER (WHERE last_seen >= $1) AS online, count(*) FILTER (WHERE last_seen < $1) AS offline FROM models.runners',
      [new Date(now - OFFLINE_AFTER_MS)],
    );
    return { online: Number(row.online), offline: Number(row.offline) };
  }

  async slots(): Promise<Array<{ state: string; reason: string; count: number }>> {
    const rows: Array<{ state: string; reason: string; count: string }> = await this.db.query(
      `SELECT ${SHOWN_STATE_SQL} AS state, coalesce(s.error->>'code', 'none') AS reason, count(*) AS count FROM models.slots s GROUP BY 1, 2`,
    );
    return rows.map((r) => ({ state: r.state, reason: r.reason, count: Number(r.count) }));
  }
}
