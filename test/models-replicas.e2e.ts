import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
