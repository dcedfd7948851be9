import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { OrgRole } from '@helix/contracts';

@Entity({ name: 'orgs' })
export class OrgEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}

@Entity({ name: 'org_members' })
export class MembershipEntity {
  @PrimaryColumn({ type: 'text', name: 'org_id' })
  orgId!: string;

  @PrimaryColumn({ type: 'uuid', name: 'user_id' })
  userId!: string;

  @Column({ type: 'text' })
  role!: OrgRole;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}
