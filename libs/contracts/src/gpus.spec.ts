import { describe, expect, it } from 'vitest';
import { fitOnGpus, gpuCountFromArgs, gpuMemoryUtilization, isGpuIndexList, parseGpuList, usedPerGpu } from './gpus';
import { parseHeartbeat } from './runners';

const GB = 1e9;

describe('parseGpuList', () => {
  it('takes 1..64 GPUs with distinct indices and positive memory', () => {
    expect(parseGpuList([{ index: 0, memory: 80 * GB, extra: 1 }])).toEqual({ ok: true, value: [{ index: 0, memory: 80 * GB }] });
    for (const bad of [
      [],
      'x',
      [{ index: -1, memory: 1 }],
      [{ index: 0, memory: 0 }],
      [
        { index: 0, memory: 1 },
        { index: 0, memory: 1 },
      ],
    ])
      expect(parseGpuList(bad).ok).toBe(false);
    expect(parseGpuList(Array.from({ length: 65 }, (_, index) => ({ index, memory: 1 }))).ok).toBe(false);
  });

  it('a heartbeat without gpus (an older runner) counts as one GPU of memory_total', () => {
    const hb = { runner_id: 'r', memory_total: 80 * GB, memory_allocated: 0, hf_token_provided: false, slots: [] };
    const parsed = parseHeartbeat(hb);
    expect(parsed.ok && parsed.value.heartbeat.gpus).toEqual([{ index: 0, memory: 80 * GB }]);
    const two = parseHeartbeat({
      ...hb,
      gpus: [
        { index: 0, memory: 40 * GB },
        { index: 1, memory: 40 * GB },
      ],
    });
    expect(two.ok && two.value.heartbeat.gpus).toHaveLength(2);
    expect(parseHeartbeat({ ...hb, gpus: [{ index: 0 }] }).ok).toBe(false);
  });
});

describe('isGpuIndexList', () => {
  it('accepts distinct indices only', () => {
    expect(isGpuIndexList([0, 1])).toBe(true);
    for (const bad of [[], [0, 0], [-1], [1.5], ['0'], null]) expect(isGpuIndexList(bad)).toBe(false);
  });
});

describe('gpuCountFromArgs', () => {
  it.each([
    [[], null],
    [['--tensor-parallel-size', '2'], 2],
    [['--tensor_parallel_size=4'], 4],
    [['-tp', '2', '--pipeline-parallel-size', '2'], 4],
    [['-pp=3'], 3],
    [['--tensor-parallel-size', 'auto'], null],
    [['--tensor-parallel-size', '0'], null],
  ])('%j → %j', (args, count) => expect(gpuCountFromArgs(args)).toBe(count));
});

describe('gpuMemoryUtilization', () => {
  it('is the share of each GPU, rounded down to two decimals', () => {
    expect(gpuMemoryUtilization(30 * GB, [40 * GB])).toBe(0.75);
    expect(gpuMemoryUtilization(15 * GB, [40 * GB])).toBe(0.37); // two of them: 0.74, never above 1
    expect(gpuMemoryUtilization(70 * GB, [40 * GB, 40 * GB])).toBe(0.87);
    expect(gpuMemoryUtilization(39 * GB, [80 * 1024 ** 3])).toBe(0.45);
    expect(gpuMemoryUtilization(80 * GB, [80 * GB])).toBe(1);
    expect(gpuMemoryUtilization(1, [80 * GB])).toBe(0.01);
    expect(gpuMemoryUtilization(10 * GB, [])).toBeNull();
  });
});

describe('fitOnGpus', () => {
  const gpus = [
    { index: 0, memory: 40 },
    { index: 1, memory: 40 },
  ];
  it('one GPU (the fullest that fits), else the fewest with equal shares', () => {
    expect(fitOnGpus(gpus, usedPerGpu([{ gpus: [1], memory: 10 }]), 20)).toEqual([1]);
    expect(fitOnGpus(gpus, new Map(), 70)).toEqual([0, 1]);
    expect(fitOnGpus(gpus, new Map(), 81)).toBeNull();
    expect(fitOnGpus(gpus, new Map(), 10, 2)).toEqual([0, 1]);
    expect(fitOnGpus(gpus, new Map(), 10, 3)).toBeNull();
  });
});
