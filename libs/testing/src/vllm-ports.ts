import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimExclusive } from '@helix/local-infra';

/** 125 blocks of 40 ports in 10000-14999: below freePort()'s range (15000+) and the unit specs' fixed ports. */
const FIRST_PORT = 10_000;
const BLOCK = 40;
const BLOCKS = 125;
const CLAIMS = join(tmpdir(), 'helix-test-vllm-ports');
/**
 * Ports `fetch` refuses to connect to ("bad port", the Fetch standard's list): a slot started on one
 * cannot be asked for its /sim/info by a test. 10080 is the only one in the range.
 */
export const FETCH_BLOCKED_PORTS: readonly number[] = [10_080];

/** The blocks handed out, by number (ports FIRST_PORT + block × BLOCK, BLOCK of them): none holds a port fetch refuses. */
export const VLLM_PORT_BLOCKS: readonly number[] = Array.from({ length: BLOCKS }, (_, b) => b).filter((b) => {
  const low = FIRST_PORT + b * BLOCK;
  return !FETCH_BLOCKED_PORTS.some((p) => p >= low && p < low + BLOCK);
});

/** A block of ports for one test runner's vLLM processes, held until release(). */
export interface VllmPortClaim {
  range: [number, number];
  release(): void;
}

/**
 * Claims a block no other test process holds (see claimExclusive: a file per block naming the
 * owner's pid; a dead owner's claim is taken over). Suites run side by side: two runners drawing the
 * same block would start vLLM on the same ports, and a slot's endpoint could reach the other
 * suite's simulator.
 */
export function claimVllmPorts(): VllmPortClaim {
  const blocks = VLLM_PORT_BLOCKS.length;
  const start = Math.floor(Math.random() * blocks);
  for (let i = 0; i < blocks; i++) {
    const block = VLLM_PORT_BLOCKS[(start + i) % blocks];
    const release = claimExclusive(CLAIMS, String(block));
    if (!release) continue;
    const low = FIRST_PORT + block * BLOCK;
    return { range: [low, low + BLOCK - 1], release };
  }
  throw new Error(`no free vLLM port block for a test runner (${blocks} blocks in ${CLAIMS} are held by live processes)`);
}
