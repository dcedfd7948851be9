import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the Hugging Face Hub said about each stored token when it was set (docs/reference/hub.md). */
export class HubValidation1764231300000 implements MigrationInterface {
  name = 'HubValidation1764231300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      "ALTER TABLE settings.hf_tokens ADD COLUMN hub_status text CHECK (hub_status IN ('valid', 'invalid', 'unverified')), ADD COLUMN hub_owner text, ADD COLUMN hub_role text",
    );
    // Tokens stored before validation existed were never checked.
    await q.query("UPDATE settings.hf_tokens SET hub_status = 'unverified' WHERE envelope IS NOT NULL");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE settings.hf_tokens DROP COLUMN hub_status, DROP COLUMN hub_owner, DROP COLUMN hub_role');
  }
}
