// Against a real Postgres: the stream comparison reads settings.hf_tokens a page (or a chunk of
// scopes) at a time, and asks the outbox which of a chunk's subjects still wait to be published.
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresProcess } from '@helix/testing';
import { settingsSubject, type Scope } from '@helix/contracts';
import { SETTINGS_MIGRATIONS } from '../migrations';
import { OutboxRepository } from '../outbox/outbox.repository';
import { HfTokenRepository } from './hf-token.repository';

describe('HfTokenRepository pages and OutboxRepository.pendingSubjects against Postgres', () => {
  let pg: PostgresProcess;
  let db: DataSource;
  let tokens: HfTokenRepository;
  // Every scope kind, ids that sort differently byte-wise and case-wise, and scopes never changed (version 0).
  const changed: Array<{ scope: Scope; scopeId: string }> = [
    { scope: 'global', scopeId: '' },
    ...Array.from({ length: 230 }, (_, i) => ({ scope: 'model' as const, scopeId: `Org/model-${i}` })),
    ...Array.from({ length: 230 }, (_, i) => ({ scope: 'user' as const, scopeId: `user-${i}` })),
    ...Array.from({ length: 230 }, (_, i) => ({ scope: 'org' as const, scopeId: i % 2 ? `org-${i}` : `ORG_${i}` })),
  ];
  const unchanged = [{ scope: 'org' as const, scopeId: 'never-set' }];
  const key = (r: { scope: string; scopeId: string }) => `${r.scope}:${r.scopeId}`;

  beforeAll(async () => {
    pg = await startPostgres();
    db = await new DataSource({ type: 'postgres', url: pg.url, logging: false, schema: 'settings', migrations: SETTINGS_MIGRATIONS }).initialize();
    await db.query('CREATE SCHEMA IF NOT EXISTS settings');
    await db.runMigrations();
    const rows = [...changed.slice(1).map((r) => ({ ...r, version: 1 })), ...unchanged.map((r) => ({ ...r, version: 0 }))];
    await db.query(`UPDATE settings.hf_tokens SET version = 4 WHERE scope = 'global'`);
    await db.query(
      `INSERT INTO settings.hf_tokens (scope, scope_id, version, created_at, updated_at)
       SELECT s, i, v, now(), now() FROM unnest($1::text[], $2::text[], $3::int[]) AS t(s, i, v)`,
      [rows.map((r) => r.scope), rows.map((r) => r.scopeId), rows.map((r) => r.version)],
    );
    tokens = new HfTokenRepository(db);
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await pg?.dispose();
  });

  it('pages through every changed scope exactly once, in key order', async () => {
    const seen: string[] = [];
    let after = null;
    let pages = 0;
    do {
      const page = await tokens.listChangedPage(db.manager, after, 100);
      seen.push(...page.map((r) => key(r)));
      after = page.length === 100 ? page[page.length - 1] : null;
      pages++;
    } while (after);
    expect(pages).toBe(Math.ceil(changed.length / 100));
    expect(seen).toHaveLength(changed.length);
    expect(new Set(seen)).toEqual(new Set(changed.map(key)));
    const [first] = await tokens.listChangedPage(db.manager, null, 1);
    expect(first).toMatchObject({ scope: 'global', scopeId: '', version: 4 });
  });

  it('finds the changed scopes of a chunk, whatever else is asked', async () => {
    const asked = [changed[0], changed[5], changed[400], unchanged[0], { scope: 'model' as const, scopeId: 'no-such-model' }];
    const found = await tokens.findChanged(
      db.manager,
      asked.map((r) => ({ scope: r.scope, scopeId: r.scope === 'global' ? null : r.scopeId })),
    );
    expect(new Set(found.map(key))).toEqual(new Set([changed[0], changed[5], changed[400]].map(key)));
  });

  it('says which subjects of a chunk have an event in the outbox', async () => {
    const outbox = new OutboxRepository(db, { assign: () => undefined } as never);
    const waiting = settingsSubject('model', 'Org/model-3');
    await db.transaction((tx) => outbox.addAll(tx, [{ subject: waiting, msgId: `${waiting}@2`, event: { type: 'audit.recorded' } as never }]));
    const pending = await outbox.pendingSubjects(db.manager, [waiting, settingsSubject('model', 'Org/model-4'), settingsSubject('global', null)]);
    expect(pending).toEqual(new Set([waiting]));
  });
});
