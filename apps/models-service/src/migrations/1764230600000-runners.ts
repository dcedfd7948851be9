import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Runners1764230600000 implements MigrationInterface {
  name = 'Runners1764230600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE models.runners (
      id text PRIMARY KEY,
      memory_total bigint NOT NULL,
      memory_allocated bigint NOT NULL,
      settings_versions jsonb NOT NULL,
      hf_token_provided boolean NOT NULL,
      slots jsonb NOT NULL,
      first_seen timestamptz NOT NULL,
      last_seen timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE models.runners');
  }
}
