import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 10 (API key lifecycle): a user has any number of keys, each revocable; `users.api_key_hash`
 * moves into `gateway.api_keys`. Only hashes were stored, so a moved key has no prefix (null) until
 * its owner presents it once. The admin created from HELIX_ADMIN_API_KEY is recognised by its
 * `user.create` audit entry without an actor (recorded since the audit log exists): its key is
 * marked `bootstrap`; an admin from before the audit log is marked at the next start that presents
 * its key (`BootstrapAdminKey`).
 *
 * down() keeps one active key per user (the bootstrap key, else the newest): the older release has
 * room for one. A user without an active key gets a value no key hashes to (not 64 hex digits).
 */
export class ApiKeys1764231200000 implements MigrationInterface {
  name = 'ApiKeys1764231200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE gateway.api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES gateway.users(id) ON DELETE CASCADE,
      key_hash text NOT NULL UNIQUE,
      prefix text,
      bootstrap boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    )`);
    await q.query('CREATE INDEX api_keys_user_id ON gateway.api_keys (user_id, created_at)');
    // The start-up check of HELIX_ADMIN_API_KEY looks for the newest bootstrap key.
    await q.query('CREATE INDEX api_keys_bootstrap ON gateway.api_keys (created_at) WHERE bootstrap');
    // A value that is not a SHA-256 (down() leaves one for a user without an active key) is moved as revoked.
    await q.query(`INSERT INTO gateway.api_keys (user_id, key_hash, prefix, bootstrap, created_at, revoked_at)
      SELECT u.id, u.api_key_hash, NULL,
             u.admin AND EXISTS (
               SELECT 1 FROM gateway.audit_log a
               WHERE a.action = 'user.create' AND a.actor_id IS NULL AND a.target = 'user:' || u.id::text
             ),
             u.created_at,
             CASE WHEN u.api_key_hash ~ '^[0-9a-f]{64}$' THEN NULL ELSE now() END
      FROM gateway.users u`);
    await q.query('ALTER TABLE gateway.users DROP COLUMN api_key_hash');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE gateway.users ADD COLUMN api_key_hash text');
    await q.query(`UPDATE gateway.users u SET api_key_hash = COALESCE(
      (SELECT k.key_hash FROM gateway.api_keys k
        WHERE k.user_id = u.id AND k.revoked_at IS NULL
        ORDER BY k.bootstrap DESC, k.created_at DESC, k.id DESC LIMIT 1),
      'revoked:' || gen_random_uuid()::text)`);
    await q.query('ALTER TABLE gateway.users ALTER COLUMN api_key_hash SET NOT NULL');
    await q.query('ALTER TABLE gateway.users ADD CONSTRAINT users_api_key_hash_key UNIQUE (api_key_hash)');
    await q.query('DROP TABLE gateway.api_keys');
  }
}
