import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { OrgEntity } from './org.entity';

/** The only code that reads or writes gateway.orgs. Methods that take `tx` run in the caller's transaction. */
@Injectable()
export class OrgRepository {
  private readonly orgs: Repository<OrgEntity>;

  constructor(@InjectDataSource() db: DataSource) {
    this.orgs = db.getRepository(OrgEntity);
  }

  /** Inserts unless the id is taken (replicas may race); the stored org, or null when taken. */
  async insertIfAbsent(org: { id: string; name: string }, tx?: EntityManager): Promise<OrgEntity | null> {
    const repo = tx ? tx.getRepository(OrgEntity) : this.orgs;
    const result = await repo.createQueryBuilder().insert().values(org).orIgnore().returning('id').execute();
    return (result.raw as unknown[]).length > 0 ? repo.findOneBy({ id: org.id }) : null;
  }

  find(id: string): Promise<OrgEntity | null> {
    return this.orgs.findOneBy({ id });
  }

  exists(id: string): Promise<boolean> {
    return this.orgs.existsBy({ id });
  }

  listAll(): Promise<OrgEntity[]> {
    return this.orgs.find({ order: { id: 'ASC' } });
  }

  listByIds(ids: string[]): Promise<OrgEntity[]> {
    return ids.length ? this.orgs.find({ where: { id: In(ids) }, order: { id: 'ASC' } }) : Promise.resolve([]);
  }

  /** The org, locked for the rest of `tx` (a delete waits for, and blocks, other deletes of it). */
  lock(id: string, tx: EntityManager): Promise<OrgEntity | null> {
    return tx.getRepository(OrgEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async delete(id: string, tx: EntityManager): Promise<void> {
    await tx.getRepository(OrgEntity).delete({ id });
  }
}
