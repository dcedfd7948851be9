// Against a real Postgres: SlotRepository.beginWithOnlineRunners opens the placing transaction, takes
// the lock and reads the online runners with their allocations in one message; the read is prepared
// once per connection and sees what was committed while the lock was awaited.
import pg from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresProcess } from '@helix/testing';
import { MODELS_MIGRATIONS } from '../migrations';
import { SlotRepository } from './slot.repository';

const LOCK = `SELECT pg_advisory_xact_lock(hashtext('slot-repository-spec'))`;
const GB = 1e9;

describe('SlotRepository.beginWithOnlineRunners against Postgres', () => {
  let db: PostgresProcess;
  let client: pg.Client;
  let other: pg.Client;
  const slots = new SlotRepository(undefined as unknown as DataSource);
  const since = () => new Date(Date.now() - 15_000);
  const advisoryLocksHeld = async () =>
    Number((await client.query(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`)).rows[0].n);

  beforeAll(async () => {
    db = await startPostgres();
    [client, other] = [new pg.Client({ connectionString: db.url }), new pg.Client({ connectionString: db.url })];
    await Promise.all([client.connect(), other.connect()]);
    const q = { query: (sql: string, params?: unknown[]) => client.query(sql, params).then((r) => r.rows) } as unknown as QueryRunner;
    await client.query('CREATE SCHEMA models');
    for (const Migration of MODELS_MIGRATIONS) await new Migration().up(q);
    const gpus = JSON.stringify([{ index: 0, memory: 80 * GB }]);
    await client.query(
      `INSERT INTO models.runners (id, memory_total, gpus, hf_token_provided, first_seen, last_seen)
       VALUES ('online', $1, $2, true, now(), now()), ('offline', $1, $2, true, now() - interval '1 hour', now() - interval '1 hour')`,
      [80 * GB, gpus],
    );
    await client.query(
      `INSERT INTO models.models (id, name, type, runtime, memory, description, enabled, auto_pull, prewarm, runtime_args, created_at, updated_at)
       VALUES ('m/a', 'a', 'chat', 'vllm', $1, '', true, false, false, '[]', now(), now())`,
      [10 * GB],
    );
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await other?.end();
    await db?.dispose();
  });

  it('reads only online runners, in the transaction it opens, and prepares the read once per connection', async () => {
    for (const round of [1, 2]) {
      const online = await slots.beginWithOnlineRunners(client, LOCK, since());
      expect(online, `round ${round}`).toEqual([{ id: 'online', gpus: [{ index: 0, memory: 80 * GB }], memoryTotal: 80 * GB, allocations: [] }]);
      expect(await advisoryLocksHeld(), 'the lock is held until the transaction ends').toBe(1);
      await client.query('COMMIT');
      expect(await advisoryLocksHeld()).toBe(0);
    }
    const prepared = await client.query(`SELECT name FROM pg_prepared_statements WHERE from_sql`);
    expect(prepared.rows).toEqual([{ name: 'models_online_runners_with_allocations' }]);
  });

  it('sees the slot another transaction committed while it waited for the lock', async () => {
    await other.query('BEGIN');
    await other.query(LOCK);
    await other.query(
      `INSERT INTO models.slots (id, model_id, runner_id, gpus, state, restarts, created_at, updated_at)
       VALUES ('00000000-0000-4000-8000-000000000001', 'm/a', 'online', '{0}', 'scheduled', 0, now(), now())`,
    );
    let settled = false;
    const reading = slots.beginWithOnlineRunners(client, LOCK, since()).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false); // waiting for the lock
    await other.query('COMMIT');
    const [runner] = await reading;
    await client.query('COMMIT');
    expect(runner.allocations).toEqual([{ slotId: '00000000-0000-4000-8000-000000000001', gpus: [0], memory: 10 * GB }]);
  });
});
