import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimExclusive } from '@helix/local-infra';

/** 125 blocks of 40 ports in 10000-14999, below freePort()'s range (15000+): only claimants bind there. */
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

/**
 * Runs of consecutive ports for specs that start real processes on ports they choose: drawn from
 * claimed vLLM blocks (a new block when the current one cannot hold the run), so no other test
 * process binds them meanwhile. Fixed ports elsewhere below the ephemeral range are not safe:
 * freePort() hands out random ones there to every suite's NATS, Postgres and apps.
 */
export class ClaimedPorts {
  private range: [number, number] | null = null;
  private next = 0;

  /** `count` consecutive ports, as [first, last]; held until this process ends. */
  take(count = 1): [number, number] {
    if (!Number.isInteger(count) || count < 1 || count > BLOCK) throw new RangeError(`a run of 1 to ${BLOCK} ports, not ${count}`);
    if (!this.range || this.next + count - 1 > this.range[1]) {
      this.range = claimVllmPorts().range;
      this.next = this.range[0];
    }
    const first = this.next;
    this.next += count;
    return [first, first + count - 1];
  }

  /** One port. */
  one(): number {
    return this.take(1)[0];
  }
}
