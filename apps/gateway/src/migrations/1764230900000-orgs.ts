import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * docs/reference/rest.md: organizations and their members live with the users (the gateway owns identity).
 * Memberships of an org are removed by OrgsService before the org (no cascade: deleting an org
 * that still has members is a bug, not a shortcut); a user's memberships go with the user.
 */
export class Orgs1764230900000 implements MigrationInterface {
  name = 'Orgs1764230900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE gateway.orgs (
      id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE gateway.org_members (
      org_id text NOT NULL REFERENCES gateway.orgs(id),
      user_id uuid NOT NULL REFERENCES gateway.users(id) ON DELETE CASCADE,
      role text NOT NULL CHECK (role IN ('owner', 'member')),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, user_id)
    )`);
    await q.query('CREATE INDEX org_members_user_id ON gateway.org_members (user_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE gateway.org_members');
    await q.query('DROP TABLE gateway.orgs');
  }
}
