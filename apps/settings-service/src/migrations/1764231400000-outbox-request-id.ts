import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The gateway request id of the change that wrote an outbox row, published as the event's
 * Helix-Request-Id header so the runners' lines for that change can be found by it. Nullable:
 * changes made outside a request (stream repair) and rows of older releases have none.
 */
export class OutboxRequestId1764231400000 implements MigrationInterface {
  name = 'OutboxRequestId1764231400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE settings.outbox ADD COLUMN request_id text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE settings.outbox DROP COLUMN request_id');
  }
}
