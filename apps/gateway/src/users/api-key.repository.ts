import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';

export interface NewApiKey {
  userId: string;
  keyHash: string;
  prefix: string;
  bootstrap: boolean;
}

/** Serialises the start-up check of HELIX_ADMIN_API_KEY across gateway replicas (one transaction at a time). */
const BOOTSTRAP_LOCK = 'helix-gateway:bootstrap-admin-key';

/**
 * The only code that reads or writes gateway.api_keys. Methods that take `tx` run in the caller's
 * transaction. Keys are never deleted one by one: a key is revoked (`revoked_at`), and a user's keys
 * go with the user (ON DELETE CASCADE).
 */
@Injectable()
export class ApiKeyRepository {
  private readonly keys: Repository<ApiKeyEntity>;

  constructor(@InjectDataSource() db: DataSource) {
    this.keys = db.getRepository(ApiKeyEntity);
  }

  /** The key of this hash with its user, unless it is revoked: what authentication needs, in one query. */
  findActiveWithUser(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOne({ where: { keyHash, revokedAt: IsNull() }, relations: { user: true } });
  }

  /** The key of this hash, revoked or not. */
  findByHash(keyHash: string, tx: EntityManager): Promise<ApiKeyEntity | null> {
    return tx.getRepository(ApiKeyEntity).findOneBy({ keyHash });
  }

  /** A key of this user; null when the id names no key or another user's. */
  findForUser(userId: string, keyId: string, tx?: EntityManager): Promise<ApiKeyEntity | null> {
    return (tx ? tx.getRepository(ApiKeyEntity) : this.keys).findOneBy({ id: keyId, userId });
  }

  /** Every key of the user, revoked ones too, oldest first. */
  listForUser(userId: string): Promise<ApiKeyEntity[]> {
    return this.keys.find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  countActive(userId: string, tx: EntityManager): Promise<number> {
    return tx.getRepository(ApiKeyEntity).countBy({ userId, revokedAt: IsNull() });
  }

  async insert(key: NewApiKey, tx: EntityManager): Promise<ApiKeyEntity> {
    const result = await tx.getRepository(ApiKeyEntity).createQueryBuilder().insert().values(key).returning('id').execute();
    const [row] = result.raw as Array<{ id: string }>;
    return tx.getRepository(ApiKeyEntity).findOneByOrFail({ id: row.id });
  }

  /** Revokes the key if it is active; the stored key afterwards (its first revocation time stays). */
  async revoke(id: string, tx: EntityManager): Promise<ApiKeyEntity> {
    await tx
      .getRepository(ApiKeyEntity)
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    return tx.getRepository(ApiKeyEntity).findOneByOrFail({ id });
  }

  /** Waits for, then holds until `tx` ends, the lock of the HELIX_ADMIN_API_KEY check (an advisory lock: replicas start together). */
  async lockBootstrap(tx: EntityManager): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [BOOTSTRAP_LOCK]);
  }

  /** The newest bootstrap key, revoked or not: its user is the admin of HELIX_ADMIN_API_KEY. */
  newestBootstrap(tx: EntityManager): Promise<ApiKeyEntity | null> {
    return tx.getRepository(ApiKeyEntity).findOne({ where: { bootstrap: true }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  activeBootstrap(tx: EntityManager): Promise<ApiKeyEntity[]> {
    return tx.getRepository(ApiKeyEntity).find({ where: { bootstrap: true, revokedAt: IsNull() }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async markBootstrap(id: string, tx: EntityManager): Promise<void> {
    await tx.getRepository(ApiKeyEntity).update({ id }, { bootstrap: true });
  }

  /** Records the shown prefix of a key migrated without one, once its owner presents it. */
  async fillPrefix(id: string, prefix: string, tx?: EntityManager): Promise<void> {
    await (tx ? tx.getRepository(ApiKeyEntity) : this.keys).update({ id, prefix: IsNull() }, { prefix });
  }
}
