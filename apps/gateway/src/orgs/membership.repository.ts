import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import type { OrgRole } from '@helix/contracts';
import { MembershipEntity } from './org.entity';

/** The only code that reads or writes gateway.org_members. */
@Injectable()
export class MembershipRepository {
  private readonly members: Repository<MembershipEntity>;

  constructor(@InjectDataSource() db: DataSource) {
    this.members = db.getRepository(MembershipEntity);
  }

  find(orgId: string, userId: string): Promise<MembershipEntity | null> {
    return this.members.findOneBy({ orgId, userId });
  }

  /** Adds the member or changes their role; `created` stays the time they joined. */
  async upsert(orgId: string, userId: string, role: OrgRole, tx?: EntityManager): Promise<MembershipEntity> {
    const repo = tx ? tx.getRepository(MembershipEntity) : this.members;
    await repo.createQueryBuilder().insert().values({ orgId, userId, role }).orUpdate(['role'], ['org_id', 'user_id']).execute();
    return repo.findOneByOrFail({ orgId, userId });
  }

  /** True when there was such a membership. */
  async delete(orgId: string, userId: string, tx?: EntityManager): Promise<boolean> {
    const repo = tx ? tx.getRepository(MembershipEntity) : this.members;
    return ((await repo.delete({ orgId, userId })).affected ?? 0) > 0;
  }

  listForOrg(orgId: string): Promise<MembershipEntity[]> {
    return this.members.find({ where: { orgId }, order: { createdAt: 'ASC', userId: 'ASC' } });
  }

  async orgIdsOf(userId: string): Promise<string[]> {
    return (await this.members.find({ where: { userId }, select: { orgId: true } })).map((m) => m.orgId);
  }

  async deleteForOrg(orgId: string, tx: EntityManager): Promise<void> {
    await tx.getRepository(MembershipEntity).delete({ orgId });
  }
}
