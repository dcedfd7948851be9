import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A heartbeat no longer carries one version per scope (it grew with the number of scopes): it carries
 * the applied global version, the SETTINGS stream sequence the runner processed up to, and how many
 * scopes it holds. The old map is folded into the first and the last; the sequence starts at 0 (not
 * in sync) until the runner's next heartbeat.
 */
export class RunnersSettingsProgress1764231100000 implements MigrationInterface {
  name = 'RunnersSettingsProgress1764231100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE models.runners
      ADD COLUMN settings_version integer NOT NULL DEFAULT 0,
      ADD COLUMN settings_seq bigint NOT NULL DEFAULT 0,
      ADD COLUMN settings_applied integer NOT NULL DEFAULT 0`);
    await q.query(`UPDATE models.runners SET
      settings_version = CASE WHEN jsonb_typeof(settings_versions->'global') = 'number' THEN (settings_versions->>'global')::integer ELSE 0 END,
      settings_applied = CASE WHEN jsonb_typeof(settings_versions) = 'object' THEN (SELECT count(*) FROM jsonb_object_keys(settings_versions)) ELSE 0 END`);
    await q.query('ALTER TABLE models.runners DROP COLUMN settings_versions');
  }

  async down(q: QueryRunner): Promise<void> {
    // Only the global version is known per runner; the other scopes' versions come back with the next heartbeat of an older runner.
    await q.query(`ALTER TABLE models.runners ADD COLUMN settings_versions jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`UPDATE models.runners SET settings_versions = jsonb_build_object('global', settings_version) WHERE settings_version > 0`);
    await q.query('ALTER TABLE models.runners ALTER COLUMN settings_versions DROP DEFAULT');
    await q.query('ALTER TABLE models.runners DROP COLUMN settings_version, DROP COLUMN settings_seq, DROP COLUMN settings_applied');
  }
}
