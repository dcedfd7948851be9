// Against a real Postgres: queryPrepared makes the server keep the statement (pg_prepared_statements),
// in the caller's transaction, with the result shapes and errors of EntityManager.query.
import { DataSource, QueryFailedError } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresProcess } from '@helix/testing';
import { preparedStatement, queryPrepared } from './prepared';

const ECHO = preparedStatement('prepared-spec.echo', 'SELECT $1::int AS v');
const BUMP = preparedStatement('prepared-spec.bump', 'UPDATE prepared_spec SET n = n + 1 WHERE id = $1 RETURNING n');
const FAILS = preparedStatement('prepared-spec.fails', 'SELECT 1 / $1::int AS v');

describe('queryPrepared against Postgres', () => {
  let pg: PostgresProcess;
  let db: DataSource;

  beforeAll(async () => {
    pg = await startPostgres();
    db = await new DataSource({ type: 'postgres', url: pg.url, logging: false }).initialize();
    await db.query('CREATE TABLE prepared_spec (id int PRIMARY KEY, n int NOT NULL)');
    await db.query('INSERT INTO prepared_spec VALUES (1, 0)');
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await pg?.stop();
  });

  it('prepares the statement on the connection of the transaction it runs in', async () => {
    const prepared = await db.transaction(async (tx) => {
      expect(await queryPrepared(tx, ECHO, [7])).toEqual([{ v: 7 }]);
      expect(await queryPrepared(tx, ECHO, [8])).toEqual([{ v: 8 }]);
      return tx.query(`SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'prepared-spec.%'`);
    });
    expect(prepared).toEqual([{ name: ECHO.name, statement: ECHO.text }]);
  });

  it('returns what EntityManager.query returns: [rows, count] for an UPDATE … RETURNING', async () => {
    const viaText = await db.query(BUMP.text, [1]);
    const viaName = await queryPrepared(db.manager, BUMP, [1]);
    expect(viaText).toEqual([[{ n: 1 }], 1]);
    expect(viaName).toEqual([[{ n: 2 }], 1]);
  });

  it('fails with the QueryFailedError EntityManager.query throws, and the connection stays usable', async () => {
    await expect(queryPrepared(db.manager, FAILS, [0])).rejects.toBeInstanceOf(QueryFailedError);
    await expect(queryPrepared(db.manager, FAILS, [1])).resolves.toEqual([{ v: 1 }]);
  });

  it('refuses a statement that selects * (its row type would break when a migration adds a column)', () => {
    expect(() => preparedStatement('prepared-spec.star', 'SELECT * FROM prepared_spec')).toThrow(/selects \*/);
    expect(() => preparedStatement('prepared-spec.returning-star', 'UPDATE prepared_spec AS p SET n = 0 RETURNING p.*')).toThrow(/selects \*/);
    expect(() => preparedStatement('prepared-spec.list-star', 'SELECT id, * FROM prepared_spec')).toThrow(/selects \*/);
    expect(preparedStatement('prepared-spec.count', 'SELECT count(*) AS n FROM prepared_spec').name).toBe('prepared-spec.count');
  });

  it('refuses one name declared with two different statements', () => {
    expect(preparedStatement(ECHO.name, ECHO.text)).toEqual(ECHO);
    expect(() => preparedStatement(ECHO.name, 'SELECT 2')).toThrow(/declared twice with different SQL/);
  });
});
