// The runner's alerting counters, driven by the supervisor's own policy against fake processes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VllmSupervisor, type StartSpec } from './index';
import { hfAuthFailures, vllmRestarts } from './metrics';
import { FakeLauncher } from './testing/fake-launcher';
import { captureLogger } from './testing/helpers';

const GATED_LINE = 'huggingface_hub.errors.GatedRepoError: 401 Client Error. Cannot access gated repo for url https://huggingface.co/meta-llama/x';
const OOM_LINE = 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB';

function setup() {
  const launcher = new FakeLauncher();
  let nextPort = 42_000;
  const sup = new VllmSupervisor({
    vllmBin: 'vllm',
    portRange: [42_000, 42_999],
    startTimeoutMs: 60_000,
    backoff: { maxRestarts: 2 },
    stopGraceMs: 5_000,
    logger: captureLogger(),
    knownTokens: () => [],
    launch: launcher.launch,
    ports: { allocate: async () => nextPort++, release: () => undefined },
  });
  return { sup, launcher };
}

const spec = (slotId: string, modelId: string): StartSpec => ({ slotId, modelId, runtimeArgs: [], token: null, tokenSource: 'none' });
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

async function value(counter: typeof vllmRestarts | typeof hfAuthFailures, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))?.value ?? 0;
}

beforeEach(() => {
  vi.useFakeTimers();
  vllmRestarts.reset();
  hfAuthFailures.reset();
});
afterEach(() => vi.useRealTimers());

describe('runner metrics', () => {
  it('counts each vLLM restart by model and failure code, not the final failure', async () => {
    const { sup, launcher } = setup();
    sup.start(spec('slot-1', 'org/crashy'));
    await tick();
    launcher.last.exit(1); // crash → restart 1
    await tick(60_000);
    launcher.last.print(OOM_LINE);
    launcher.last.exit(1); // oom → restart 2
    await tick(60_000);
    launcher.last.exit(1); // third failure: gives up, no restart
    await tick(60_000);
    expect(launcher.processes).toHaveLength(3);
    expect(await value(vllmRestarts, { model: 'org/crashy', code: 'crash' })).toBe(1);
    expect(await value(vllmRestarts, { model: 'org/crashy', code: 'oom' })).toBe(1);
    expect(await value(hfAuthFailures, { model: 'org/crashy' })).toBe(0);
  });

  it('counts each start Hugging Face refused, by model, and does not count it as a restart', async () => {
    const { sup, launcher } = setup();
    sup.start(spec('slot-2', 'meta-llama/x'));
    await tick();
    launcher.last.print(GATED_LINE);
    launcher.last.exit(1);
    await tick(60_000);
    expect(await value(hfAuthFailures, { model: 'meta-llama/x' })).toBe(1);
    expect((await vllmRestarts.get()).values.filter((v) => v.value > 0)).toEqual([]);
  });
});
