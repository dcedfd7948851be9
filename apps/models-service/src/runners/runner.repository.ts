import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { RunnerHeartbeat } from '@helix/contracts';
import { preparedStatement, queryPrepared } from '@helix/persistence';
import { RunnerEntity } from './runner.entity';

// Every heartbeat of every runner (see queryPrepared).
const RECORD_HEARTBEAT = preparedStatement(
  'models.runners.record-heartbeat',
  `WITH previous AS (SELECT last_seen FROM models.runners WHERE id = $1)
   INSERT INTO models.runners (id, memory_total, gpus, settings_version, settings_seq, settings_applied, hf_token_provided, first_seen, last_seen)
   VALUES ($1, $2, $8, $3, $4, $5, $6, $7, $7)
   ON CONFLICT (id) DO UPDATE SET memory_total = EXCLUDED.memory_total, gpus = EXCLUDED.gpus, settings_version = EXCLUDED.settings_version,
     settings_seq = EXCLUDED.settings_seq, settings_applied = EXCLUDED.settings_applied,
     hf_token_provided = EXCLUDED.hf_token_provided, last_seen = EXCLUDED.last_seen
   RETURNING (SELECT last_seen FROM previous) AS previous_last_seen`,
);

// Every page of GET /api/v1/runners (the CLI's --wait and the console poll it).
const LIST_PAGE = preparedStatement(
  'models.runners.list-page',
  `SELECT id, memory_total, gpus, settings_version, settings_seq, settings_applied, hf_token_provided, first_seen, last_seen
     FROM models.runners WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2`,
);

interface RunnerRow {
  id: string;
  memory_total: string; // bigint
  gpus: RunnerEntity['gpus'];
  settings_version: number;
  settings_seq: string; // bigint
  settings_applied: number;
  hf_token_provided: boolean;
  first_seen: Date;
  last_seen: Date;
}

/** The only writer (and the reader) of models.runners: the last heartbeat of each runner. */
@Injectable()
export class RunnerRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores the heartbeat as the runner's latest; returns when the runner was seen before (null: never). */
  async recordHeartbeat(hb: RunnerHeartbeat, now: Date): Promise<Date | null> {
    const rows: Array<{ previous_last_seen: Date | null }> = await queryPrepared(this.db.manager, RECORD_HEARTBEAT, [
      hb.runner_id,
      hb.memory_total,
      hb.settings_version,
      hb.settings_seq,
      hb.settings_applied,
      hb.hf_token_provided,
      now,
      JSON.stringify(hb.gpus),
    ]);
    const previous = rows[0]?.previous_last_seen;
    return previous ? new Date(previous) : null;
  }

  /** A page of runners in id order: those after `after` (exclusive), at most `limit`. */
  async list(after: string | null, limit: number): Promise<RunnerEntity[]> {
    const rows: RunnerRow[] = await queryPrepared(this.db.manager, LIST_PAGE, [after, limit]);
    return rows.map((r) =>
      Object.assign(new RunnerEntity(), {
        id: r.id,
        memoryTotal: Number(r.memory_total),
        gpus: r.gpus,
        settingsVersion: r.settings_version,
        settingsSeq: Number(r.settings_seq),
        settingsApplied: r.settings_applied,
        hfTokenProvided: r.hf_token_provided,
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
      }),
    );
  }

  /**
   * Runners whose last heartbeat is newer than `since` (the online ones), with what placement needs.
   * Plain SQL: it runs in every placement, and TypeORM's find costed about a millisecond of CPU each.
   */
  async listSeenAfter(since: Date, tx: EntityManager = this.db.manager): Promise<Array<Pick<RunnerEntity, 'id' | 'gpus' | 'memoryTotal'>>> {
    const rows: Array<{ id: string; gpus: RunnerEntity['gpus']; memory_total: string }> = await tx.query(
      'SELECT id, gpus, memory_total FROM models.runners WHERE last_seen > $1 ORDER BY id',
      [since],
    );
    return rows.map((r) => ({ id: r.id, gpus: r.gpus, memoryTotal: Number(r.memory_total) }));
  }
}
