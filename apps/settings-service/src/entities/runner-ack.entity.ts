import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Scope } from '@helix/contracts';

/** The newest version of each scope that each runner reported as applied. */
@Entity({ name: 'runner_acks' })
@Index('runner_acks_global', ['runnerId'], { where: "scope = 'global'" })
export class RunnerAckEntity {
  @PrimaryColumn({ type: 'text', name: 'runner_id' })
  runnerId!: string;

  @PrimaryColumn({ type: 'text' })
  scope!: Scope;

  @PrimaryColumn({ type: 'text', name: 'scope_id' })
  scopeId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'boolean', name: 'hf_token_provided' })
  hfTokenProvided!: boolean;

  @Column({ type: 'timestamptz', name: 'applied_at' })
  appliedAt!: Date;
}
