import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Scope } from '@helix/contracts';
import { HfTokenEntity } from '../entities';

/** '' stands for "no id" (global) so that (scope, scope_id) can be the primary key. */
const NO_ID = '';

/** The wire form of a row's scope id: null for the global scope. */
export function scopeIdOf(row: Pick<HfTokenEntity, 'scope' | 'scopeId'>): string | null {
  return row.scope === 'global' ? null : row.scopeId;
}

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

  /** Every scope that has had at least one change (version > 0). */
  listChanged(tx?: EntityManager): Promise<HfTokenEntity[]> {
    return (tx ?? this.db.manager).getRepository(HfTokenEntity).createQueryBuilder('t').where('t.version > 0').getMany();
  }

  /** Creates the scope's row if missing and locks it until `tx` ends, so versions of a scope serialize. */
  async lockForUpdate(tx: EntityManager, scope: Scope, scopeId: string | null): Promise<HfTokenEntity> {
    const now = new Date();
    const id = scopeId ?? NO_ID;
    await tx
      .createQueryBuilder()
      .insert()
      .into(HfTokenEntity)
      .values({ scope, scopeId: id, version: 0, envelope: null, fingerprint: null, createdAt: now, updatedAt: now, updatedBy: null })
      .orIgnore()
      .execute();
    return tx
      .getRepository(HfTokenEntity)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.scope = :scope AND t.scope_id = :id', { scope, id })
      .getOneOrFail();
  }

  async save(tx: EntityManager, row: HfTokenEntity): Promise<void> {
    await tx.getRepository(HfTokenEntity).save(row);
  }
}
