import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /runners` reads only the global ack of each runner, while runners ack every scope they apply
 * (one row per runner and scope): an index on the global rows keeps that read independent of the
 * number of scopes.
 */
export class RunnerAcksGlobal1764231100000 implements MigrationInterface {
  name = 'RunnerAcksGlobal1764231100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX runner_acks_global ON settings.runner_acks (runner_id) WHERE scope = 'global'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX settings.runner_acks_global');
  }
}
