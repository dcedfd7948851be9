import { describe, expect, it } from 'vitest';
import type { PinoLogger } from 'nestjs-pino';
import type { ModelSpec } from '@helix/contracts';
import type { RunnerCommands } from '../slots/runner-commands';
import type { SlotRepository } from '../slots/slot.repository';
import { fakeCommands, fakeDataSource, fakeLogger, fakeRunners, InMemorySlots } from '../testing/fakes';
import { Scheduler } from './scheduler.service';

const GB = 1e9;
const model = (id: string, memory: number): ModelSpec => ({
  id,
  name: id,
  type: 'embed',
  runtime: 'vllm',
  memory,
  context_length: null,
  description: '',
  enabled: true,
  auto_pull: false,
  prewarm: false,
  runtime_args: [],
  org_id: null,
  owner_id: null,
});

function newScheduler(runners: Record<string, number | number[]>, refuse: Record<string, string> = {}) {
  const mocks = { db: fakeDataSource(), slots: new InMemorySlots(), commands: fakeCommands(refuse), logger: fakeLogger() };
  mocks.slots.online = fakeRunners(runners);
  const sut = new Scheduler(
    mocks.db,
    mocks.slots as unknown as SlotRepository,
    mocks.commands as unknown as RunnerCommands,
    mocks.logger as unknown as PinoLogger,
  );
  /** Places a new model in one (fake) transaction, as ModelsService.create does. */
  const place = (m: ModelSpec) => {
    mocks.slots.memory.set(m.id, m.memory);
    return sut.transaction((tx) => sut.placeNew(tx, m));
  };
  return { sut, mocks, place };
}

describe('Scheduler.placeNew', () => {
  it('records a scheduled slot on the runner with the most free memory that fits', async () => {
    const { mocks, place } = newScheduler({ 'gpu-a': 40 * GB, 'gpu-b': 60 * GB });
    const plan = await place(model('m/one', 30 * GB));
    expect(plan).toMatchObject({ runnerId: 'gpu-b', model: { id: 'm/one' } });
    expect(mocks.slots.forModel('m/one')).toEqual([expect.objectContaining({ id: plan!.slotId, runner_id: 'gpu-b', state: 'scheduled' })]);
    expect((await place(model('m/two', 30 * GB)))?.runnerId).toBe('gpu-a'); // 40 free vs 30
  });

  it('never over-commits: memory of scheduled slots counts, and the model that does not fit is recorded as no_capacity', async () => {
    const { mocks, place } = newScheduler({ 'gpu-a': 10 * GB });
    const plans = [];
    for (const i of [1, 2, 3, 4]) plans.push(await place(model(`m/${i}`, 3 * GB)));
    expect(plans.map((p) => p?.runnerId ?? null)).toEqual(['gpu-a', 'gpu-a', 'gpu-a', null]);
    expect(mocks.slots.forModel('m/4')).toEqual([
      expect.objectContaining({
        runner_id: null,
        state: 'failed',
        error: { code: 'no_capacity', message: expect.stringMatching(/No online runner has 3GB of GPU memory free \(the most free is 1GB on gpu-a\)/) },
      }),
    ]);
    // Placing again without room refreshes the one no_capacity row instead of adding rows.
    await place(model('m/4', 3 * GB));
    expect(mocks.slots.forModel('m/4')).toHaveLength(1);
  });

  it('with onlyIfUnplaced, leaves a model that already has a deployment alone', async () => {
    const { sut, mocks, place } = newScheduler({ 'gpu-a': 10 * GB });
    const m = model('m/once', 1 * GB);
    await place(m);
    expect(await sut.transaction((tx) => sut.placeNew(tx, m, { onlyIfUnplaced: true }))).toBeNull();
    expect(mocks.slots.forModel('m/once')).toHaveLength(1);
  });
});

describe('Scheduler.dispatch', () => {
  it('sends one create command to the planned runner when it accepts', async () => {
    const { sut, mocks, place } = newScheduler({ 'gpu-a': 40 * GB, 'gpu-b': 60 * GB });
    const plan = (await place(model('m/ok', 30 * GB)))!;
    await sut.dispatch(plan);
    expect(mocks.commands.create.mock.calls).toEqual([
      ['gpu-b', { slot_id: plan.slotId, model: expect.objectContaining({ id: 'm/ok', memory: 30 * GB }), user_id: null, org_id: null, gpus: [0] }],
    ]);
    expect(mocks.slots.rows.get(plan.slotId)).toMatchObject({ runner_id: 'gpu-b', state: 'scheduled' });
  });

  it("the create command carries the model's owner and org, so the runner resolves model → user → org → global → env", async () => {
    const { sut, mocks, place } = newScheduler({ 'gpu-a': 40 * GB });
    const owner = '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
    const plan = (await place({ ...model('m/owned', 10 * GB), owner_id: owner, org_id: 'acme' }))!;
    await sut.dispatch(plan);
    expect(mocks.commands.create.mock.calls).toEqual([['gpu-a', expect.objectContaining({ user_id: owner, org_id: 'acme' })]]);
  });

  it('places on GPUs of one runner from the slots table, and the command names them', async () => {
    const { sut, mocks, place } = newScheduler({ 'gpu-a': [40 * GB, 40 * GB] });
    const plans = [];
    for (const [id, memory] of [
      ['m/30a', 30],
      ['m/30b', 30],
      ['m/70', 70],
      ['m/10', 10],
      ['m/5', 5],
    ] as const)
      plans.push(await place(model(id, memory * GB)));
    expect(plans.map((p) => p?.gpus ?? null)).toEqual([[0], [1], null, [0], [1]]);
    await sut.dispatch(plans[1]!);
    expect(mocks.commands.create.mock.calls).toEqual([['gpu-a', expect.objectContaining({ gpus: [1] })]]);
    expect(mocks.slots.rows.get(plans[1]!.slotId)).toMatchObject({ gpus: [1] });
    expect(mocks.slots.forModel('m/70')[0]).toMatchObject({
      runner_id: null,
      error: { code: 'no_capacity', message: expect.stringContaining('split evenly over several (the most free is 20GB on gpu-a: GPU 0 10GB, GPU 1 10GB)') },
    });
  });

  it('moves the slot to the next best runner when the first does not take it', async () => {
    const { sut, mocks, place } = newScheduler({ 'gpu-a': 40 * GB, 'gpu-b': 60 * GB }, { 'gpu-b': 'runner gpu-b did not answer within 3000 ms' });
    const plan = (await place(model('m/moved', 30 * GB)))!;
    await sut.dispatch(plan);
    expect(mocks.commands.create.mock.calls.map(([runner]) => runner)).toEqual(['gpu-b', 'gpu-a']);
    expect(mocks.slots.rows.get(plan.slotId)).toMatchObject({ runner_id: 'gpu-a', state: 'scheduled' });
  });

  it('records no_capacity with the last reason when no runner takes it, and does not retry a runner', async () => {
    const refuse = { 'gpu-a': 'runner gpu-a refused: busy', 'gpu-b': 'runner gpu-b is not listening for commands' };
    const { sut, mocks, place } = newScheduler({ 'gpu-a': 40 * GB, 'gpu-b': 60 * GB }, refuse);
    const plan = (await place(model('m/nowhere', 30 * GB)))!;
    await sut.dispatch(plan);
    expect(mocks.commands.create.mock.calls.map(([runner]) => runner)).toEqual(['gpu-b', 'gpu-a']);
    expect(mocks.slots.rows.get(plan.slotId)).toMatchObject({
      runner_id: null,
      state: 'failed',
      error: { code: 'no_capacity', message: expect.stringMatching(/did not answer\. Last attempt: runner gpu-a refused: busy\.$/) },
    });
  });

  it('does not re-place a slot whose runner reported it meanwhile', async () => {
    const { sut, mocks, place } = newScheduler({ 'gpu-a': 40 * GB, 'gpu-b': 60 * GB }, { 'gpu-b': 'runner gpu-b did not answer within 3000 ms' });
    const plan = (await place(model('m/late', 30 * GB)))!;
    mocks.commands.create.mockImplementationOnce(async () => {
      await mocks.slots.applyReport('gpu-b', { ...mocks.slots.rows.get(plan.slotId)!, state: 'starting' });
      return { ok: false, reason: 'runner gpu-b did not answer within 3000 ms' };
    });
    await sut.dispatch(plan);
    expect(mocks.commands.create).toHaveBeenCalledTimes(1);
    expect(mocks.slots.rows.get(plan.slotId)).toMatchObject({ runner_id: 'gpu-b', state: 'starting' });
  });
});
