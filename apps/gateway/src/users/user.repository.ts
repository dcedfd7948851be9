import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { UserEntity } from './user.entity';

export interface NewUser {
  name: string;
  admin: boolean;
  apiKeyHash: string;
}

/** The only code that reads or writes gateway.users. */
@Injectable()
export class UserRepository {
  private readonly users: Repository<UserEntity>;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.users = db.getRepository(UserEntity);
  }

  findByKeyHash(apiKeyHash: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ apiKeyHash });
  }

  /** The user of this name; it must exist (e.g. just inserted). */
  getByName(name: string): Promise<UserEntity> {
    return this.users.findOneByOrFail({ name });
  }

  /** `id` must be a UUID (the column's type); callers validate it first. */
  existsById(id: string): Promise<boolean> {
    return this.users.existsBy({ id });
  }

  nameTaken(name: string): Promise<boolean> {
    return this.users.existsBy({ name });
  }

  async makeAdmin(id: string): Promise<void> {
    await this.users.update({ id }, { admin: true });
  }

  /**
   * Inserts unless the name or key hash is taken (replicas may race); true when this call inserted
   * it. `also` runs in the same transaction after an insert (e.g. its audit entry).
   */
  insertIfAbsent(user: NewUser, also?: (tx: EntityManager, id: string) => Promise<void>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const result = await tx.getRepository(UserEntity).createQueryBuilder().insert().values(user).orIgnore().returning('id').execute();
      const [row] = result.raw as Array<{ id: string }>;
      if (!row) return false;
      await also?.(tx, row.id);
      return true;
    });
  }

  /** Deletes the user (its memberships go with it: ON DELETE CASCADE); false when it did not exist. */
  async delete(id: string, tx: EntityManager): Promise<boolean> {
    return ((await tx.getRepository(UserEntity).delete({ id })).affected ?? 0) > 0;
  }

  /** The user's row, locked until `tx` ends; null when it does not exist. */
  lock(id: string, tx: EntityManager): Promise<UserEntity | null> {
    return tx.getRepository(UserEntity).createQueryBuilder('u').setLock('pessimistic_write').where('u.id = :id', { id }).getOne();
  }

  listOldestFirst(): Promise<UserEntity[]> {
    return this.users.find({ order: { createdAt: 'ASC' } });
  }
}
