import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PinoLogger } from 'nestjs-pino';
import type { RunnerHeartbeat, SlotView } from '@helix/contracts';
import { fakeCommands, fakeLogger, InMemorySlots } from '../testing/fakes';
import type { RunnerCommands } from './runner-commands';
import type { SlotRepository } from './slot.repository';
import { MISSING_GRACE_MS, ORPHAN_STOP_EVERY_MS, SlotTracker } from './slot-tracker.service';

function newTracker() {
  const mocks = { slots: new InMemorySlots(), commands: fakeCommands(), logger: fakeLogger(), stopped: vi.fn() };
  const sut = new SlotTracker(mocks.slots as unknown as SlotRepository, mocks.commands as unknown as RunnerCommands, mocks.logger as unknown as PinoLogger);
  sut.onSlotStopped(mocks.stopped);
  return { sut, mocks };
}

const report = (slot: SlotView, patch: Partial<SlotView> = {}): SlotView => ({ ...slot, updated: new Date().toISOString(), ...patch });
const heartbeat = (runnerId: string, slots: SlotView[]): RunnerHeartbeat => ({
  runner_id: runnerId,
  memory_total: 80e9,
  memory_allocated: 0,
  settings_version: 0,
  settings_seq: 0,
  settings_applied: 0,
  hf_token_provided: false,
  gpus: [{ index: 0, memory: 80e9 }],
  slots,
  sent_at: new Date().toISOString(),
});

afterEach(() => {
  vi.useRealTimers();
});

describe('SlotTracker.applyStatus', () => {
  it("records the runner's report of its own slot and logs the change", async () => {
    const { sut, mocks } = newTracker();
    const slot = mocks.slots.add({ model_id: 'm/a', runner_id: 'gpu-1' });
    await sut.applyStatus('gpu-1', report(slot, { state: 'running', endpoint: 'http://127.0.0.1:9000' }));
    expect(mocks.slots.rows.get(slot.id)).toMatchObject({ state: 'running', endpoint: 'http://127.0.0.1:9000' });
    expect(mocks.logger.info).toHaveBeenCalledWith(expect.objectContaining({ slot_id: slot.id, state: 'running' }), 'slot state changed');
    expect(mocks.stopped).not.toHaveBeenCalled();
  });

  it('tells the reconciler when a slot stops', async () => {
    const { sut, mocks } = newTracker();
    const slot = mocks.slots.add({ model_id: 'm/a', runner_id: 'gpu-1', state: 'running' });
    await sut.applyStatus('gpu-1', report(slot, { state: 'stopped' }));
    expect(mocks.stopped).toHaveBeenCalledTimes(1);
  });

  it('neither logs nor notifies when the repository keeps the row (stale or unchanged report)', async () => {
    const { sut, mocks } = newTracker();
    const slot = mocks.slots.add({ model_id: 'm/a', runner_id: 'gpu-1', state: 'running' });
    mocks.slots.applyReport.mockResolvedValueOnce(false);
    await sut.applyStatus('gpu-1', report(slot, { state: 'stopped' }));
    expect(mocks.logger.info).not.toHaveBeenCalled();
    expect(mocks.stopped).not.toHaveBeenCalled();
  });

  it.each([
    ['no slot row owns', (s: InMemorySlots) => ({ ...s.add({ model_id: 'm/gone', runner_id: 'gpu-1' }), id: '00000000-0000-4000-8000-000000000000' })],
    ['the slot was moved to another runner', (s: InMemorySlots) => s.add({ model_id: 'm/moved', runner_id: 'gpu-2' })],
    ['the slot row is already stopped', (s: InMemorySlots) => s.add({ model_id: 'm/old', runner_id: 'gpu-1', state: 'stopped' })],
  ])('stops a running process %s, at most once per interval', async (_, orphan) => {
    vi.useFakeTimers({ now: new Date('2026-11-01T00:00:00Z') });
    const { sut, mocks } = newTracker();
    const slot = orphan(mocks.slots);
    const running = report(slot, { state: 'running' });
    await sut.applyStatus('gpu-1', running);
    await sut.applyStatus('gpu-1', running);
    expect(mocks.commands.stop.mock.calls).toEqual([['gpu-1', { slot_id: slot.id }]]);
    vi.advanceTimersByTime(ORPHAN_STOP_EVERY_MS);
    await sut.applyStatus('gpu-1', running);
    expect(mocks.commands.stop).toHaveBeenCalledTimes(2);
    expect(mocks.slots.applyReport).not.toHaveBeenCalled();
  });
});

describe('SlotTracker.applyHeartbeat', () => {
  it('marks a slot its runner stopped reporting as lost once the grace period is over, and only then', async () => {
    const { sut, mocks } = newTracker();
    const slot = mocks.slots.add({ model_id: 'm/a', runner_id: 'gpu-1', state: 'running' });
    const updatedAt = Date.parse(slot.updated);

    await sut.applyHeartbeat(heartbeat('gpu-1', []), updatedAt + MISSING_GRACE_MS);
    expect(mocks.slots.rows.get(slot.id)?.state).toBe('running');
    expect(mocks.stopped).not.toHaveBeenCalled();

    await sut.applyHeartbeat(heartbeat('gpu-1', []), updatedAt + MISSING_GRACE_MS + 1);
    expect(mocks.slots.rows.get(slot.id)).toMatchObject({
      state: 'stopped',
      error: { code: 'crash', message: expect.stringMatching(/Runner gpu-1 no longer reports this slot/) },
    });
    expect(mocks.logger.warn).toHaveBeenCalledWith(expect.objectContaining({ slot_id: slot.id }), 'slot lost');
    expect(mocks.stopped).toHaveBeenCalledTimes(1);
  });

  it('applies every reported slot and keeps the ones still reported', async () => {
    const { sut, mocks } = newTracker();
    const a = mocks.slots.add({ model_id: 'm/a', runner_id: 'gpu-1' });
    const b = mocks.slots.add({ model_id: 'm/b', runner_id: 'gpu-1' });
    await sut.applyHeartbeat(heartbeat('gpu-1', [report(a, { state: 'running' }), report(b, { state: 'starting' })]), Date.now() + 60_000);
    expect([mocks.slots.rows.get(a.id)?.state, mocks.slots.rows.get(b.id)?.state]).toEqual(['running', 'starting']);
    expect(mocks.slots.markStopped).not.toHaveBeenCalled();
  });
});
