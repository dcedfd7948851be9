import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '@helix/persistence';

const READ = preparedStatement('settings.verified-heads.read', 'SELECT subject, digest FROM settings.verified_heads WHERE subject = ANY($1::text[])');
const RECORD = preparedStatement(
  'settings.verified-heads.record',
  `INSERT INTO settings.verified_heads (subject, digest, verified_at)
   SELECT h.subject, h.digest, now() FROM unnest($1::text[], $2::bytea[]) AS h(subject, digest)
   ON CONFLICT (subject) DO UPDATE SET digest = excluded.digest, verified_at = excluded.verified_at`,
);

/** One subject's last message, found validly signed (EventVerifier.digest). */
export interface VerifiedHead {
  subject: string;
  digest: Buffer;
}

/**
 * All SQL of `settings.verified_heads`: for each subject of the SETTINGS stream, the digest of the
 * last message the stream comparison verified there. Written only by the comparison, which runs under
 * the outbox publish lock, so writers never wait on each other or on a settings change.
 */
@Injectable()
export class VerifiedHeadRepository {
  /** The digests kept for `subjects` (subjects never verified are absent). */
  async digests(tx: EntityManager, subjects: string[]): Promise<Map<string, Buffer>> {
    if (subjects.length === 0) return new Map();
    const rows: Array<{ subject: string; digest: Buffer }> = await queryPrepared(tx, READ, [subjects]);
    return new Map(rows.map((r) => [r.subject, r.digest]));
  }

  /** Keeps (or replaces) the digest of each subject's last message (one statement for a chunk). */
  async record(tx: EntityManager, heads: VerifiedHead[]): Promise<void> {
    if (heads.length === 0) return;
    await queryPrepared(tx, RECORD, [heads.map((h) => h.subject), heads.map((h) => h.digest)]);
  }
}
