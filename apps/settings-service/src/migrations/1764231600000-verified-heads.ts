import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The digest of the last SETTINGS message of each subject that the stream comparison found validly
 * signed (see VerifiedHeadRepository): a head whose digest is unchanged is not verified again, which
 * was most of the time of comparing 100,000 scopes. Only digests: no token, no event.
 */
export class VerifiedHeads1764231600000 implements MigrationInterface {
  name = 'VerifiedHeads1764231600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE settings.verified_heads (
      subject text PRIMARY KEY,
      digest bytea NOT NULL,
      verified_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE settings.verified_heads');
  }
}
