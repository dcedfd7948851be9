import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStack, type Stack } from '@helix/testing';

const model = (id: string, memory: string) => ({ id, name: id, type: 'chat', runtime: 'vllm', memory, context_length: 2048 });

describe('two models-service replicas place concurrently without over-committing a runner', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ modelsReplicas: 2, runners: [{ id: 'gpu-r1', memory: '10GB' }] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('ten concurrent 3GB creates on a 10GB runner: exactly three are placed, the rest wait with no_capacity', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `race/model-${i}`);
    const created = await Promise.all(ids.map((id) => stack.api('POST', '/api/v1/models', model(id, '3GB'))));
    expect(created.map((r) => r.status)).toEqual(ids.map(() => 201));

    // Both replicas answered create requests (queue group), so placement really was concurrent across processes.
    const served = [stack.models, ...stack.extraModels].map((m) => m.json().filter((l) => l.msg === 'model created').length);
    expect(served).toHaveLength(2);
    expect(served.every((n) => n > 0)).toBe(true);

    const all = () => Promise.all(ids.map(async (id) => (await stack.api('GET', `/api/v1/models/${id}`)).body));
    const isRunning = (m: any) => m.slots.some((s: any) => s.state === 'running');
    await expect.poll(async () => (await all()).filter(isRunning).length, { timeout: 30_000, interval: 200 }).toBe(3);
    // Give any over-placement time to show up before asserting it did not happen.
    await new Promise((r) => setTimeout(r, 3_000));
    const models = await all();
    expect(models.filter(isRunning)).toHaveLength(3);
    const runner = (await stack.api('GET', '/api/v1/runners')).body.find((r: any) => r.id === 'gpu-r1');
    expect(runner.memory_allocated).toBe(9_000_000_000);
    expect(runner.slots.filter((s: any) => s.state !== 'stopped' && s.state !== 'failed')).toHaveLength(3);
    const waiting = models.filter((m: any) => !m.slots.some((s: any) => s.state === 'running'));
    expect(waiting).toHaveLength(7);
    for (const m of waiting) expect(m.slots.map((s: any) => [s.state, s.error?.code])).toContainEqual(['scheduled', 'no_capacity']);
  }, 90_000);
});

describe('a placement waits for the placement lock and sees what its holder committed', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'lock-r1', memory: '10GB' }] });
    // (expect.poll only runs inside a test.)
    await vi.waitFor(async () => expect((await stack.api('GET', '/api/v1/runners')).body).toHaveLength(1), { timeout: 20_000, interval: 200 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a create during another placement is placed after it, against the memory that placement took', async () => {
    // A model placed nowhere, for the other placement's slot to belong to.
    expect((await stack.api('POST', '/api/v1/models', { ...model('lock/holder', '8GB'), enabled: false })).status).toBe(201);
    const db = new Client({ connectionString: stack.pg.url });
    await db.connect();
    try {
      // The test is the other placement: it holds the lock, as a replica's placing transaction does.
      await db.query('BEGIN');
      await db.query(`SELECT pg_advisory_xact_lock(hashtext('helix-models-placement'))`);
      let answered = false;
      const create = stack.api('POST', '/api/v1/models', model('lock/waiter', '8GB')).then((res) => {
        answered = true;
        return res;
      });
      await new Promise((r) => setTimeout(r, 1_000));
      expect(answered, 'the create must wait for the placement lock').toBe(false);
      // Committed while the waiter waits: 8GB of the runner's 10GB taken. A placement that read the
      // runner's slots before it had the lock would not see this slot and over-commit the runner.
      await db.query(
        `INSERT INTO models.slots (id, model_id, runner_id, gpus, state, restarts, created_at, updated_at)
         VALUES (gen_random_uuid(), 'lock/holder', 'lock-r1', '{0}', 'scheduled', 0, now(), now())`,
      );
      await db.query('COMMIT');
      const res = await create;
      expect(res.status).toBe(201);
      expect(res.body.slots).toEqual([expect.objectContaining({ runner_id: null, error: expect.objectContaining({ code: 'no_capacity' }) })]);
    } finally {
      await db.end();
    }
  }, 60_000);
});
