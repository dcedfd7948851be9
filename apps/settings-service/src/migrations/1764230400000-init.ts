import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1764230400000 implements MigrationInterface {
  name = 'Init1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE settings.hf_tokens (
      scope text NOT NULL CHECK (scope IN ('model','user','org','global')),
      scope_id text NOT NULL,
      version integer NOT NULL CHECK (version >= 0),
      envelope jsonb,
      fingerprint text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      updated_by text,
      PRIMARY KEY (scope, scope_id),
      CHECK ((scope = 'global') = (scope_id = ''))
    )`);
    // The system settings exist from the start (version 0, no token), so GET always has timestamps.
    await q.query(`INSERT INTO settings.hf_tokens (scope, scope_id, version, created_at, updated_at) VALUES ('global', '', 0, now(), now())`);
    await q.query(`CREATE TABLE settings.outbox (
      id bigserial PRIMARY KEY,
      subject text NOT NULL,
      msg_id text NOT NULL UNIQUE,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    )`);
    await q.query(`CREATE INDEX outbox_unpublished ON settings.outbox (id) WHERE published_at IS NULL`);
    await q.query(`CREATE TABLE settings.runner_acks (
      runner_id text NOT NULL,
      scope text NOT NULL,
      scope_id text NOT NULL,
      version integer NOT NULL,
      hf_token_provided boolean NOT NULL,
      applied_at timestamptz NOT NULL,
      PRIMARY KEY (runner_id, scope, scope_id)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE settings.runner_acks');
    await q.query('DROP TABLE settings.outbox');
    await q.query('DROP TABLE settings.hf_tokens');
  }
}
