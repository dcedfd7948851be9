import { describe, expect, it } from 'vitest';
import { choosePlacement, formatBytes } from './placement';

const r = (id: string, total: number, reserved = 0) => ({ id, memoryTotal: total, memoryReserved: reserved });

describe('choosePlacement', () => {
  it('picks the runner with the most free memory that fits', () => {
    expect(choosePlacement(30, [r('a', 40), r('b', 60)])).toEqual({ runnerId: 'b' });
    expect(choosePlacement(30, [r('a', 40), r('b', 60, 35)])).toEqual({ runnerId: 'a' });
  });

  it('breaks ties by runner id', () => {
    expect(choosePlacement(10, [r('b', 40), r('a', 40)])).toEqual({ runnerId: 'a' });
  });

  it('fits exactly', () => {
    expect(choosePlacement(40, [r('a', 80, 40)])).toEqual({ runnerId: 'a' });
  });

  it('explains no capacity', () => {
    const p = choosePlacement(20e9, [r('a', 40e9, 30e9), r('b', 10e9, 8e9)]);
    expect(p).toEqual({ noCapacity: expect.stringContaining('No online runner has 20GB of GPU memory free (the most free is 10GB on a)') });
    expect(choosePlacement(1, [])).toEqual({ noCapacity: expect.stringContaining('No online runner to place the model on') });
    expect(choosePlacement(1, [r('a', 10)], new Set(['a']))).toEqual({ noCapacity: expect.stringContaining('did not answer') });
  });

  it('skips excluded runners', () => {
    expect(choosePlacement(10, [r('a', 40), r('b', 60)], new Set(['b']))).toEqual({ runnerId: 'a' });
  });
});

describe('formatBytes', () => {
  it.each([
    [39e9, '39GB'],
    [1.5e12, '1.5TB'],
    [999, '999B'],
  ])('%d → %s', (n, s) => expect(formatBytes(n)).toBe(s));
});
