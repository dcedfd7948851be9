import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Models1764230700000 implements MigrationInterface {
  name = 'Models1764230700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE models.models (
      id text PRIMARY KEY,
      name text NOT NULL,
      type text NOT NULL,
      runtime text NOT NULL,
      memory bigint NOT NULL CHECK (memory > 0),
      context_length integer,
      description text NOT NULL,
      enabled boolean NOT NULL,
      auto_pull boolean NOT NULL,
      prewarm boolean NOT NULL,
      runtime_args jsonb NOT NULL,
      created_by text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    // runner_id is null only for a slot that could not be placed (failed, no_capacity).
    // reported_at is the runner's own timestamp of the last applied report: older reports are ignored.
    await q.query(`CREATE TABLE models.slots (
      id uuid PRIMARY KEY,
      model_id text NOT NULL REFERENCES models.models(id) ON DELETE CASCADE,
      runner_id text,
      state text NOT NULL,
      restarts integer NOT NULL DEFAULT 0,
      endpoint text,
      hf_token_source text,
      hf_token_fingerprint text,
      error jsonb,
      reported_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query('CREATE INDEX slots_model_id ON models.slots (model_id)');
    await q.query('CREATE INDEX slots_runner_id ON models.slots (runner_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE models.slots');
    await q.query('DROP TABLE models.models');
  }
}
