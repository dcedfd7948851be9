import { Secret } from '@helix/secrets';

/** Variables passed to vLLM by exact name. */
const ALLOWED_NAMES = new Set([
  'PATH',
  'HOME',
  'LANG',
  'TZ',
  'HF_HOME',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
]);
/** Variables passed to vLLM by prefix (VLLM_ also carries the simulator's VLLM_SIM_* knobs). */
const ALLOWED_PREFIXES = ['CUDA_', 'NVIDIA_', 'VLLM_'];

/** Whether a variable of the runner's environment may be passed on to vLLM. */
export function isAllowedEnvName(name: string): boolean {
  return ALLOWED_NAMES.has(name) || ALLOWED_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);
}

/**
 * The GPUs of a slot for vLLM's environment: `CUDA_VISIBLE_DEVICES` lists them, and
 * `CUDA_DEVICE_ORDER=PCI_BUS_ID` makes CUDA number the GPUs as nvidia-smi does (CUDA's default order
 * puts the fastest first). Nothing without GPUs (the runner's own CUDA_* variables then apply).
 */
export function gpuEnv(gpus: readonly number[] | undefined): Record<string, string> {
  if (!gpus || gpus.length === 0) return {};
  return { CUDA_VISIBLE_DEVICES: gpus.join(','), CUDA_DEVICE_ORDER: 'PCI_BUS_ID' };
}

/**
 * vLLM's environment: the allowlisted variables of `baseEnv`, plus `HF_TOKEN` and
 * `HUGGING_FACE_HUB_TOKEN` set to `token` when one was resolved (an empty token counts as none).
 * The parent's own HF_TOKEN / HUGGING_FACE_HUB_TOKEN are never copied: the runner's env token reaches
 * vLLM only when the resolution hierarchy picked it and passed it in as `token`.
 */
export function buildVllmEnv(baseEnv: NodeJS.ProcessEnv, token: Secret | null): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(baseEnv)) {
    if (typeof value === 'string' && isAllowedEnvName(name)) env[name] = value;
  }
  const value = token?.reveal();
  if (value) {
    env.HF_TOKEN = value;
    env.HUGGING_FACE_HUB_TOKEN = value;
  }
  return env;
}
