// Against a real Postgres: the per-scope version map of models.runners becomes the three counters of
// the new heartbeat, and back.
import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresProcess } from '@helix/testing';
import { Runners1764230600000 } from './1764230600000-runners';
import { RunnersDropHeartbeatCopies1764230800000 } from './1764230800000-runners-drop-heartbeat-copies';
import { RunnersSettingsProgress1764231100000 } from './1764231100000-runners-settings-progress';

describe('RunnersSettingsProgress1764231100000', () => {
  let db: PostgresProcess;
  let client: pg.Client;
  const q = { query: (sql: string, params?: unknown[]) => client.query(sql, params).then((r) => r.rows) } as unknown as QueryRunner;

  beforeAll(async () => {
    db = await startPostgres();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('CREATE SCHEMA models');
    await new Runners1764230600000().up(q);
    await new RunnersDropHeartbeatCopies1764230800000().up(q);
  });
  afterAll(async () => {
    await client?.end();
    await db?.dispose();
  });

  it('takes the global version and the number of scopes from settings_versions, then drops it; down() restores the global version', async () => {
    await client.query(
      `INSERT INTO models.runners (id, memory_total, settings_versions, hf_token_provided, first_seen, last_seen) VALUES
       ('a', 1, '{"global": 3, "model:m/a": 2, "org:o": 1}', true, now(), now()),
       ('b', 1, '{"user:u": 5}', false, now(), now()),
       ('c', 1, '{}', false, now(), now())`,
    );
    await new RunnersSettingsProgress1764231100000().up(q);
    const rows = await q.query('SELECT id, settings_version, settings_seq, settings_applied FROM models.runners ORDER BY id');
    expect(rows).toEqual([
      { id: 'a', settings_version: 3, settings_seq: '0', settings_applied: 3 },
      { id: 'b', settings_version: 0, settings_seq: '0', settings_applied: 1 },
      { id: 'c', settings_version: 0, settings_seq: '0', settings_applied: 0 },
    ]);
    const columns = await q.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'models' AND table_name = 'runners'`);
    expect(columns.map((c: { column_name: string }) => c.column_name)).not.toContain('settings_versions');

    await new RunnersSettingsProgress1764231100000().down(q);
    expect(await q.query('SELECT id, settings_versions FROM models.runners ORDER BY id')).toEqual([
      { id: 'a', settings_versions: { global: 3 } },
      { id: 'b', settings_versions: {} },
      { id: 'c', settings_versions: {} },
    ]);
    // A heartbeat of the older release can be stored again.
    await client.query(
      `INSERT INTO models.runners (id, memory_total, settings_versions, hf_token_provided, first_seen, last_seen) VALUES ('d', 1, '{}', true, now(), now())`,
    );
  });
});
