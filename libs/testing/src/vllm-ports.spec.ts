import { describe, expect, it } from 'vitest';
import { claimVllmPorts, ClaimedPorts, FETCH_BLOCKED_PORTS, VLLM_PORT_BLOCKS } from './vllm-ports';

describe('claimVllmPorts', () => {
  it('never hands the same block to two holders, and gives a released block out again', () => {
    const claims = Array.from({ length: 60 }, () => claimVllmPorts());
    const lows = claims.map((c) => c.range[0]);
    expect(new Set(lows).size).toBe(60);
    for (const c of claims) {
      expect(c.range[1] - c.range[0]).toBe(39);
      expect(c.range[0]).toBeGreaterThanOrEqual(10_000);
      expect(c.range[1]).toBeLessThan(15_000);
    }
    for (const c of claims) c.release();
    const again = Array.from({ length: 60 }, () => claimVllmPorts());
    expect(new Set(again.map((c) => c.range[0])).size).toBe(again.length);
    for (const c of again) c.release();
  });

  it('never hands out the block holding a port fetch refuses (a slot there could not be asked for /sim/info)', () => {
    expect(VLLM_PORT_BLOCKS).not.toContain(2); // 10080-10119 holds 10080
    expect(VLLM_PORT_BLOCKS).toContain(1);
    expect(VLLM_PORT_BLOCKS).toHaveLength(125 - FETCH_BLOCKED_PORTS.length);
  });
});

describe('ClaimedPorts', () => {
  it('hands out runs of consecutive ports that never overlap, from blocks claimed across processes', () => {
    const ports = new ClaimedPorts();
    const runs = Array.from({ length: 12 }, () => ports.take(10)); // more than one block holds
    const each = runs.flatMap(([first, last]) => {
      expect(last - first).toBe(9);
      return Array.from({ length: 10 }, (_, i) => first + i);
    });
    expect(new Set(each).size).toBe(120);
    expect(each.every((p) => p >= 10_000 && p < 15_000)).toBe(true);
    // Another holder cannot be given the blocks these came from.
    const lows = new Set(runs.map(([first]) => first - ((first - 10_000) % 40)));
    const others = Array.from({ length: 20 }, () => claimVllmPorts());
    for (const c of others) expect(lows.has(c.range[0])).toBe(false);
    for (const c of others) c.release();
    expect(ports.one()).toBeGreaterThanOrEqual(10_000);
    expect(() => ports.take(41)).toThrow(RangeError);
  });
});
