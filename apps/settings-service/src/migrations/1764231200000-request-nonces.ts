import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Nonces of the gateway's change requests, kept until they expire: a request captured on the bus
 * and sent again is refused because its nonce is here (docs/reference/security.md, replay-proof requests).
 */
export class RequestNonces1764231200000 implements MigrationInterface {
  name = 'RequestNonces1764231200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE settings.request_nonces (nonce text PRIMARY KEY, expires_at timestamptz NOT NULL)');
    await q.query('CREATE INDEX request_nonces_expires_at ON settings.request_nonces (expires_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE settings.request_nonces');
  }
}
