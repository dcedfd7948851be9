import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { UserEntity } from './user.entity';

export interface NewUser {
  name: string;
  admin: boolean;
}

/** The only code that reads or writes gateway.users. Its API keys are in gateway.api_keys (`ApiKeyRepository`). */
@Injectable()
export class UserRepository {
  private readonly users: Repository<UserEntity>;

  constructor(@InjectDataSource() db: DataSource) {
    this.users = db.getRepository(UserEntity);
  }

  /** The user of this name; it must exist (e.g. just inserted). */
  getByName(name: string, tx?: EntityManager): Promise<UserEntity> {
    return (tx ? tx.getRepository(UserEntity) : this.users).findOneByOrFail({ name });
  }

  /** `id` must be a UUID (the column's type); callers validate it first. */
  existsById(id: string): Promise<boolean> {
    return this.users.existsBy({ id });
  }

  nameTaken(name: string, tx?: EntityManager): Promise<boolean> {
    return (tx ? tx.getRepository(UserEntity) : this.users).existsBy({ name });
  }

  async makeAdmin(id: string, tx: EntityManager): Promise<void> {
    await tx.getRepository(UserEntity).update({ id }, { admin: true });
  }

  /** Inserts unless the name is taken (replicas may race); the new user's id, or null when taken. */
  async insertIfAbsent(user: NewUser, tx: EntityManager): Promise<string | null> {
    const result = await tx.getRepository(UserEntity).createQueryBuilder().insert().values(user).orIgnore().returning('id').execute();
    const [row] = result.raw as Array<{ id: string }>;
    return row?.id ?? null;
  }

  /** Deletes the user (its memberships and API keys go with it: ON DELETE CASCADE); false when it did not exist. */
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
