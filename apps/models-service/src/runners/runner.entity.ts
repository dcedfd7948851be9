import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { GpuInfo } from '@helix/contracts';

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

  /** The runner's GPUs from its last heartbeat (one GPU of memory_total for a runner that reported none). */
  @Column({ type: 'jsonb', name: 'gpus' })
  gpus!: GpuInfo[];

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

/** The runner's GPUs; a row written before GPUs were reported counts as one GPU of memory_total. */
export function gpusOf(runner: Pick<RunnerEntity, 'gpus' | 'memoryTotal'>): GpuInfo[] {
  if (Array.isArray(runner.gpus) && runner.gpus.length > 0) return runner.gpus;
  return runner.memoryTotal > 0 ? [{ index: 0, memory: runner.memoryTotal }] : [];
}
