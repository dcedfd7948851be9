import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * runners.slots and runners.memory_allocated were copied from every heartbeat but never read: the
 * runner list takes both from models.slots. Dropped so the slot table is the only place they live.
 */
export class RunnersDropHeartbeatCopies1764230800000 implements MigrationInterface {
  name = 'RunnersDropHeartbeatCopies1764230800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE models.runners DROP COLUMN slots, DROP COLUMN memory_allocated');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE models.runners ADD COLUMN slots jsonb NOT NULL DEFAULT '[]', ADD COLUMN memory_allocated bigint NOT NULL DEFAULT 0`);
  }
}
