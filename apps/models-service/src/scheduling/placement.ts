import { fitOnGpus, gpuCountFromArgs, usedPerGpu, type GpuInfo } from '@helix/contracts';

/** A slot that holds (or is about to hold) memory on a runner: the model's memory, spread evenly over `gpus`. */
export interface GpuAllocation {
  gpus: readonly number[];
  memory: number;
}

/** What the scheduler knows of one online runner when it places a slot. */
export interface RunnerCapacity {
  id: string;
  gpus: readonly GpuInfo[];
  /** The runner's slots that hold or will hold GPU memory there (see reservesMemory). */
  allocations: readonly GpuAllocation[];
}

/** What is placed: the model's memory in bytes and its runtime_args (which may fix the GPU count). */
export interface PlacementRequest {
  memory: number;
  runtimeArgs?: readonly string[];
}

export type Placement = { runnerId: string; gpus: number[] } | { noCapacity: string };

/**
 * Where a slot goes. On each runner: one GPU when the model fits on one, otherwise the fewest GPUs
 * (2, 4, 8…) that each have `memory / count` free — tensor parallel needs equal shares — or exactly
 * as many as `--tensor-parallel-size` × `--pipeline-parallel-size` in the args; among the GPUs that
 * fit, the fullest (best fit, so whole GPUs stay free for large models). Between runners: the fewest
 * GPUs, then the most free memory (spreading keeps room for large models on the others), then the
 * lowest id. A GPU is never over-committed; what is in use comes from `allocations`.
 */
export function choosePlacement(request: PlacementRequest, runners: readonly RunnerCapacity[], exclude: ReadonlySet<string> = new Set()): Placement {
  const { memory, runtimeArgs = [] } = request;
  const fixed = gpuCountFromArgs(runtimeArgs);
  const candidates = runners.filter((r) => !exclude.has(r.id)).map((r) => describe(r));
  let best: { runnerId: string; gpus: number[]; free: number } | null = null;
  for (const c of candidates) {
    const gpus = fitOnGpus(c.runner.gpus, c.used, memory, fixed);
    if (!gpus) continue;
    const better =
      !best ||
      gpus.length < best.gpus.length ||
      (gpus.length === best.gpus.length && (c.free > best.free || (c.free === best.free && c.runner.id < best.runnerId)));
    if (better) best = { runnerId: c.runner.id, gpus, free: c.free };
  }
  if (best) return { runnerId: best.runnerId, gpus: best.gpus };
  return { noCapacity: noCapacityMessage(memory, fixed, candidates, runners.length - candidates.length) };
}

interface Described {
  runner: RunnerCapacity;
  used: Map<number, number>;
  /** Free bytes per GPU (negative never: an over-full GPU counts as 0). */
  freeByGpu: Array<{ index: number; free: number }>;
  free: number;
}

function describe(runner: RunnerCapacity): Described {
  const used = usedPerGpu(runner.allocations);
  const freeByGpu = runner.gpus.map((g) => ({ index: g.index, free: Math.max(0, g.memory - (used.get(g.index) ?? 0)) }));
  return { runner, used, freeByGpu, free: freeByGpu.reduce((a, g) => a + g.free, 0) };
}

function noCapacityMessage(memory: number, fixed: number | null, candidates: Described[], excluded: number): string {
  const need = `${formatBytes(memory)} of GPU memory`;
  if (candidates.length === 0 && excluded === 0)
    return `No online runner to place the model on (it needs ${need}); start a runner or check that runners are sending heartbeats.`;
  if (candidates.length === 0) return `No online runner accepted the model (it needs ${need}); the runners tried did not answer.`;
  if (fixed !== null && candidates.every((c) => c.runner.gpus.length < fixed)) {
    return `No online runner has the ${fixed} GPUs the model's runtime_args ask for (tensor × pipeline parallel size); the model will be placed when such a runner joins.`;
  }
  const best = [...candidates].sort((a, b) => b.free - a.free || (a.runner.id < b.runner.id ? -1 : 1))[0];
  const perGpu = best.freeByGpu.length > 1 ? `: ${best.freeByGpu.map((g) => `GPU ${g.index} ${formatBytes(g.free)}`).join(', ')}` : '';
  const how =
    fixed !== null ? ` split evenly over ${fixed} GPUs` : candidates.some((c) => c.runner.gpus.length > 1) ? ' on one GPU or split evenly over several' : '';
  return `No online runner has ${need} free${how} (the most free is ${formatBytes(best.free)} on ${best.runner.id}${perGpu}); the model will be placed when room appears.`;
}

/** Decimal units, as operators write them in model definitions (39GB). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)}${units[unit]}`;
}
