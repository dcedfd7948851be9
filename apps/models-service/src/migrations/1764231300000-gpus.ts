import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-GPU placement: models.runners keeps the GPUs of the last heartbeat ([{index, memory}]) and
 * models.slots the GPU indices each slot is placed on. Runners known before count as one GPU of
 * their memory_total, and their placed slots as running on GPU 0 (where vLLM starts without
 * CUDA_VISIBLE_DEVICES). Both columns have defaults so that a replica of the previous release, still
 * running during a rolling upgrade, can go on writing rows without them.
 */
export class Gpus1764231300000 implements MigrationInterface {
  name = 'Gpus1764231300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE models.runners ADD COLUMN gpus jsonb NOT NULL DEFAULT '[]'`);
    await q.query(`UPDATE models.runners SET gpus = jsonb_build_array(jsonb_build_object('index', 0, 'memory', memory_total)) WHERE memory_total > 0`);
    await q.query('ALTER TABLE models.slots ADD COLUMN gpus integer[]');
    await q.query(`UPDATE models.slots SET gpus = '{0}' WHERE runner_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE models.slots DROP COLUMN gpus');
    await q.query('ALTER TABLE models.runners DROP COLUMN gpus');
  }
}
