import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The last heartbeat of each runner; online/offline is derived from last_seen when read. Its slots
 * and allocated memory are not kept here: models.slots (the scheduler's view) is the one source.
 */
@Entity({ name: 'runners' })
export class RunnerEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'bigint', name: 'memory_total', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  memoryTotal!: number;

  /** The applied version of the global scope. */
  @Column({ type: 'integer', name: 'settings_version' })
  settingsVersion!: number;

  /** The SETTINGS stream sequence the runner has processed up to (in sync with every scope at the stream's last one). */
  @Column({ type: 'bigint', name: 'settings_seq', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  settingsSeq!: number;

  /** How many scopes the runner holds. */
  @Column({ type: 'integer', name: 'settings_applied' })
  settingsApplied!: number;

  @Column({ type: 'boolean', name: 'hf_token_provided' })
  hfTokenProvided!: boolean;

  @Column({ type: 'timestamptz', name: 'first_seen' })
  firstSeen!: Date;

  @Column({ type: 'timestamptz', name: 'last_seen' })
  lastSeen!: Date;
}
