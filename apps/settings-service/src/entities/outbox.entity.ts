import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { SettingsUpdatedEvent } from '@helix/contracts';

/** Events committed with the change that caused them, published to JetStream afterwards and then deleted. */
@Entity({ name: 'outbox' })
@Index('outbox_unpublished', ['id'], { where: 'published_at IS NULL' })
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  subject!: string;

  /** Nats-Msg-Id: JetStream drops a second publish of the same version. */
  @Column({ type: 'text', name: 'msg_id', unique: true })
  msgId!: string;

  /** The event as published; its token is already encrypted with HELIX_SETTINGS_KEY. */
  @Column({ type: 'jsonb' })
  payload!: SettingsUpdatedEvent;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  /** No longer written: published rows are deleted. Kept so replicas of the previous release keep working during a rolling update. */
  @Column({ type: 'timestamptz', name: 'published_at', nullable: true })
  publishedAt!: Date | null;
}
