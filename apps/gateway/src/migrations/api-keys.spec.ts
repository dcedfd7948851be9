// Against a real Postgres: users.api_key_hash moves into gateway.api_keys (the admin of
// HELIX_ADMIN_API_KEY recognised by its audit entry), and back.
import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresProcess } from '@helix/testing';
import { Users1764230500000 } from './1764230500000-users';
import { Orgs1764230900000 } from './1764230900000-orgs';
import { AuditLog1764231000000 } from './1764231000000-audit-log';
import { ApiKeys1764231200000 } from './1764231200000-api-keys';

const H = (c: string) => c.repeat(64);

describe('ApiKeys1764231200000', () => {
  let db: PostgresProcess;
  let client: pg.Client;
  const q = { query: (sql: string, params?: unknown[]) => client.query(sql, params).then((r) => r.rows) } as unknown as QueryRunner;
  const ids = {} as Record<'admin' | 'bob' | 'old' | 'promoted', string>;

  beforeAll(async () => {
    db = await startPostgres();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('CREATE SCHEMA gateway');
    for (const m of [new Users1764230500000(), new Orgs1764230900000(), new AuditLog1764231000000()]) await m.up(q);
    const users: Array<[keyof typeof ids, boolean, string]> = [
      ['admin', true, H('a')], // ensured from HELIX_ADMIN_API_KEY: user.create without actor
      ['bob', false, H('b')], // created by the admin
      ['old', true, H('c')], // an admin from before the audit log: no entry
      ['promoted', true, H('d')], // a user promoted by an earlier HELIX_ADMIN_API_KEY: its entry has an actor
    ];
    for (const [name, admin, hash] of users) {
      const [row] = await q.query('INSERT INTO gateway.users (name, admin, api_key_hash) VALUES ($1, $2, $3) RETURNING id', [name, admin, hash]);
      ids[name] = row.id;
    }
    const entry = (actor: string | null, user: string) =>
      q.query(`INSERT INTO gateway.audit_log (id, at, actor_id, action, target, details) VALUES (gen_random_uuid(), now(), $1, 'user.create', $2, '{}')`, [
        actor,
        `user:${user}`,
      ]);
    await entry(null, ids.admin);
    await entry(ids.admin, ids.bob);
    await entry(ids.admin, ids.promoted);
  });
  afterAll(async () => {
    await client?.end();
    await db?.dispose();
  });

  it('moves every key hash into api_keys (bootstrap: the admin ensured at start), drops users.api_key_hash; down() keeps one active key per user', async () => {
    await new ApiKeys1764231200000().up(q);
    const keys = await q.query(
      `SELECT u.name, k.key_hash, k.prefix, k.bootstrap, k.revoked_at, k.created_at = u.created_at AS same_time
       FROM gateway.api_keys k JOIN gateway.users u ON u.id = k.user_id ORDER BY u.name`,
    );
    expect(keys).toEqual([
      { name: 'admin', key_hash: H('a'), prefix: null, bootstrap: true, revoked_at: null, same_time: true },
      { name: 'bob', key_hash: H('b'), prefix: null, bootstrap: false, revoked_at: null, same_time: true },
      { name: 'old', key_hash: H('c'), prefix: null, bootstrap: false, revoked_at: null, same_time: true },
      { name: 'promoted', key_hash: H('d'), prefix: null, bootstrap: false, revoked_at: null, same_time: true },
    ]);
    const columns = await q.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'gateway' AND table_name = 'users'`);
    expect(columns.map((c: { column_name: string }) => c.column_name)).not.toContain('api_key_hash');

    // More keys than the older release can hold; a hash is unique; a user's keys go with the user.
    await q.query(`INSERT INTO gateway.api_keys (user_id, key_hash, prefix, created_at) VALUES ($1, $2, 'hl-newer0', now() + interval '1 minute')`, [
      ids.bob,
      H('e'),
    ]);
    await q.query(`UPDATE gateway.api_keys SET revoked_at = now() WHERE key_hash = $1`, [H('c')]);
    await expect(q.query(`INSERT INTO gateway.api_keys (user_id, key_hash, prefix) VALUES ($1, $2, 'x')`, [ids.old, H('a')])).rejects.toThrow(/unique/);
    const [doomed] = await q.query(`INSERT INTO gateway.users (name, admin) VALUES ('doomed', false) RETURNING id`);
    await q.query(`INSERT INTO gateway.api_keys (user_id, key_hash, prefix) VALUES ($1, $2, 'hl-doomed')`, [doomed.id, H('f')]);
    await q.query('DELETE FROM gateway.users WHERE id = $1', [doomed.id]);
    expect(await q.query('SELECT 1 FROM gateway.api_keys WHERE key_hash = $1', [H('f')])).toEqual([]);

    await new ApiKeys1764231200000().down(q);
    const users = await q.query('SELECT name, api_key_hash FROM gateway.users ORDER BY name');
    expect(users).toEqual([
      { name: 'admin', api_key_hash: H('a') },
      { name: 'bob', api_key_hash: H('e') }, // the newest active key
      { name: 'old', api_key_hash: expect.stringMatching(/^revoked:/) }, // its only key was revoked: no key works
      { name: 'promoted', api_key_hash: H('d') },
    ]);
    expect(await q.query(`SELECT to_regclass('gateway.api_keys') AS t`)).toEqual([{ t: null }]);
    // The older release's rules hold again: a user needs a unique key hash.
    await expect(q.query(`INSERT INTO gateway.users (name, admin) VALUES ('nokey', false)`)).rejects.toThrow(/null value/);
    await expect(q.query(`INSERT INTO gateway.users (name, admin, api_key_hash) VALUES ('dup', false, $1)`, [H('a')])).rejects.toThrow(/unique/);
    // And up() runs again on what down() left.
    await new ApiKeys1764231200000().up(q);
    expect(await q.query('SELECT count(*)::int AS n FROM gateway.api_keys WHERE bootstrap')).toEqual([{ n: 1 }]);
    expect(await q.query('SELECT u.name FROM gateway.api_keys k JOIN gateway.users u ON u.id = k.user_id WHERE k.revoked_at IS NOT NULL')).toEqual([
      { name: 'old' },
    ]);
  });
});
