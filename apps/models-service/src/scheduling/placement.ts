/** What the scheduler knows of one online runner when it places a slot. */
export interface RunnerCapacity {
  id: string;
  memoryTotal: number;
  /** Memory of the slots that hold or will hold GPU memory there (see reservesMemory). */
  memoryReserved: number;
}

export type Placement = { runnerId: string } | { noCapacity: string };

/**
 * The online runner with the most free memory that fits `memory` (ties: lowest id, so the choice
 * is deterministic). Spreading by most-free keeps room for large models on the others.
 */
export function choosePlacement(memory: number, runners: RunnerCapacity[], exclude: ReadonlySet<string> = new Set()): Placement {
  const candidates = runners
    .filter((r) => !exclude.has(r.id))
    .map((r) => ({ id: r.id, free: r.memoryTotal - r.memoryReserved }))
    .sort((a, b) => b.free - a.free || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const best = candidates[0];
  if (best && best.free >= memory) return { runnerId: best.id };
  return { noCapacity: noCapacityMessage(memory, candidates, runners.length - candidates.length) };
}

function noCapacityMessage(memory: number, candidates: Array<{ id: string; free: number }>, excluded: number): string {
  const need = `${formatBytes(memory)} of GPU memory`;
  if (candidates.length === 0 && excluded === 0)
    return `No online runner to place the model on (it needs ${need}); start a runner or check that runners are sending heartbeats.`;
  if (candidates.length === 0) return `No online runner accepted the model (it needs ${need}); the runners tried did not answer.`;
  const best = candidates[0];
  return `No online runner has ${need} free (the most free is ${formatBytes(Math.max(0, best.free))} on ${best.id}); the model will be placed when room appears.`;
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
