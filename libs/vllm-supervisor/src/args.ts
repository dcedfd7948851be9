/** Input of {@link buildVllmArgs}. */
export interface VllmArgsInput {
  modelId: string;
  host: string;
  port: number;
  /** The model's context length; becomes `--max-model-len` unless runtimeArgs already set it. */
  contextLength?: number | null;
  /** The model's `runtime_args`, passed through in order (minus the flags the supervisor owns). */
  runtimeArgs: readonly string[];
  /** GPUs the slot runs on; above 1 becomes `--tensor-parallel-size` unless runtimeArgs set it (or `-tp`). */
  tensorParallelSize?: number;
  /** The slot's share of each GPU; becomes `--gpu-memory-utilization` unless runtimeArgs set it. */
  gpuMemoryUtilization?: number | null;
}

/**
 * Flags the supervisor owns. When runtimeArgs set one of them, the supervisor's value wins and the
 * runtime arg (with its value) is removed, so the flag appears exactly once:
 * - `--host` / `--port`: the supervisor picked a checked, free port and polls /health there; a
 *   second `--port` would make vLLM (argparse: last one wins) listen somewhere the supervisor does not
 *   look.
 * - `--model`: the model is the positional `serve <model>` (vLLM ≥ 0.8 rejects both forms at once).
 * - `--hf-token`: the token travels only through the environment (docs/reference/logs.md and libs/vllm-supervisor/README.md); a token on the
 *   command line would be visible in `ps`. (`--hf-token` without a value is removed as well.)
 */
const OWNED_FLAGS = new Set(['host', 'port', 'model', 'hf-token']);

/**
 * The normalised name of a long option, or null when `arg` is not one: `--max_model_len=8` →
 * `max-model-len` (vLLM's FlexibleArgumentParser treats `_` and `-` in flag names alike).
 */
export function flagName(arg: string): string | null {
  if (!arg.startsWith('--') || arg.length < 3) return null;
  const eq = arg.indexOf('=');
  return (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).replace(/_/g, '-');
}

/** Whether `args` set the long option `name` (either `--name value` or `--name=value`, `_` or `-`). */
export function hasFlag(args: readonly string[], name: string): boolean {
  return args.some((a) => flagName(a) === name);
}

/** `runtimeArgs` without the flags the supervisor owns (and their values). */
export function stripOwnedFlags(runtimeArgs: readonly string[]): { args: string[]; removed: string[] } {
  const args: string[] = [];
  const removed: string[] = [];
  for (let i = 0; i < runtimeArgs.length; i++) {
    const arg = runtimeArgs[i];
    const name = flagName(arg);
    if (name === null || !OWNED_FLAGS.has(name)) {
      args.push(arg);
      continue;
    }
    removed.push(name);
    if (arg.includes('=')) continue; // --port=8000: value is inside
    const next = runtimeArgs[i + 1];
    // No value follows (end, or the next flag): nothing more to drop. `--hf-token` alone is valid
    // vLLM (use the cached login); `--host`/`--port` alone would be a usage error anyway.
    if (next === undefined || next.startsWith('-')) continue;
    i++; // drop the value too
  }
  return { args, removed };
}

/**
 * The vLLM command line: `serve <model> --host <host> --port <port> …runtimeArgs`, plus (at the end,
 * each only when runtimeArgs do not set it) `--max-model-len <contextLength>`,
 * `--tensor-parallel-size <n>` (n > 1) and `--gpu-memory-utilization <u>`. Never returns a flag twice
 * that the supervisor adds (see OWNED_FLAGS for the ones whose runtime value is dropped).
 */
export function buildVllmArgs(input: VllmArgsInput): string[] {
  if (!input.modelId) throw new Error('buildVllmArgs: modelId is required');
  if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
    throw new Error(`buildVllmArgs: invalid port ${input.port}`);
  }
  const { args: rest } = stripOwnedFlags(input.runtimeArgs);
  const out = ['serve', input.modelId, '--host', input.host, '--port', String(input.port), ...rest];
  const ctx = input.contextLength;
  if (typeof ctx === 'number' && Number.isInteger(ctx) && ctx > 0 && !hasFlag(rest, 'max-model-len')) {
    out.push('--max-model-len', String(ctx));
  }
  const tp = input.tensorParallelSize;
  if (
    typeof tp === 'number' &&
    Number.isInteger(tp) &&
    tp > 1 &&
    !hasFlag(rest, 'tensor-parallel-size') &&
    !rest.some((a) => a === '-tp' || a.startsWith('-tp='))
  ) {
    out.push('--tensor-parallel-size', String(tp));
  }
  const util = input.gpuMemoryUtilization;
  if (typeof util === 'number' && util > 0 && util <= 1 && !hasFlag(rest, 'gpu-memory-utilization')) {
    out.push('--gpu-memory-utilization', util.toFixed(2));
  }
  return out;
}
