import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { EncryptedEnvelope, HubTokenStatus, Scope } from '@helix/contracts';

/** One Hugging Face token per scope; `envelope` is AES-256-GCM under HELIX_ENCRYPTION_KEY. */
@Entity({ name: 'hf_tokens' })
export class HfTokenEntity {
  @PrimaryColumn({ type: 'text' })
  scope!: Scope;

  /** '' for the global scope, so that (scope, scope_id) can be the primary key. */
  @PrimaryColumn({ type: 'text', name: 'scope_id' })
  scopeId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'jsonb', nullable: true })
  envelope!: EncryptedEnvelope | null;

  @Column({ type: 'text', nullable: true })
  fingerprint!: string | null;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;

  @Column({ type: 'text', name: 'updated_by', nullable: true })
  updatedBy!: string | null;

  /** What the Hub said when the token was set (docs/reference/hub.md); null without a token. */
  @Column({ type: 'text', name: 'hub_status', nullable: true })
  hubStatus!: HubTokenStatus | null;

  @Column({ type: 'text', name: 'hub_owner', nullable: true })
  hubOwner!: string | null;

  @Column({ type: 'text', name: 'hub_role', nullable: true })
  hubRole!: string | null;
}
