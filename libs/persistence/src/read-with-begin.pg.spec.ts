// Against a real Postgres: ReadWithBegin opens a transaction, takes a lock and reads in one message,
// prepares its read once per connection, and its literals carry values intact.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresProcess } from '@helix/testing';
import { integerLiteral, ReadWithBegin, textLiteral, timestampLiteral } from './read-with-begin';

const LOCK = `SELECT pg_advisory_xact_lock(hashtext('read-with-begin-spec'))`;
const READ = new ReadWithBegin<{ label: string; n: number; at: Date; rows: number }>(
  'read_with_begin_spec',
  ['text', 'integer', 'timestamptz'],
  'SELECT $1::text AS label, $2::int AS n, $3::timestamptz AS at, (SELECT count(*)::int FROM read_with_begin_spec) AS rows',
);

describe('ReadWithBegin against Postgres', () => {
  let db: PostgresProcess;
  let client: pg.Client;
  let other: pg.Client;
  const args = (label: string) => [textLiteral(label), integerLiteral(-42), timestampLiteral(new Date('2026-11-29T01:02:03.456Z'))];

  beforeAll(async () => {
    db = await startPostgres();
    [client, other] = [new pg.Client({ connectionString: db.url }), new pg.Client({ connectionString: db.url })];
    await Promise.all([client.connect(), other.connect()]);
    await client.query('CREATE TABLE read_with_begin_spec (id int)');
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await other?.end();
    await db?.dispose();
  });

  it('reads in the transaction it opens, with the literals intact, and prepares the read once per connection', async () => {
    for (const label of ["it's", 'plain']) {
      const [row] = await READ.begin(client, LOCK, args(label));
      expect(row).toEqual({ label, n: -42, at: new Date('2026-11-29T01:02:03.456Z'), rows: 0 });
      const held = await client.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`);
      expect(held.rows[0].n, 'the lock is held until the transaction ends').toBe(1);
      await client.query('COMMIT');
    }
    const prepared = await client.query('SELECT name FROM pg_prepared_statements WHERE from_sql');
    expect(prepared.rows).toEqual([{ name: 'read_with_begin_spec' }]);
  });

  it('sees what another transaction committed while it waited for the lock', async () => {
    await other.query('BEGIN');
    await other.query(LOCK);
    await other.query('INSERT INTO read_with_begin_spec VALUES (1)');
    let settled = false;
    const reading = READ.begin(client, LOCK, args('waits')).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    await other.query('COMMIT');
    const [row] = await reading;
    await client.query('COMMIT');
    expect(row.rows).toBe(1);
  });

  it('refuses values its literals cannot carry', () => {
    expect(() => integerLiteral(1.5)).toThrow(RangeError);
    expect(() => timestampLiteral(new Date('nope'))).toThrow(RangeError);
    expect(() => textLiteral('a\0b')).toThrow(RangeError);
  });
});
