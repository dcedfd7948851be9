// The supervisor's policy (restarts, backoff, start deadline, hf_auth parking, stops) against fake
// processes and fake timers. supervisor-processes.spec.ts runs it against real ones.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { fingerprint, Secret } from '@helix/secrets';
import { backoffDelayMs, VllmSupervisor, type SlotStatus, type StartSpec, type VllmSupervisorOptions } from './index';
import { FakeLauncher } from './testing/fake-launcher';
import { captureLogger, recordStatuses } from './testing/helpers';

const GATED_LINE = 'huggingface_hub.errors.GatedRepoError: 401 Client Error. Cannot access gated repo for url https://huggingface.co/meta-llama/x';
const HOUR = 3_600_000;

function setup(options: Partial<VllmSupervisorOptions> = {}) {
  const logger = captureLogger();
  const launcher = new FakeLauncher();
  let nextPort = 41_000;
  const released: number[] = [];
  const sup = new VllmSupervisor({
    vllmBin: 'vllm',
    portRange: [41_000, 41_999],
    startTimeoutMs: 60_000,
    backoff: { maxRestarts: 3 },
    stopGraceMs: 5_000,
    logger,
    knownTokens: () => [],
    launch: launcher.launch,
    ports: { allocate: async () => nextPort++, release: (port) => void released.push(port) },
    ...options,
  });
  const statuses = recordStatuses(sup);
  const last = (slotId = 'slot-1') => statuses.filter((s) => s.slotId === slotId).at(-1);
  const delays = () => logger.entries.filter((e) => e.msg === 'restarting vllm').map((e) => e.obj.delay_ms);
  return { sup, logger, launcher, statuses, last, delays, released };
}

const spec = (over: Partial<StartSpec> = {}): StartSpec => ({
  slotId: 'slot-1',
  modelId: 'org/model',
  runtimeArgs: [],
  token: null,
  tokenSource: 'none',
  ...over,
});
/** Lets timers due within `ms` fire, and the promises they settle run. */
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
const without = ({ at: _at, ...s }: SlotStatus & { at: number }) => s;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('VllmSupervisor policy: restarts', () => {
  it('backoffDelayMs doubles from initialMs and is capped at maxMs', () => {
    expect([1, 2, 3, 4, 5, 9, 10].map((n) => backoffDelayMs(n, 1_000, 300_000))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 256_000, 300_000]);
    expect(backoffDelayMs(10_000, 1_000, 300_000)).toBe(300_000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 1_000_000 }), (n, initial, max) => {
        const d = backoffDelayMs(n, initial, max);
        expect(d).toBeLessThanOrEqual(max);
        expect(backoffDelayMs(n + 1, initial, max)).toBeGreaterThanOrEqual(d);
        if (initial * 2 ** (n - 1) <= max) expect(d).toBe(initial * 2 ** (n - 1));
      }),
    );
  });

  it('restarts a crash after 1 s, 2 s, 4 s, then leaves the slot failed after maxRestarts', async () => {
    const { sup, launcher, last } = setup();
    sup.start(spec());
    await tick();
    launcher.last.becomeReady();
    await tick();
    expect(last()?.state).toBe('running');
    launcher.last.print('RuntimeError: engine died');
    launcher.last.exit(1);
    await tick();
    expect(without(last()!)).toEqual({
      slotId: 'slot-1',
      modelId: 'org/model',
      state: 'starting',
      restarts: 1,
      endpoint: null,
      error: { code: 'crash', message: 'vLLM exited unexpectedly (exit code 1); last output: RuntimeError: engine died' },
      hfTokenSource: 'none',
      hfTokenFingerprint: null,
    });

    for (const [restart, delay] of [
      [1, 1_000],
      [2, 2_000],
      [3, 4_000],
    ]) {
      if (restart > 1) {
        launcher.last.exit(1);
        await tick();
      }
      await tick(delay - 1);
      expect(launcher.processes).toHaveLength(restart);
      await tick(1);
      expect(launcher.processes).toHaveLength(restart + 1);
    }
    launcher.last.exit(1);
    await tick(HOUR);
    expect(launcher.processes).toHaveLength(4);
    expect(last()).toMatchObject({
      state: 'failed',
      restarts: 3,
      endpoint: null,
      error: { code: 'crash', message: expect.stringMatching(/exit code 1\) \(gave up after 3 restarts\)$/) },
    });
  });

  it('caps the delay at 5 minutes by default', async () => {
    const { sup, launcher, delays } = setup({ backoff: { maxRestarts: 12 } });
    const expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300].map((s) => s * 1_000);
    sup.start(spec());
    await tick();
    for (const delay of expected) {
      launcher.last.exit(1);
      await tick(delay - 1);
      const launched = launcher.processes.length;
      await tick(1);
      expect(launcher.processes).toHaveLength(launched + 1);
    }
    expect(delays()).toEqual(expected);
  });

  it('resets the consecutive count after a run that was running for stableAfterMs', async () => {
    const { sup, launcher, last } = setup({ backoff: { maxRestarts: 1 }, stableAfterMs: 60_000 });
    sup.start(spec());
    for (let run = 0; run < 3; run++) {
      await tick(1_000);
      launcher.last.becomeReady();
      await tick(60_000); // stable
      launcher.last.exit(1);
    }
    await tick(1_000);
    expect(launcher.processes).toHaveLength(4);
    expect(last()).toMatchObject({ state: 'starting', restarts: 3 });

    launcher.last.becomeReady();
    await tick(59_000); // not stable: the one restart allowed was used by the previous crash
    launcher.last.exit(1);
    await tick(HOUR);
    expect(launcher.processes).toHaveLength(4);
    expect(last()).toMatchObject({ state: 'failed', restarts: 3 });
  });

  it('terminates a process that is not ready within startTimeoutMs (start_timeout) and restarts it', async () => {
    const { sup, launcher, last } = setup();
    sup.start(spec());
    await tick(59_999);
    expect(launcher.last.terminations).toEqual([]);
    await tick(1);
    expect(launcher.last.terminations).toEqual([5_000]);
    expect(last()).toMatchObject({
      state: 'starting',
      restarts: 1,
      error: { code: 'start_timeout', message: 'vLLM did not become ready (GET /health) within 60000 ms for org/model' },
    });
    launcher.processes[0].becomeReady(); // too late: that process is gone
    await tick(1_000);
    expect(launcher.processes).toHaveLength(2);
    expect(last()?.state).toBe('starting');
  });

  it('recognises out-of-memory from the output and restarts it like a crash; hf_auth outranks it', async () => {
    const { sup, launcher, last } = setup();
    sup.start(spec());
    await tick();
    launcher.last.print('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB');
    launcher.last.exit(1);
    await tick();
    expect(last()).toMatchObject({ state: 'starting', restarts: 1, error: { code: 'oom', message: expect.stringContaining('CUDA out of memory') } });

    await tick(1_000);
    launcher.last.print('torch.OutOfMemoryError: CUDA out of memory');
    launcher.last.print(GATED_LINE);
    launcher.last.exit(1);
    await tick();
    expect(last()).toMatchObject({ state: 'failed', restarts: 1, error: { code: 'hf_auth' } });
  });

  it('fails at once, without retrying, when the command line cannot be used at all', async () => {
    const { sup, launcher, last, released } = setup();
    launcher.failNext = new Error('The argument contains a null byte');
    sup.start(spec());
    await tick(HOUR);
    expect(launcher.processes).toHaveLength(0);
    expect(last()).toMatchObject({ state: 'failed', error: { code: 'crash', message: 'could not start vllm: The argument contains a null byte' } });
    expect(released).toEqual([41_000]);
  });
});

describe('VllmSupervisor policy: Hugging Face auth', () => {
  it('parks an hf_auth failure (no restart, however long) and retryParked starts it with the new token', async () => {
    const { sup, launcher, last } = setup();
    sup.start(spec({ modelId: 'meta-llama/x' }));
    await tick();
    launcher.last.print(GATED_LINE);
    launcher.last.exit(1);
    await tick(HOUR);
    expect(launcher.processes).toHaveLength(1);
    expect(last()).toMatchObject({
      state: 'failed',
      restarts: 0,
      endpoint: null,
      error: { code: 'hf_auth', message: expect.stringContaining('no Hugging Face token was provided') },
    });

    const token = Secret.of('hf_grantedToken_1');
    expect(sup.retryParked('slot-1', token, 'global')).toBe(true);
    await tick();
    expect(launcher.processes).toHaveLength(2);
    expect(launcher.last.spec.env.HF_TOKEN).toBe('hf_grantedToken_1');
    expect(launcher.last.spec.args.join(' ')).not.toContain('hf_grantedToken_1');
    expect(last()).toMatchObject({
      state: 'starting',
      restarts: 0,
      error: null,
      hfTokenSource: 'global',
      hfTokenFingerprint: fingerprint('hf_grantedToken_1'),
    });

    // Refused again: parked again, naming the refused token by source and fingerprint only.
    launcher.last.print(GATED_LINE);
    launcher.last.exit(1);
    await tick(HOUR);
    expect(launcher.processes).toHaveLength(2);
    expect(last()?.error?.message).toContain(`the Hugging Face token in use (source global, ${fingerprint('hf_grantedToken_1')}) was refused`);
    expect(JSON.stringify(last())).not.toContain('hf_grantedToken_1');
  });

  it('uses a token that arrived while the slot was starting instead of parking it', async () => {
    const { sup, launcher, statuses } = setup();
    sup.start(spec({ modelId: 'meta-llama/x' }));
    await tick();
    expect(sup.retryParked('slot-1', Secret.of('hf_lateToken_2'), 'org')).toBe(false); // nothing to restart yet
    launcher.last.print(GATED_LINE);
    launcher.last.exit(1);
    await tick(); // no backoff delay
    expect(launcher.processes).toHaveLength(2);
    expect(launcher.last.spec.env.HF_TOKEN).toBe('hf_lateToken_2');
    expect(statuses.some((s) => s.state === 'failed')).toBe(false);
  });

  it('gives a token that arrived during a backoff to the restart', async () => {
    const { sup, launcher, last } = setup();
    sup.start(spec());
    await tick();
    launcher.last.exit(1);
    await tick();
    expect(sup.retryParked('slot-1', Secret.of('hf_backoffToken_3'), 'user')).toBe(false);
    await tick(1_000);
    expect(launcher.last.spec.env.HF_TOKEN).toBe('hf_backoffToken_3');
    expect(last()).toMatchObject({ restarts: 1, hfTokenSource: 'user' });
  });

  it('retryParked leaves running, failed and unknown slots alone', async () => {
    const { sup, launcher } = setup({ backoff: { maxRestarts: 0 } });
    sup.start(spec({ slotId: 'running' }));
    sup.start(spec({ slotId: 'crashed' }));
    await tick();
    launcher.processes[0].becomeReady();
    launcher.processes[1].exit(1);
    await tick();
    for (const id of ['running', 'crashed', 'unknown']) expect(sup.retryParked(id, Secret.of('hf_x_token'), 'global')).toBe(false);
    await tick(HOUR);
    expect(launcher.processes).toHaveLength(2);
    expect(launcher.processes[0].alive).toBe(true);
  });
});

describe('VllmSupervisor policy: start and stop', () => {
  it('refuses a second start of an active slot and replaces a failed one', async () => {
    const { sup, launcher } = setup({ backoff: { maxRestarts: 0 } });
    sup.start(spec());
    expect(() => sup.start(spec())).toThrow(/already supervised/);
    await tick();
    launcher.last.exit(1);
    await tick();
    expect(sup.list()[0].state).toBe('failed');
    sup.start(spec());
    await tick();
    expect(launcher.processes).toHaveLength(2);
  });

  it('stop during a backoff cancels the restart and forgets the slot', async () => {
    const { sup, launcher, last } = setup();
    sup.start(spec());
    await tick();
    launcher.last.exit(1);
    await tick();
    expect(last()?.state).toBe('starting');
    await sup.stop('slot-1');
    await tick(HOUR);
    expect(launcher.processes).toHaveLength(1);
    expect(last()).toMatchObject({ state: 'stopped', endpoint: null, error: null });
    expect(sup.list()).toEqual([]);
  });

  it('stop terminates the process with stopGraceMs, reports stopped once it is gone, and frees its port', async () => {
    const { sup, launcher, last, released } = setup();
    sup.start(spec());
    await tick();
    launcher.last.becomeReady();
    await tick();
    const stopping = sup.stop('slot-1');
    expect(sup.stop('slot-1')).toBe(stopping);
    await stopping;
    expect(launcher.last.terminations).toEqual([5_000]);
    expect(last()?.state).toBe('stopped');
    expect(released).toEqual([41_000]);
    await tick(HOUR);
    expect(launcher.processes).toHaveLength(1);
  });

  it('killAllSync kills every process at once and nothing restarts', async () => {
    const { sup, launcher } = setup();
    sup.start(spec({ slotId: 'a' }));
    sup.start(spec({ slotId: 'b' }));
    await tick();
    launcher.processes[0].becomeReady();
    await tick();
    sup.killAllSync();
    expect(launcher.processes.map((p) => p.killedNow)).toEqual([true, true]);
    await tick(HOUR);
    expect(launcher.processes).toHaveLength(2);
  });
});

describe('VllmSupervisor: GPUs of a slot', () => {
  it('starts every run of the slot with its GPUs in CUDA_VISIBLE_DEVICES, tensor parallel over them and its memory share', async () => {
    const { sup, launcher } = setup({ baseEnv: { PATH: '/usr/bin', CUDA_VISIBLE_DEVICES: '0,1,2,3' } });
    sup.start(spec({ gpus: [1, 3], gpuMemoryUtilization: 0.87, runtimeArgs: ['--x'] }));
    await tick();
    const first = launcher.last.spec;
    expect(first.env).toMatchObject({ CUDA_VISIBLE_DEVICES: '1,3', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' });
    expect(first.args.slice(-5)).toEqual(['--x', '--tensor-parallel-size', '2', '--gpu-memory-utilization', '0.87']);
    launcher.last.exit(1); // crash: the restart keeps the GPUs
    await tick(1_000);
    expect(launcher.processes).toHaveLength(2);
    expect(launcher.last.spec.env.CUDA_VISIBLE_DEVICES).toBe('1,3');
    expect(launcher.last.spec.args).toEqual(first.args.map((a) => (a === String(first.port) ? String(launcher.last.spec.port) : a)));
  });

  it("leaves the runner's CUDA_* alone for a slot without GPUs", async () => {
    const { sup, launcher } = setup({ baseEnv: { PATH: '/usr/bin', CUDA_VISIBLE_DEVICES: '0' } });
    sup.start(spec());
    await tick();
    expect(launcher.last.spec.env.CUDA_VISIBLE_DEVICES).toBe('0');
    expect(launcher.last.spec.args.join(' ')).not.toMatch(/tensor-parallel|gpu-memory/);
  });
});
