import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RunnerSyncRecord, SettingsAppliedEvent } from '@helix/contracts';
import { RunnerAckEntity } from '../entities';

/** All SQL of `settings.runner_acks`: the newest version of each scope each runner applied. */
@Injectable()
export class RunnerAckRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Keeps the newer of the stored and the given version (acks may arrive out of order). */
  async record(ack: SettingsAppliedEvent): Promise<void> {
    await this.db.query(
      `INSERT INTO settings.runner_acks (runner_id, scope, scope_id, version, hf_token_provided, applied_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (runner_id, scope, scope_id) DO UPDATE
         SET version = EXCLUDED.version, hf_token_provided = EXCLUDED.hf_token_provided, applied_at = EXCLUDED.applied_at
         WHERE settings.runner_acks.version <= EXCLUDED.version`,
      [ack.runner_id, ack.scope, ack.scope_id ?? '', ack.version, ack.hf_token_provided],
    );
  }

  /** The global-scope ack of each runner (scoped acks are recorded, but `in_sync` does not read them: see SyncStatusService). */
  async list(): Promise<RunnerSyncRecord[]> {
    const rows = await this.db.getRepository(RunnerAckEntity).find({ where: { scope: 'global' } });
    return rows.map((a) => ({
      runner_id: a.runnerId,
      scope: a.scope,
      scope_id: a.scope === 'global' ? null : a.scopeId,
      version: a.version,
      hf_token_provided: a.hfTokenProvided,
      applied_at: a.appliedAt.toISOString(),
    }));
  }
}
