import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AuditRecordedEvent, SettingsUpdatedEvent } from '@helix/contracts';

/** What the outbox carries: the change itself, and its audit entry (subject `audit.recorded`). */
export type OutboxEvent = SettingsUpdatedEvent | AuditRecordedEvent;

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

  /** The event as published: a settings event (its token already encrypted with HELIX_SETTINGS_KEY) or the change's audit event. */
  @Column({ type: 'jsonb' })
  payload!: OutboxEvent;

  /** The gateway request id of the change (Helix-Request-Id header of the published event), when there was one. */
  @Column({ type: 'text', name: 'request_id', nullable: true })
  requestId!: string | null;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  /** No longer written: published rows are deleted. Kept so replicas of the previous release keep working during a rolling update. */
  @Column({ type: 'timestamptz', name: 'published_at', nullable: true })
  publishedAt!: Date | null;
}
