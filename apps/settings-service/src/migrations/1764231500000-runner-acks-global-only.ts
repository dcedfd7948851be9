import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Only the global ack of each runner is kept (issue 11): scoped acks were one row per runner and
 * scope (100 runners × 100,000 scopes = 10 million rows) that nothing read; a runner's sync with
 * every scope is its SETTINGS high-water mark. Down keeps the table as it is (rows cannot come back).
 */
export class RunnerAcksGlobalOnly1764231500000 implements MigrationInterface {
  name = 'RunnerAcksGlobalOnly1764231500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM settings.runner_acks WHERE scope <> 'global'`);
  }

  async down(): Promise<void> {
    // Nothing to undo: the deleted rows were never read.
  }
}
