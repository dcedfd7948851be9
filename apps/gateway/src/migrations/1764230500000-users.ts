import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Users1764230500000 implements MigrationInterface {
  name = 'Users1764230500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE gateway.users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE,
      admin boolean NOT NULL,
      api_key_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE gateway.users');
  }
}
