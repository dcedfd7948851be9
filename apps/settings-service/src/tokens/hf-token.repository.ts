import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Scope } from '@helix/contracts';
import { preparedStatement, queryPrepared } from '@helix/persistence';
import { HfTokenEntity } from '../entities';

/** '' stands for "no id" (global) so that (scope, scope_id) can be the primary key. */
const NO_ID = '';

/** The wire form of a row's scope id: null for the global scope. */
export function scopeIdOf(row: Pick<HfTokenEntity, 'scope' | 'scopeId'>): string | null {
  return row.scope === 'global' ? null : row.scopeId;
}

/** A row as RawTokenRow reads it (prepared statements name their columns). */
const ROW_COLUMNS =
  't.scope, t.scope_id, t.version, t.envelope, t.fingerprint, t.created_at, t.updated_at, t.updated_by, t.hub_status, t.hub_owner, t.hub_role';

// In the transaction of every change (see queryPrepared in @helix/persistence).
const LOCK_FOR_UPDATE = preparedStatement(
  'settings.hf-tokens.lock-for-update',
  `INSERT INTO settings.hf_tokens AS t (scope, scope_id, version, envelope, fingerprint, created_at, updated_at, updated_by)
   VALUES ($1, $2, 0, NULL, NULL, now(), now(), NULL)
   ON CONFLICT (scope, scope_id) DO UPDATE SET version = t.version
   RETURNING ${ROW_COLUMNS}`,
);
const SAVE = preparedStatement(
  'settings.hf-tokens.save',
  `UPDATE settings.hf_tokens SET version = $3, envelope = $4::jsonb, fingerprint = $5, updated_at = $6, updated_by = $7,
          hub_status = $8, hub_owner = $9, hub_role = $10
    WHERE scope = $1 AND scope_id = $2`,
);

// The stream comparison's reads (see StreamRepair), a page or a chunk of scopes at a time.
const LIST_CHANGED_PAGE = preparedStatement(
  'settings.hf-tokens.list-changed-page',
  `SELECT ${ROW_COLUMNS} FROM settings.hf_tokens t
    WHERE t.version > 0 AND (t.scope, t.scope_id) > ($1, $2)
    ORDER BY t.scope, t.scope_id LIMIT $3`,
);
const FIND_CHANGED = preparedStatement(
  'settings.hf-tokens.find-changed',
  `SELECT ${ROW_COLUMNS} FROM settings.hf_tokens t
     JOIN unnest($1::text[], $2::text[]) AS r(scope, scope_id) ON t.scope = r.scope AND t.scope_id = r.scope_id
    WHERE t.version > 0`,
);

/** All SQL of `settings.hf_tokens`: one row per scope with its version and the token sealed at rest. */
@Injectable()
export class HfTokenRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  find(scope: Scope, scopeId: string | null): Promise<HfTokenEntity | null> {
    return this.db.getRepository(HfTokenEntity).findOneBy({ scope, scopeId: scopeId ?? NO_ID });
  }

  /** The rows of the given scopes that exist (one query). */
  findMany(refs: Array<{ scope: Scope; scopeId: string | null }>): Promise<HfTokenEntity[]> {
    if (refs.length === 0) return Promise.resolve([]);
    return this.db.getRepository(HfTokenEntity).findBy(refs.map(({ scope, scopeId }) => ({ scope, scopeId: scopeId ?? NO_ID })));
  }

  /**
   * Up to `limit` scopes that have had at least one change (version > 0), in key order after `after`
   * (from the start when null): a comparison of 100,000 scopes reads them a page at a time.
   */
  async listChangedPage(tx: EntityManager, after: HfTokenEntity | null, limit: number): Promise<HfTokenEntity[]> {
    const rows: RawTokenRow[] = await queryPrepared(tx, LIST_CHANGED_PAGE, [after?.scope ?? '', after?.scopeId ?? '', limit]);
    return rows.map(fromRaw);
  }

  /** The scopes of `refs` that have had at least one change (version > 0), in no particular order. */
  async findChanged(tx: EntityManager, refs: Array<{ scope: Scope; scopeId: string | null }>): Promise<HfTokenEntity[]> {
    if (refs.length === 0) return [];
    const rows: RawTokenRow[] = await queryPrepared(tx, FIND_CHANGED, [refs.map((r) => r.scope), refs.map((r) => r.scopeId ?? NO_ID)]);
    return rows.map(fromRaw);
  }

  /**
   * Creates the scope's row if missing and locks it until `tx` ends, so versions of a scope
   * serialize. One statement: an upsert locks the row it inserts or finds, and returns it.
   */
  async lockForUpdate(tx: EntityManager, scope: Scope, scopeId: string | null): Promise<HfTokenEntity> {
    const rows: RawTokenRow[] = await queryPrepared(tx, LOCK_FOR_UPDATE, [scope, scopeId ?? NO_ID]);
    return fromRaw(rows[0]);
  }

  /**
   * Up to `limit` rows whose stored token was sealed with another key than `kid`, locked until `tx`
   * ends; rows another replica is re-sealing right now are skipped, not waited for.
   */
  lockSealedWithOtherKey(tx: EntityManager, kid: string, limit: number): Promise<HfTokenEntity[]> {
    return tx
      .getRepository(HfTokenEntity)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .where("t.envelope IS NOT NULL AND t.envelope->>'kid' <> :kid", { kid })
      .orderBy('t.scope')
      .addOrderBy('t.scope_id')
      .limit(limit)
      .getMany();
  }

  /** Rewrites only the stored envelope: version, fingerprint and events are unchanged. */
  async replaceEnvelope(tx: EntityManager, row: HfTokenEntity, envelope: HfTokenEntity['envelope']): Promise<void> {
    await tx.getRepository(HfTokenEntity).update({ scope: row.scope, scopeId: row.scopeId }, { envelope });
  }

  /** How many stored tokens each key sealed (for the rotation status). */
  async countByKid(): Promise<Array<{ kid: string; tokens: number }>> {
    const rows: Array<{ kid: string; tokens: string }> = await this.db.query(
      "SELECT envelope->>'kid' AS kid, count(*) AS tokens FROM settings.hf_tokens WHERE envelope IS NOT NULL GROUP BY 1 ORDER BY 1",
    );
    return rows.map((r) => ({ kid: r.kid, tokens: Number(r.tokens) }));
  }

  /** Writes a locked row back (one UPDATE by key; TypeORM's save would select it first). */
  async save(tx: EntityManager, row: HfTokenEntity): Promise<void> {
    await queryPrepared(tx, SAVE, [
      row.scope,
      row.scopeId,
      row.version,
      row.envelope === null ? null : JSON.stringify(row.envelope),
      row.fingerprint,
      row.updatedAt,
      row.updatedBy,
      row.hubStatus,
      row.hubOwner,
      row.hubRole,
    ]);
  }
}

/** A row of settings.hf_tokens as Postgres returns it (snake_case columns). */
interface RawTokenRow {
  scope: Scope;
  scope_id: string;
  version: number;
  envelope: HfTokenEntity['envelope'];
  fingerprint: string | null;
  created_at: Date;
  updated_at: Date;
  updated_by: string | null;
  hub_status: HfTokenEntity['hubStatus'];
  hub_owner: string | null;
  hub_role: string | null;
}

function fromRaw(raw: RawTokenRow): HfTokenEntity {
  return Object.assign(new HfTokenEntity(), {
    scope: raw.scope,
    scopeId: raw.scope_id,
    version: raw.version,
    envelope: raw.envelope,
    fingerprint: raw.fingerprint,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    updatedBy: raw.updated_by,
    hubStatus: raw.hub_status,
    hubOwner: raw.hub_owner,
    hubRole: raw.hub_role,
  });
}
