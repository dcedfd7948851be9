import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gpuShare, usedPerGpu } from '@helix/contracts';
import { choosePlacement, formatBytes, type GpuAllocation, type RunnerCapacity } from './placement';

const GB = 1e9;
/** A runner with GPUs of the given sizes (indices 0, 1, …) and slots on them. */
const r = (id: string, sizes: number[], allocations: GpuAllocation[] = []): RunnerCapacity => ({
  id,
  gpus: sizes.map((memory, index) => ({ index, memory })),
  allocations,
});
const m = (memory: number, runtimeArgs: string[] = []) => ({ memory, runtimeArgs });
const on = (gpus: number[], memory: number): GpuAllocation => ({ gpus, memory });

describe('choosePlacement: one GPU per runner (HELIX_RUNNER_MEMORY)', () => {
  it('picks the runner with the most free memory that fits', () => {
    expect(choosePlacement(m(30), [r('a', [40]), r('b', [60])])).toEqual({ runnerId: 'b', gpus: [0] });
    expect(choosePlacement(m(30), [r('a', [40]), r('b', [60], [on([0], 35)])])).toEqual({ runnerId: 'a', gpus: [0] });
  });

  it('breaks ties by runner id', () => {
    expect(choosePlacement(m(10), [r('b', [40]), r('a', [40])])).toEqual({ runnerId: 'a', gpus: [0] });
  });

  it('fits exactly', () => {
    expect(choosePlacement(m(40), [r('a', [80], [on([0], 40)])])).toEqual({ runnerId: 'a', gpus: [0] });
  });

  it('explains no capacity', () => {
    const p = choosePlacement(m(20 * GB), [r('a', [40 * GB], [on([0], 30 * GB)]), r('b', [10 * GB], [on([0], 8 * GB)])]);
    expect(p).toEqual({ noCapacity: expect.stringContaining('No online runner has 20GB of GPU memory free (the most free is 10GB on a)') });
    expect(choosePlacement(m(1), [])).toEqual({ noCapacity: expect.stringContaining('No online runner to place the model on') });
    expect(choosePlacement(m(1), [r('a', [10])], new Set(['a']))).toEqual({ noCapacity: expect.stringContaining('did not answer') });
  });

  it('skips excluded runners', () => {
    expect(choosePlacement(m(10), [r('a', [40]), r('b', [60])], new Set(['b']))).toEqual({ runnerId: 'a', gpus: [0] });
  });
});

describe('choosePlacement: several GPUs', () => {
  it('puts two 30 GB models on different GPUs of 2×40 GB', () => {
    const first = choosePlacement(m(30 * GB), [r('a', [40 * GB, 40 * GB])]);
    expect(first).toEqual({ runnerId: 'a', gpus: [0] });
    expect(choosePlacement(m(30 * GB), [r('a', [40 * GB, 40 * GB], [on([0], 30 * GB)])])).toEqual({ runnerId: 'a', gpus: [1] });
  });

  it('lets two 15 GB models share a GPU (best fit keeps the other one whole)', () => {
    expect(choosePlacement(m(15 * GB), [r('a', [40 * GB, 40 * GB], [on([0], 15 * GB)])])).toEqual({ runnerId: 'a', gpus: [0] });
    // …and the GPU that fits best, not the first one: GPU 1 has 10 GB left, GPU 0 25 GB.
    expect(choosePlacement(m(8 * GB), [r('a', [40 * GB, 40 * GB], [on([0], 15 * GB), on([1], 30 * GB)])])).toEqual({ runnerId: 'a', gpus: [1] });
  });

  it('splits a model larger than any GPU evenly over the fewest GPUs (tensor parallel)', () => {
    expect(choosePlacement(m(70 * GB), [r('a', [40 * GB, 40 * GB])])).toEqual({ runnerId: 'a', gpus: [0, 1] });
    // 35 GB on each is needed: a GPU with 30 GB free does not do.
    expect(choosePlacement(m(70 * GB), [r('a', [40 * GB, 40 * GB], [on([0], 10 * GB)])])).toEqual({
      noCapacity: expect.stringContaining('split evenly over several (the most free is 70GB on a: GPU 0 30GB, GPU 1 40GB)'),
    });
    // 4 GPUs when 2 do not fit (3 is not a tensor parallel size the scheduler picks).
    expect(choosePlacement(m(100 * GB), [r('a', [40 * GB, 40 * GB, 40 * GB, 40 * GB])])).toEqual({ runnerId: 'a', gpus: [0, 1, 2, 3] });
    expect(choosePlacement(m(100 * GB), [r('a', [40 * GB, 40 * GB, 40 * GB])])).toEqual({ noCapacity: expect.any(String) });
  });

  it('uses two GPUs with room left on each when no single GPU has enough', () => {
    expect(choosePlacement(m(30 * GB), [r('a', [40 * GB, 40 * GB], [on([0], 20 * GB), on([1], 20 * GB)])])).toEqual({ runnerId: 'a', gpus: [0, 1] });
  });

  it('prefers a runner where the model fits on one GPU to one where it needs tensor parallel', () => {
    const runners = [r('big', [40 * GB, 40 * GB, 40 * GB, 40 * GB]), r('small', [30 * GB])];
    expect(choosePlacement(m(30 * GB), runners)).toEqual({ runnerId: 'big', gpus: [0] });
    expect(choosePlacement(m(30 * GB), [r('big', [20 * GB, 20 * GB]), r('small', [30 * GB])])).toEqual({ runnerId: 'small', gpus: [0] });
  });

  it('takes the GPU count from --tensor-parallel-size × --pipeline-parallel-size in runtime_args', () => {
    const four = [r('a', [80 * GB, 80 * GB, 80 * GB, 80 * GB])];
    expect(choosePlacement(m(10 * GB, ['--tensor-parallel-size', '2']), four)).toEqual({ runnerId: 'a', gpus: [0, 1] });
    expect(choosePlacement(m(10 * GB, ['-tp=2', '--pipeline-parallel-size=2']), four)).toEqual({ runnerId: 'a', gpus: [0, 1, 2, 3] });
    expect(choosePlacement(m(10 * GB, ['--tensor_parallel_size', '3']), four)).toEqual({ runnerId: 'a', gpus: [0, 1, 2] });
    expect(choosePlacement(m(10 * GB, ['--tensor-parallel-size', '8']), four)).toEqual({
      noCapacity: expect.stringContaining('No online runner has the 8 GPUs'),
    });
  });

  it('counts a slot on k GPUs as memory / k on each', () => {
    // 70 GB over 2 GPUs holds 35 GB of each 40 GB GPU: 5 GB are left on each, so a 5 GB model fits on
    // one, a 10 GB one on both (5 GB each), an 11 GB one nowhere.
    const runner = r('a', [40 * GB, 40 * GB], [on([0, 1], 70 * GB)]);
    expect(choosePlacement(m(5 * GB), [runner])).toEqual({ runnerId: 'a', gpus: [0] });
    expect(choosePlacement(m(10 * GB), [runner])).toEqual({ runnerId: 'a', gpus: [0, 1] });
    expect(choosePlacement(m(11 * GB), [runner])).toEqual({ noCapacity: expect.any(String) });
  });

  it('ignores allocations on GPUs the runner no longer has, and uses the indices it reports', () => {
    const runner: RunnerCapacity = {
      id: 'a',
      gpus: [
        { index: 2, memory: 40 },
        { index: 5, memory: 40 },
      ],
      allocations: [on([7], 40), on([2], 30)],
    };
    expect(choosePlacement(m(40), [runner])).toEqual({ runnerId: 'a', gpus: [5] });
  });
});

// ------------------------------------------------------------------------------------------------
// Properties: whatever the runners, GPUs and slots, a placement never over-commits a GPU.

const gpuSizes = fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 8 });
const runnerArb = (id: string) =>
  gpuSizes.chain((sizes) =>
    fc
      .array(
        fc.record({
          gpus: fc.uniqueArray(fc.integer({ min: 0, max: sizes.length - 1 }), { minLength: 1, maxLength: sizes.length }),
          memory: fc.integer({ min: 1, max: 150 }),
        }),
        { maxLength: 6 },
      )
      .map((allocations) => r(id, sizes, allocations)),
  );
const runnersArb = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 0, maxLength: 4 }).chain((ids) => fc.tuple(...[...new Set(ids)].map(runnerArb)));
const argsArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string[]>([]) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }).map((n) => ['--tensor-parallel-size', String(n)]) },
);

/** Bytes left on each GPU of `runner` (negative: over-committed already before this placement). */
const freeOf = (runner: RunnerCapacity) => {
  const used = usedPerGpu(runner.allocations);
  return new Map(runner.gpus.map((g) => [g.index, g.memory - (used.get(g.index) ?? 0)]));
};

describe('choosePlacement properties', () => {
  it('never over-commits a GPU: the model share fits in what was free on each chosen GPU', () => {
    fc.assert(
      fc.property(runnersArb, fc.integer({ min: 1, max: 400 }), argsArb, (runners, memory, runtimeArgs) => {
        const p = choosePlacement(m(memory, runtimeArgs), runners);
        if (!('runnerId' in p)) return;
        const runner = runners.find((x) => x.id === p.runnerId)!;
        const free = freeOf(runner);
        expect(new Set(p.gpus).size).toBe(p.gpus.length);
        for (const index of p.gpus) expect(free.get(index)).toBeGreaterThanOrEqual(gpuShare(memory, p.gpus.length));
      }),
      { numRuns: 2000 },
    );
  });

  it('places on one GPU whenever one GPU of some runner has room, and otherwise on a power of two (or the args) GPUs', () => {
    fc.assert(
      fc.property(runnersArb, fc.integer({ min: 1, max: 400 }), argsArb, (runners, memory, runtimeArgs) => {
        const p = choosePlacement(m(memory, runtimeArgs), runners);
        const fixed = runtimeArgs.length ? Number(runtimeArgs[1]) : null;
        const someGpuFits = runners.some((x) => [...freeOf(x).values()].some((f) => f >= memory));
        if (fixed !== null) {
          if ('runnerId' in p) expect(p.gpus).toHaveLength(fixed);
          return;
        }
        if (someGpuFits) expect(p).toMatchObject({ gpus: [expect.any(Number)] });
        if ('runnerId' in p) expect([1, 2, 4, 8]).toContain(p.gpus.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds room when there is some: if k GPUs of a runner each have memory / k free (k a power of two), the model is placed', () => {
    fc.assert(
      fc.property(runnersArb, fc.integer({ min: 1, max: 400 }), (runners, memory) => {
        const p = choosePlacement(m(memory), runners);
        const fits = runners.some((x) => {
          const free = [...freeOf(x).values()];
          for (let k = 1; k <= free.length; k *= 2) if (free.filter((f) => f >= gpuShare(memory, k)).length >= k) return true;
          return false;
        });
        expect('runnerId' in p).toBe(fits);
      }),
      { numRuns: 2000 },
    );
  });

  it('placing models one after another, as the scheduler does, keeps every GPU within its memory', () => {
    fc.assert(
      fc.property(gpuSizes, fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 20 }), (sizes, models) => {
        const runner = r('a', sizes);
        for (const memory of models) {
          const p = choosePlacement(m(memory), [runner]);
          if ('runnerId' in p) runner.allocations = [...runner.allocations, on(p.gpus, memory)];
        }
        for (const [index, free] of freeOf(runner)) expect(free, `GPU ${index}`).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('formatBytes', () => {
  it.each([
    [39e9, '39GB'],
    [1.5e12, '1.5TB'],
    [999, '999B'],
  ])('%d → %s', (n, s) => expect(formatBytes(n)).toBe(s));
});
