import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * docs/reference/rest.md: a model may belong to an org and be owned by a user. Both live in the gateway's schema
 * (it owns identity), so there is no foreign key: the gateway checks that they exist before it
 * forwards a write, and asks this service to detach an org's models when the org is deleted.
 */
export class ModelOwnership1764230900000 implements MigrationInterface {
  name = 'ModelOwnership1764230900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE models.models ADD COLUMN org_id text, ADD COLUMN owner_id text');
    await q.query('CREATE INDEX models_org_id ON models.models (org_id) WHERE org_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX models.models_org_id');
    await q.query('ALTER TABLE models.models DROP COLUMN org_id, DROP COLUMN owner_id');
  }
}
