import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, tcpAccepts, type PostgresProcess } from './index';

async function query<T extends pg.QueryResultRow = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  let db: PostgresProcess;

  beforeAll(async () => {
    db = await startPostgres();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('serves database "helix" on 127.0.0.1 with password auth', async () => {
    expect(db.port).not.toBe(5432);
    expect(db.url).toMatch(new RegExp(`^postgres://helix:[^@]+@127\\.0\\.0\\.1:${db.port}/helix$`));
    const [row] = await query(db.url, 'SELECT current_database() AS db, current_user AS usr');
    expect(row).toEqual({ db: 'helix', usr: 'helix' });
    const wrong = db.url.replace(`:${encodeURIComponent(db.password)}@`, ':wrong@');
    await expect(query(wrong, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  });

  it('keeps data across stop/start on the same port, and refuses connections while stopped', async () => {
    await query(db.url, 'CREATE TABLE survivor (id int primary key, note text)');
    await query(db.url, "INSERT INTO survivor VALUES (1, 'still here')");
    const port = db.port;
    await db.stop();
    expect(db.running).toBe(false);
    expect(await tcpAccepts(port)).toBe(false);
    await expect(query(db.url, 'SELECT 1')).rejects.toThrow();
    await db.start();
    expect(db.port).toBe(port);
    expect(await query(db.url, 'SELECT note FROM survivor')).toEqual([{ note: 'still here' }]);
  });

  it('recovers committed rows after a crash (kill)', async () => {
    await query(db.url, "INSERT INTO survivor VALUES (2, 'committed before crash')");
    const pid = db.pid!;
    await db.kill();
    expect(() => process.kill(pid, 0)).toThrow();
    await db.start();
    expect(await query(db.url, 'SELECT id FROM survivor ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('reuses a caller-provided persistent data dir with its stored credentials', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'helix-pg-mine-'));
    chmodSync(parent, 0o755);
    const dataDir = join(parent, 'pgdata');
    try {
      const first = await startPostgres({ dataDir });
      await query(first.url, 'CREATE TABLE kept (v text)');
      await query(first.url, "INSERT INTO kept VALUES ('x')");
      const url = first.url;
      await first.dispose();
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

      const second = await startPostgres({ dataDir, port: first.port });
      try {
        expect(second.url).toBe(url);
        expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'x' }]);
      } finally {
        await second.dispose();
      }
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('gives every cluster its own password (template copies too) and supports a custom superuser via initdb', async () => {
    const other = await startPostgres({ user: 'someone', database: 'otherdb' });
    try {
      expect(other.password).not.toBe(db.password);
      expect(other.url).toContain(`postgres://someone:`);
      expect(await query(other.url, 'SELECT current_database() AS d')).toEqual([{ d: 'otherdb' }]);
      const otherWithDbPassword = other.url.replace(`:${encodeURIComponent(other.password)}@`, `:${encodeURIComponent(db.password)}@`);
      await expect(query(otherWithDbPassword, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
      const wrongTemplate = db.url.replace(`:${encodeURIComponent(db.password)}@`, ':helix-harness-template@');
      await expect(query(wrongTemplate, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    } finally {
      await other.dispose();
    }
  });

  it('dispose() removes the temp data dir', async () => {
    const tmp = await startPostgres();
    expect(existsSync(tmp.dataDir)).toBe(true);
    await tmp.dispose();
    expect(existsSync(tmp.dataDir)).toBe(false);
  });
});
