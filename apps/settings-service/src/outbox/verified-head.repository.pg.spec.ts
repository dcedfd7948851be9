// Against a real Postgres: the digests the stream comparison keeps, read and replaced a chunk at a time.
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresProcess } from '@helix/testing';
import { settingsSubject } from '@helix/contracts';
import { SETTINGS_MIGRATIONS } from '../migrations';
import { VerifiedHeadRepository } from './verified-head.repository';

const digest = (text: string) => createHash('sha256').update(text).digest();

describe('VerifiedHeadRepository against Postgres', () => {
  let pg: PostgresProcess;
  let db: DataSource;
  const heads = new VerifiedHeadRepository();
  const subjects = Array.from({ length: 300 }, (_, i) => settingsSubject('model', `Org/model-${i}`));

  beforeAll(async () => {
    pg = await startPostgres();
    db = await new DataSource({ type: 'postgres', url: pg.url, logging: false, schema: 'settings', migrations: SETTINGS_MIGRATIONS }).initialize();
    await db.query('CREATE SCHEMA IF NOT EXISTS settings');
    await db.runMigrations();
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await pg?.dispose();
  });

  it('reads back the digest kept for each subject, byte for byte, and nothing for a subject never kept', async () => {
    await heads.record(
      db.manager,
      subjects.slice(0, 200).map((subject) => ({ subject, digest: digest(`${subject}@1`) })),
    );
    const read = await heads.digests(db.manager, [...subjects.slice(150, 250), settingsSubject('global', null)]);
    expect(read.size).toBe(50);
    for (const subject of subjects.slice(150, 200)) expect(read.get(subject)).toEqual(digest(`${subject}@1`));
  });

  it('replaces a kept digest with a newer one (one row per subject), leaving the others', async () => {
    await heads.record(db.manager, [
      { subject: subjects[3], digest: digest('newer') },
      { subject: subjects[250], digest: digest('first') },
    ]);
    const read = await heads.digests(db.manager, [subjects[3], subjects[4], subjects[250]]);
    expect(read.get(subjects[3])).toEqual(digest('newer'));
    expect(read.get(subjects[4])).toEqual(digest(`${subjects[4]}@1`));
    expect(read.get(subjects[250])).toEqual(digest('first'));
    const [{ rows }] = await db.query('SELECT count(*)::int AS rows FROM settings.verified_heads WHERE subject = $1', [subjects[3]]);
    expect(rows).toBe(1);
  });

  it('does nothing for an empty list', async () => {
    await heads.record(db.manager, []);
    expect(await heads.digests(db.manager, [])).toEqual(new Map());
  });
});
