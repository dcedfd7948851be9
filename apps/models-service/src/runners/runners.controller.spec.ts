import { describe, expect, it, vi } from 'vitest';
import { register } from 'prom-client';
import { NatsContext } from '@nestjs/microservices';
import { runnerHeartbeatSubject } from '@helix/contracts';
import type { PinoLogger } from 'nestjs-pino';
import type { Reconciler } from '../scheduling/reconciler.service';
import type { SlotTracker } from '../slots/slot-tracker.service';
import { fakeLogger } from '../testing/fakes';
import { RunnersController } from './runners.controller';
import type { RunnersService } from './runners.service';

const SECRET = 'hf_heartbeatPayloadMustNotBeLogged0123456789';

function newController() {
  const mocks = {
    runners: { recordHeartbeat: vi.fn(async (_hb: { runner_id: string; settings_seq: number }) => ({ joined: false })) },
    tracker: { applyHeartbeat: vi.fn(async () => undefined) },
    reconciler: { runnerJoined: vi.fn(async () => undefined) },
    logger: fakeLogger(),
  };
  const sut = new RunnersController(
    mocks.runners as unknown as RunnersService,
    mocks.tracker as unknown as SlotTracker,
    mocks.reconciler as unknown as Reconciler,
    mocks.logger as unknown as PinoLogger,
  );
  return { sut, mocks };
}

const ignoredFor = async (message: string, reason: string) =>
  (await register.getSingleMetric('helix_models_messages_ignored_total')!.get()).values.find((v) => v.labels.message === message && v.labels.reason === reason)
    ?.value ?? 0;
const ignored = (message: string) => ignoredFor(message, 'invalid');

const heartbeat = {
  runner_id: 'gpu-1',
  memory_total: 80e9,
  memory_allocated: 0,
  settings_version: 1,
  settings_seq: 7,
  settings_applied: 3,
  hf_token_provided: true,
  slots: [],
  sent_at: '2026-11-01T00:00:00Z',
};

describe('RunnersController.heartbeat', () => {
  it('skips a heartbeat that does not parse: counted, logged once with the bad fields, never the payload', async () => {
    const { sut, mocks } = newController();
    const before = await ignored('heartbeat');
    await sut.heartbeat({ ...heartbeat, runner_id: `${SECRET}!`, hf_token_provided: SECRET }, from('gpu-1'));
    expect(await ignored('heartbeat')).toBe(before + 1);
    expect(mocks.logger.warn).toHaveBeenCalledTimes(1);
    expect(mocks.logger.warn.mock.calls[0][0]).toMatchObject({ message: 'heartbeat', reason: 'invalid', fields: ['runner_id', 'hf_token_provided'] });
    expect(JSON.stringify(mocks.logger.warn.mock.calls)).not.toContain(SECRET);
    expect(mocks.runners.recordHeartbeat).not.toHaveBeenCalled();
    expect(mocks.tracker.applyHeartbeat).not.toHaveBeenCalled();
  });

  it('records a valid heartbeat, leaving out (and counting) a slot entry that does not parse', async () => {
    const { sut, mocks } = newController();
    const before = await ignored('heartbeat_slot');
    await sut.heartbeat({ ...heartbeat, slots: [{ id: SECRET }] }, from('gpu-1'));
    expect(mocks.runners.recordHeartbeat).toHaveBeenCalledWith(expect.objectContaining({ runner_id: 'gpu-1', slots: [] }));
    expect(mocks.tracker.applyHeartbeat).toHaveBeenCalledWith(expect.objectContaining({ slots: [] }));
    expect(await ignored('heartbeat_slot')).toBe(before + 1);
    expect(JSON.stringify(mocks.logger.warn.mock.calls)).not.toContain(SECRET);
  });

  it('records the settings progress of the heartbeat, and derives it from the per-scope map of an older runner', async () => {
    const { sut, mocks } = newController();
    await sut.heartbeat(heartbeat, from('gpu-1'));
    expect(mocks.runners.recordHeartbeat).toHaveBeenLastCalledWith(expect.objectContaining({ settings_version: 1, settings_seq: 7, settings_applied: 3 }));
    const { settings_version: _v, settings_seq: _s, settings_applied: _a, ...legacy } = heartbeat;
    await sut.heartbeat({ ...legacy, settings_versions: { global: 4, 'model:m/a': 2 } }, from('gpu-1'));
    const recorded = (mocks.runners.recordHeartbeat.mock.calls.at(-1) as unknown[])[0];
    expect(recorded).toMatchObject({ settings_version: 4, settings_seq: 0, settings_applied: 2 });
    expect(recorded).not.toHaveProperty('settings_versions');
  });

  it("records a runner's heartbeats one at a time, only the newest of those that arrived meanwhile", async () => {
    const { sut, mocks } = newController();
    let release!: () => void;
    mocks.runners.recordHeartbeat.mockImplementationOnce(() => new Promise((r) => (release = () => r({ joined: false }))));
    const first = sut.heartbeat({ ...heartbeat, settings_seq: 1 }, from('gpu-1'));
    const rest = [2, 3, 4].map((seq) => sut.heartbeat({ ...heartbeat, settings_seq: seq }, from('gpu-1')));
    await sut.heartbeat({ ...heartbeat, runner_id: 'gpu-2' }, from('gpu-2')); // another runner is not held up
    expect(mocks.runners.recordHeartbeat.mock.calls.map(([hb]) => [hb.runner_id, hb.settings_seq])).toEqual([
      ['gpu-1', 1],
      ['gpu-2', 7],
    ]);
    release();
    await Promise.all([first, ...rest]);
    expect(mocks.runners.recordHeartbeat.mock.calls.map(([hb]) => [hb.runner_id, hb.settings_seq])).toEqual([
      ['gpu-1', 1],
      ['gpu-2', 7],
      ['gpu-1', 4],
    ]);
    expect(mocks.tracker.applyHeartbeat).toHaveBeenCalledTimes(3);
  });

  it('ignores a heartbeat whose subject names another runner (a forged one): counted and logged, nothing recorded', async () => {
    const { sut, mocks } = newController();
    const before = await ignoredFor('heartbeat', 'wrong_subject');
    await sut.heartbeat(heartbeat, from('gpu-2'));
    await sut.heartbeat(heartbeat, new NatsContext(['runners.heartbeat', undefined]));
    expect(await ignoredFor('heartbeat', 'wrong_subject')).toBe(before + 2);
    expect(mocks.logger.warn.mock.calls[0][0]).toMatchObject({ reason: 'wrong_subject', runner_id: 'gpu-1', subject: 'runners.heartbeat.gpu-2' });
    expect(mocks.runners.recordHeartbeat).not.toHaveBeenCalled();
    expect(mocks.tracker.applyHeartbeat).not.toHaveBeenCalled();
  });
});

/** The NatsContext of a heartbeat published by `runnerId` (on its own subject). */
function from(runnerId: string): NatsContext {
  return new NatsContext([runnerHeartbeatSubject(runnerId), undefined]);
}
