import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStack, type Stack } from '@helix/testing';

const model = (id: string, memory: string, extra: Record<string, unknown> = {}) => ({ id, name: id, type: 'embed', runtime: 'vllm', memory, ...extra });

describe('scheduling: placement, capacity, offline runners, prewarm', () => {
  let stack: Stack;
  const get = async (id: string) => (await stack.api('GET', `/api/v1/models/${id}`)).body;
  /** The model's slots once `pred` holds for them (by default: one is running). */
  const running = (id: string, pred: (slots: any[]) => boolean = (s) => s.some((x) => x.state === 'running'), timeout = 20_000): Promise<any[]> =>
    vi.waitFor(
      async () => {
        const slots = (await get(id))?.slots;
        expect(Array.isArray(slots) && pred(slots), `slots of ${id}: ${JSON.stringify(slots)}`).toBe(true);
        return slots;
      },
      { timeout, interval: 200 },
    );
  const runnerStates = async () => Object.fromEntries((await stack.api('GET', '/api/v1/runners')).body.map((r: any) => [r.id, r.state]));

  beforeAll(async () => {
    stack = await startStack({
      runners: [
        { id: 'gpu-a', memory: '40GB' },
        { id: 'gpu-b', memory: '60GB' },
      ],
    });
    // (expect.poll only runs inside a test.)
    await vi.waitFor(async () => expect(await runnerStates()).toEqual({ 'gpu-a': 'online', 'gpu-b': 'online' }), { timeout: 20_000, interval: 200 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('places each model on the online runner with the most free memory that fits', async () => {
    expect((await stack.api('POST', '/api/v1/models', model('fit/one', '30GB'))).body.slots[0].runner_id).toBe('gpu-b'); // 60 free vs 40
    expect((await stack.api('POST', '/api/v1/models', model('fit/two', '30GB'))).body.slots[0].runner_id).toBe('gpu-a'); // 40 vs 30
    expect((await stack.api('POST', '/api/v1/models', model('fit/three', '25GB'))).body.slots[0].runner_id).toBe('gpu-b'); // 10 vs 30
    for (const id of ['fit/one', 'fit/two', 'fit/three']) await running(id);
    const runners = (await stack.api('GET', '/api/v1/runners')).body;
    expect(Object.fromEntries(runners.map((r: any) => [r.id, r.memory_allocated]))).toEqual({ 'gpu-a': 30e9, 'gpu-b': 55e9 });
  });

  it('answers no_capacity clearly when no runner fits, and places the model when room appears', async () => {
    const res = await stack.api('POST', '/api/v1/models', model('big/model', '20GB'));
    expect(res.status).toBe(201);
    expect(res.body.slots).toEqual([
      expect.objectContaining({
        state: 'scheduled',
        runner_id: null,
        error: { code: 'no_capacity', message: expect.stringMatching(/No online runner has 20GB of GPU memory free \(the most free is 10GB on gpu-a\)/) },
      }),
    ]);
    expect((await stack.api('DELETE', '/api/v1/models/fit/two')).status).toBe(200);
    const slots = await running('big/model');
    expect(slots).toEqual([expect.objectContaining({ runner_id: 'gpu-a', state: 'running', error: null })]);
  });

  it('enabled: false models are stored only; enabling one deploys it', async () => {
    const res = await stack.api('POST', '/api/v1/models', model('off/model', '1GB', { enabled: false }));
    expect(res.body.slots).toEqual([]);
    const on = await stack.api('PUT', '/api/v1/models/off/model', { enabled: true });
    expect(on.status).toBe(200);
    await running('off/model');
    const off = await stack.api('PUT', '/api/v1/models/off/model', { enabled: false });
    expect(off.body.slots).toEqual([]);
  });

  it('a runner going offline: its models move to a runner with room, and it stops its orphans when it returns', async () => {
    const before = (await get('big/model')).slots[0];
    expect(before.runner_id).toBe('gpu-a');
    const runnerA = stack.runners.get('gpu-a')!;
    process.kill(runnerA.pid, 'SIGSTOP'); // silent: no heartbeats, no goodbye
    try {
      await expect.poll(runnerStates, { timeout: 30_000, interval: 200 }).toEqual({ 'gpu-a': 'offline', 'gpu-b': 'online' });
      // big/model (20GB, gpu-a's only model) does not fit in gpu-b's 5GB free: it waits, scheduled with no_capacity.
      const slots = await running('big/model', (s) => s.length === 1 && s[0].state === 'scheduled' && s[0].error?.code === 'no_capacity', 15_000);
      expect(slots[0].runner_id).toBeNull();
      // Free room on gpu-b: the model moves there.
      expect((await stack.api('DELETE', '/api/v1/models/fit/one')).status).toBe(200);
      const moved = await running('big/model', (s) => s.some((x) => x.state === 'running' && x.runner_id === 'gpu-b'));
      expect(moved[0].id).not.toBe(before.id);
    } finally {
      process.kill(runnerA.pid, 'SIGCONT');
    }
    // gpu-a is back, still running the old process: the control plane tells it to stop it.
    await runnerA.waitFor((l) => l.msg === 'vllm stopped' && l.slot_id === before.id, 20_000);
    await expect(fetch(`${before.endpoint}/health`)).rejects.toThrow();
  }, 90_000);

  it('prewarm models are also started on a runner that joins with room', async () => {
    const res = await stack.api('POST', '/api/v1/models', model('warm/model', '2GB', { prewarm: true }));
    expect(res.status).toBe(201);
    expect(res.body.slots).toHaveLength(1);
    await running('warm/model');
    await stack.startRunner({ id: 'gpu-c', memory: '10GB' });
    const slots = await running('warm/model', (s) => s.some((x) => x.runner_id === 'gpu-c' && x.state === 'running'));
    expect(slots.filter((s: any) => s.state === 'running')).toHaveLength(2);
    // A non-prewarm model is not copied onto the new runner.
    expect((await get('big/model')).slots.map((s: any) => s.runner_id)).toEqual(['gpu-b']);
  }, 60_000);

  it('a restarted models-service rebuilds its view from Postgres and heartbeats', async () => {
    const before = (await stack.api('GET', '/api/v1/models')).body.map((m: any) => ({
      id: m.id,
      slots: m.slots.map((s: any) => [s.id, s.state, s.runner_id]),
    }));
    await stack.models.stop();
    await stack.startModelsService();
    await new Promise((r) => setTimeout(r, 6_000)); // at least one heartbeat from every runner
    const after = (await stack.api('GET', '/api/v1/models')).body.map((m: any) => ({ id: m.id, slots: m.slots.map((s: any) => [s.id, s.state, s.runner_id]) }));
    expect(after).toEqual(before);
    // And it still schedules.
    expect((await stack.api('POST', '/api/v1/models', model('after/restart', '1GB'))).status).toBe(201);
    await running('after/restart');
  }, 60_000);
});
