import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RunnerSyncRecord, SettingsAppliedEvent } from '@helix/contracts';
import { preparedStatement, queryPrepared } from '@helix/persistence';

// Every message of acks from every runner (see queryPrepared).
const RECORD_ACKS = preparedStatement(
  'settings.runner-acks.record',
  `INSERT INTO settings.runner_acks (runner_id, scope, scope_id, version, hf_token_provided, applied_at)
   SELECT r, s, i, v, p, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::boolean[]) AS a(r, s, i, v, p)
   ON CONFLICT (runner_id, scope, scope_id) DO UPDATE
     SET version = EXCLUDED.version, hf_token_provided = EXCLUDED.hf_token_provided, applied_at = EXCLUDED.applied_at
     WHERE settings.runner_acks.version <= EXCLUDED.version`,
);

// Every page of GET /api/v1/runners and every poll of the CLI's --wait.
const LIST_GLOBAL = preparedStatement(
  'settings.runner-acks.list-global',
  `SELECT runner_id, version, hf_token_provided, applied_at FROM settings.runner_acks
    WHERE scope = 'global' AND ($1::text[] IS NULL OR runner_id = ANY($1)) ORDER BY runner_id`,
);

/**
 * All SQL of `settings.runner_acks`: the newest global version each runner applied. Scoped acks are
 * counted and logged by the consumer but not stored: a runner's sync with every scope is its
 * SETTINGS high-water mark (heartbeat), and a row per runner and scope would be 10 million rows at
 * 100 runners × 100,000 scopes.
 */
@Injectable()
export class RunnerAckRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * One statement for a whole message of acks. Keeps the newer of the stored and the given version
   * (acks may arrive out of order); a message naming a scope twice counts with its newest ack (one
   * INSERT … ON CONFLICT may not touch a row twice).
   */
  async record(acks: SettingsAppliedEvent[]): Promise<void> {
    const newest = new Map<string, SettingsAppliedEvent>();
    for (const ack of acks) {
      if (ack.scope !== 'global') continue;
      const key = `${ack.runner_id}\u0000${ack.scope}\u0000${ack.scope_id ?? ''}`;
      if ((newest.get(key)?.version ?? 0) <= ack.version) newest.set(key, ack);
    }
    const rows = [...newest.values()];
    if (rows.length === 0) return;
    await queryPrepared(this.db.manager, RECORD_ACKS, [
      rows.map((a) => a.runner_id),
      rows.map((a) => a.scope),
      rows.map((a) => a.scope_id ?? ''),
      rows.map((a) => a.version),
      rows.map((a) => a.hf_token_provided),
    ]);
  }

  /** The global-scope ack of each runner (scoped acks are recorded, but `in_sync` does not read them: see SyncStatusService). */
  async list(runnerIds?: string[]): Promise<RunnerSyncRecord[]> {
    const rows: Array<{ runner_id: string; version: number; hf_token_provided: boolean; applied_at: Date }> = await queryPrepared(
      this.db.manager,
      LIST_GLOBAL,
      [runnerIds ?? null],
    );
    return rows.map((a) => ({
      runner_id: a.runner_id,
      scope: 'global',
      scope_id: null,
      version: a.version,
      hf_token_provided: a.hf_token_provided,
      applied_at: a.applied_at.toISOString(),
    }));
  }
}
