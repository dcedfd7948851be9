// Against a real Postgres: the GPU columns of models.runners and models.slots, the values rows of
// the previous release get, and down() back to a schema the previous release writes to.
import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresProcess } from '@helix/testing';
import { Runners1764230600000 } from './1764230600000-runners';
import { Models1764230700000 } from './1764230700000-models';
import { RunnersDropHeartbeatCopies1764230800000 } from './1764230800000-runners-drop-heartbeat-copies';
import { ModelOwnership1764230900000 } from './1764230900000-model-ownership';
import { RunnersSettingsProgress1764231100000 } from './1764231100000-runners-settings-progress';
import { Gpus1764231300000 } from './1764231300000-gpus';

describe('Gpus1764231300000', () => {
  let db: PostgresProcess;
  let client: pg.Client;
  const q = { query: (sql: string, params?: unknown[]) => client.query(sql, params).then((r) => r.rows) } as unknown as QueryRunner;
  const columns = async (table: string) =>
    (await q.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'models' AND table_name = $1`, [table])).map(
      (c: { column_name: string }) => c.column_name,
    );

  beforeAll(async () => {
    db = await startPostgres();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('CREATE SCHEMA models');
    for (const m of [
      new Runners1764230600000(),
      new Models1764230700000(),
      new RunnersDropHeartbeatCopies1764230800000(),
      new ModelOwnership1764230900000(),
      new RunnersSettingsProgress1764231100000(),
    ])
      await m.up(q);
  });
  afterAll(async () => {
    await client?.end();
    await db?.dispose();
  });

  it('gives known runners one GPU of memory_total and placed slots GPU 0; down() drops both columns', async () => {
    await client.query(
      `INSERT INTO models.runners (id, memory_total, hf_token_provided, first_seen, last_seen) VALUES ('r1', 80000000000, true, now(), now())`,
    );
    await client.query(
      `INSERT INTO models.models (id, name, type, runtime, memory, description, enabled, auto_pull, prewarm, runtime_args, created_at, updated_at)
       VALUES ('m/a', 'a', 'chat', 'vllm', 1, '', true, false, false, '[]', now(), now())`,
    );
    await client.query(
      `INSERT INTO models.slots (id, model_id, runner_id, state, created_at, updated_at) VALUES
       ('00000000-0000-4000-8000-000000000001', 'm/a', 'r1', 'running', now(), now()),
       ('00000000-0000-4000-8000-000000000002', 'm/a', NULL, 'failed', now(), now())`,
    );
    await new Gpus1764231300000().up(q);
    expect(await q.query('SELECT id, gpus FROM models.runners')).toEqual([{ id: 'r1', gpus: [{ index: 0, memory: 80000000000 }] }]);
    expect(await q.query('SELECT runner_id, gpus FROM models.slots ORDER BY id')).toEqual([
      { runner_id: 'r1', gpus: [0] },
      { runner_id: null, gpus: null },
    ]);
    // A replica of the previous release (rolling upgrade) still writes rows without the new columns.
    await client.query(`INSERT INTO models.runners (id, memory_total, hf_token_provided, first_seen, last_seen) VALUES ('r2', 1, true, now(), now())`);
    await client.query(
      `INSERT INTO models.slots (id, model_id, runner_id, state, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000003', 'm/a', 'r2', 'scheduled', now(), now())`,
    );
    expect(await q.query(`SELECT gpus FROM models.runners WHERE id = 'r2'`)).toEqual([{ gpus: [] }]);
    // Two GPUs and a tensor-parallel slot as this release writes them.
    await client.query(`UPDATE models.runners SET gpus = $1 WHERE id = 'r1'`, [
      JSON.stringify([
        { index: 0, memory: 4e10 },
        { index: 1, memory: 4e10 },
      ]),
    ]);
    await client.query(`UPDATE models.slots SET gpus = $1 WHERE id = '00000000-0000-4000-8000-000000000001'`, [[0, 1]]);
    expect(await q.query(`SELECT gpus FROM models.slots WHERE id = '00000000-0000-4000-8000-000000000001'`)).toEqual([{ gpus: [0, 1] }]);

    await new Gpus1764231300000().down(q);
    expect(await columns('runners')).not.toContain('gpus');
    expect(await columns('slots')).not.toContain('gpus');
    await client.query(
      `INSERT INTO models.slots (id, model_id, runner_id, state, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000004', 'm/a', 'r1', 'scheduled', now(), now())`,
    );
    // And up again after a down (a rollback that is rolled forward).
    await new Gpus1764231300000().up(q);
    expect(await columns('slots')).toContain('gpus');
  });
});
