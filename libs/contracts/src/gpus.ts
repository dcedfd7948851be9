import type { FieldError } from './errors';
import { isRecord } from './parse-result';

/** One GPU of a runner, as its heartbeat reports it: the CUDA index and its memory in bytes. */
export interface GpuInfo {
  index: number;
  memory: number;
}

/** At most this many GPUs per runner (a heartbeat stays small; the largest nodes have 16). */
export const MAX_GPUS = 64;
/** GPU indices are 0..MAX_GPU_INDEX (what CUDA_VISIBLE_DEVICES takes). */
export const MAX_GPU_INDEX = 1023;

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_GPU_INDEX;

/** The GPU list of a heartbeat: 1..MAX_GPUS entries, distinct indices, positive memory. */
export function parseGpuList(input: unknown, field = 'gpus'): { ok: true; value: GpuInfo[] } | { ok: false; errors: FieldError[] } {
  const bad = (message: string) => ({ ok: false as const, errors: [{ field, message: `${field} ${message}` }] });
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_GPUS) return bad(`must be an array of 1 to ${MAX_GPUS} GPUs`);
  const seen = new Set<number>();
  for (const g of input) {
    if (!isRecord(g) || !isIndex(g.index) || !Number.isSafeInteger(g.memory) || (g.memory as number) <= 0)
      return bad(`entries must be {index: 0-${MAX_GPU_INDEX}, memory: bytes > 0}`);
    if (seen.has(g.index)) return bad('must not repeat an index');
    seen.add(g.index);
  }
  return { ok: true, value: input.map((g: GpuInfo) => ({ index: g.index, memory: g.memory })) };
}

/** The GPU indices of a slot (command or report): 1..MAX_GPUS distinct indices. */
export function isGpuIndexList(input: unknown): input is number[] {
  return Array.isArray(input) && input.length > 0 && input.length <= MAX_GPUS && input.every(isIndex) && new Set(input).size === input.length;
}

/** What a model of `memory` bytes needs on each of `count` GPUs (tensor parallel: equal shares). */
export function gpuShare(memory: number, count: number): number {
  return Math.ceil(memory / count);
}

/** The value of a vLLM option in `args` (`--name v`, `--name=v`, `_` or `-`; also a short alias); last one wins. */
function optionValue(args: readonly string[], long: string, short?: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = (eq === -1 ? a : a.slice(0, eq)).replace(/_/g, '-');
    if (name !== `--${long}` && (short === undefined || name !== `-${short}`)) continue;
    value = eq !== -1 ? a.slice(eq + 1) : args[i + 1];
  }
  return value;
}

/**
 * How many GPUs a model's runtime_args fix: `--tensor-parallel-size` (`-tp`) times
 * `--pipeline-parallel-size` (`-pp`), when either is set to a positive whole number; null when the
 * args leave it to the scheduler.
 */
export function gpuCountFromArgs(args: readonly string[]): number | null {
  const read = (long: string, short: string): number | null => {
    const raw = optionValue(args, long, short);
    if (raw === undefined || !/^\d{1,4}$/.test(raw.trim())) return null;
    const n = Number(raw);
    return n > 0 ? n : null;
  };
  const tp = read('tensor-parallel-size', 'tp');
  const pp = read('pipeline-parallel-size', 'pp');
  if (tp === null && pp === null) return null;
  return (tp ?? 1) * (pp ?? 1);
}

/** Bytes in use on each GPU index, from allocations of `memory` bytes spread evenly over `gpus`. */
export function usedPerGpu(allocations: Iterable<{ gpus: readonly number[]; memory: number }>): Map<number, number> {
  const used = new Map<number, number>();
  for (const a of allocations) {
    if (a.gpus.length === 0) continue;
    const share = gpuShare(a.memory, a.gpus.length);
    for (const i of a.gpus) used.set(i, (used.get(i) ?? 0) + share);
  }
  return used;
}

/**
 * Where a model of `memory` bytes goes on one runner's GPUs, given what is in use on each: the
 * fewest GPUs that fit it (1, else 2, 4, 8… — tensor parallel sizes that divide the attention heads
 * of common models), each with `memory / count` free; or exactly `fixedCount` GPUs when the model's
 * args fix it. Among the GPUs that fit, the ones with the least free memory are taken (best fit:
 * whole GPUs stay free for large models). Returns the indices in ascending order, or null.
 */
export function fitOnGpus(gpus: readonly GpuInfo[], used: ReadonlyMap<number, number>, memory: number, fixedCount: number | null = null): number[] | null {
  const counts: number[] = [];
  if (fixedCount !== null) counts.push(fixedCount);
  else for (let k = 1; k <= gpus.length; k *= 2) counts.push(k);
  for (const k of counts) {
    if (k < 1 || k > gpus.length) continue;
    const share = gpuShare(memory, k);
    const fitting = gpus
      .map((g) => ({ index: g.index, free: g.memory - (used.get(g.index) ?? 0) }))
      .filter((g) => g.free >= share)
      .sort((a, b) => a.free - b.free || a.index - b.index);
    if (fitting.length >= k)
      return fitting
        .slice(0, k)
        .map((g) => g.index)
        .sort((a, b) => a - b);
  }
  return null;
}

/**
 * vLLM's `--gpu-memory-utilization` for a slot: its share of each GPU (model memory / GPU count) over
 * the smallest of its GPUs, rounded down to two decimals so the shares of models on one GPU never add
 * up to more than the GPU (at least 0.01, at most 1).
 */
export function gpuMemoryUtilization(memory: number, gpuMemories: readonly number[]): number | null {
  if (gpuMemories.length === 0) return null;
  const smallest = Math.min(...gpuMemories);
  if (!(smallest > 0)) return null;
  const ratio = gpuShare(memory, gpuMemories.length) / smallest;
  return Math.min(1, Math.max(0.01, Math.floor(ratio * 100 + 1e-9) / 100));
}
