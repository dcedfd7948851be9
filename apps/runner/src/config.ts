import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { execFileSync } from 'node:child_process';
import { MAX_GPU_INDEX, MAX_GPUS, RUNNER_ID_PATTERN, parseMemory, type GpuInfo } from '@helix/contracts';
import {
  ConfigError,
  EnvInt,
  IsBase64Key32,
  IsKeyList,
  IsMemorySize,
  IsOptional,
  IsPort,
  IsString,
  Matches,
  ServiceConfig,
  type LogLevel,
} from '@helix/config';

export class RunnerConfig extends ServiceConfig {
  /** Decrypts the tokens inside settings.updated events (a key list while rotating). */
  @IsKeyList()
  HELIX_SETTINGS_KEY!: string;

  /** Verifies the settings-service's signature on settings.updated events (Ed25519 public key, docs/reference/security.md). */
  @IsBase64Key32()
  HELIX_EVENT_VERIFY_KEY!: string;

  @IsOptional()
  @Matches(RUNNER_ID_PATTERN, { message: 'HELIX_RUNNER_ID must be 1 to 64 letters, digits, "_" or "-" (it is a NATS subject token)' })
  HELIX_RUNNER_ID?: string;

  /** One GPU of this size (index 0), when nvidia-smi is not there; HELIX_RUNNER_GPUS wins over it. */
  @IsOptional()
  @IsMemorySize()
  HELIX_RUNNER_MEMORY?: string;

  /** The GPUs by CUDA index, e.g. `0:80GB,1:80GB`; instead of asking nvidia-smi. */
  @IsOptional()
  @Matches(/^\s*\d{1,4}\s*:\s*[^,:]+(,\s*\d{1,4}\s*:\s*[^,:]+)*$/, {
    message: 'HELIX_RUNNER_GPUS must look like 0:80GB,1:80GB (CUDA index:memory, comma-separated)',
  })
  HELIX_RUNNER_GPUS?: string;

  /** The runner's own /healthz, /readyz and /metrics. */
  @EnvInt()
  @IsPort()
  HELIX_RUNNER_HTTP_PORT = 8090;

  @IsString()
  HELIX_VLLM_BIN = 'vllm';

  /** The runner's own fallback token (lowest priority above "none"). */
  @IsOptional()
  @IsString()
  HF_TOKEN?: string;

  @IsOptional()
  @Matches(/^\d{1,5}-\d{1,5}$/, { message: 'HELIX_VLLM_PORT_RANGE must look like 40000-40999' })
  HELIX_VLLM_PORT_RANGE?: string;

  @IsOptional()
  @Matches(/^\d{1,9}$/, { message: 'HELIX_VLLM_START_TIMEOUT_MS must be a whole number of milliseconds' })
  HELIX_VLLM_START_TIMEOUT_MS?: string;

  @IsOptional()
  @Matches(/^\d{1,4}$/, { message: 'HELIX_VLLM_MAX_RESTARTS must be a whole number' })
  HELIX_VLLM_MAX_RESTARTS?: string;

  @IsOptional()
  @Matches(/^\d{1,9}$/, { message: 'HELIX_VLLM_BACKOFF_INITIAL_MS must be a whole number of milliseconds' })
  HELIX_VLLM_BACKOFF_INITIAL_MS?: string;

  /**
   * Address vLLM binds to (`--host`): 127.0.0.1 (this machine only), the pod IP, or 0.0.0.0 / :: (every
   * interface).
   */
  @Matches(/^[A-Za-z0-9.:-]{1,253}$/, { message: 'HELIX_VLLM_HOST must be an IP address or host name' })
  HELIX_VLLM_HOST = '127.0.0.1';

  /**
   * Host name or address put into slot endpoints. Default: HELIX_VLLM_HOST, or when that is 0.0.0.0
   * or ::, the machine's first non-loopback IPv4 address.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9.:[\]-]{1,253}$/, { message: 'HELIX_RUNNER_ADVERTISE_HOST must be a host name or address' })
  HELIX_RUNNER_ADVERTISE_HOST?: string;

  /** Start vLLM as this user (and HELIX_VLLM_GID, default the same number): model code cannot read the runner's environment. */
  @IsOptional()
  @Matches(/^\d{1,10}$/, { message: 'HELIX_VLLM_UID must be a numeric user id' })
  HELIX_VLLM_UID?: string;

  @IsOptional()
  @Matches(/^\d{1,10}$/, { message: 'HELIX_VLLM_GID must be a numeric group id' })
  HELIX_VLLM_GID?: string;
}

/** The runner's settings after defaults and detection, built once at start-up. */
export interface RunnerSettings {
  runnerId: string;
  /** The GPUs slots are placed on, by CUDA index. */
  gpus: GpuInfo[];
  /** The sum of the GPUs' memory. */
  memoryTotal: number;
  httpPort: number;
  vllmBin: string;
  portRange: [number, number];
  startTimeoutMs: number;
  maxRestarts: number;
  backoffInitialMs: number;
  vllmHost: string;
  advertiseHost: string;
  /** The user vLLM runs as (HELIX_VLLM_UID/GID); null: the runner's own. */
  vllmIdentity: { uid: number; gid: number } | null;
  logLevel: LogLevel;
}

export function resolveRunnerSettings(config: RunnerConfig): RunnerSettings {
  const runnerId =
    config.HELIX_RUNNER_ID ??
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .slice(0, 64);
  const gpus = config.HELIX_RUNNER_GPUS
    ? parseGpuSpec(config.HELIX_RUNNER_GPUS)
    : config.HELIX_RUNNER_MEMORY
      ? [{ index: 0, memory: parseMemory(config.HELIX_RUNNER_MEMORY)! }]
      : detectGpus();
  if (!gpus) {
    throw new ConfigError(
      ['HELIX_RUNNER_GPUS', 'HELIX_RUNNER_MEMORY'],
      ['HELIX_RUNNER_GPUS (e.g. 0:80GB,1:80GB) or HELIX_RUNNER_MEMORY (one GPU, e.g. 80GB) is required when nvidia-smi cannot report the GPUs'],
    );
  }
  const [low, high] = (config.HELIX_VLLM_PORT_RANGE ?? '40000-40999').split('-').map(Number);
  if (!(low > 0 && high >= low && high <= 65535)) throw new ConfigError(['HELIX_VLLM_PORT_RANGE'], ['HELIX_VLLM_PORT_RANGE must be LOW-HIGH within 1-65535']);
  return {
    runnerId,
    gpus,
    memoryTotal: gpus.reduce((sum, g) => sum + g.memory, 0),
    httpPort: config.HELIX_RUNNER_HTTP_PORT,
    vllmBin: config.HELIX_VLLM_BIN,
    portRange: [low, high],
    startTimeoutMs: Number(config.HELIX_VLLM_START_TIMEOUT_MS ?? 15 * 60_000),
    maxRestarts: Number(config.HELIX_VLLM_MAX_RESTARTS ?? 10),
    backoffInitialMs: Number(config.HELIX_VLLM_BACKOFF_INITIAL_MS ?? 1_000),
    vllmHost: config.HELIX_VLLM_HOST,
    advertiseHost: config.HELIX_RUNNER_ADVERTISE_HOST ?? defaultAdvertiseHost(config.HELIX_VLLM_HOST),
    vllmIdentity: vllmIdentity(config),
    logLevel: config.LOG_LEVEL,
  };
}

/** Changing user needs root: said at start-up rather than as a failed spawn per slot. */
function vllmIdentity(config: RunnerConfig): RunnerSettings['vllmIdentity'] {
  if (config.HELIX_VLLM_UID === undefined) {
    if (config.HELIX_VLLM_GID !== undefined) throw new ConfigError(['HELIX_VLLM_GID'], ['HELIX_VLLM_GID needs HELIX_VLLM_UID']);
    return null;
  }
  const current = process.getuid?.();
  if (current !== 0) {
    throw new ConfigError(['HELIX_VLLM_UID'], [`HELIX_VLLM_UID needs the runner to run as root to start vLLM as another user (it runs as uid ${current})`]);
  }
  const uid = Number(config.HELIX_VLLM_UID);
  return { uid, gid: config.HELIX_VLLM_GID === undefined ? uid : Number(config.HELIX_VLLM_GID) };
}

/** `0:80GB,1:80GB` → GPUs (a ConfigError for a bad size, a repeated index or too many GPUs). */
export function parseGpuSpec(spec: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const item of spec.split(',')) {
    const [indexText, sizeText] = item.split(':').map((s) => s.trim());
    const index = Number(indexText);
    const memory = parseMemory(sizeText);
    const problem =
      !/^\d+$/.test(indexText) || index > MAX_GPU_INDEX
        ? `GPU index "${indexText}" must be 0-${MAX_GPU_INDEX}`
        : memory === null
          ? `GPU ${index}: "${sizeText}" is not a memory size (e.g. 80GB)`
          : gpus.some((g) => g.index === index)
            ? `GPU ${index} is listed twice`
            : null;
    if (problem) throw new ConfigError(['HELIX_RUNNER_GPUS'], [`HELIX_RUNNER_GPUS: ${problem}`]);
    gpus.push({ index, memory: memory! });
  }
  if (gpus.length > MAX_GPUS) throw new ConfigError(['HELIX_RUNNER_GPUS'], [`HELIX_RUNNER_GPUS lists more than ${MAX_GPUS} GPUs`]);
  return gpus;
}

/** `nvidia-smi --query-gpu=index,memory.total --format=csv,noheader,nounits` output (MiB) → GPUs. */
export function parseNvidiaSmi(out: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(line);
    if (m && Number(m[2]) > 0 && gpus.length < MAX_GPUS) gpus.push({ index: Number(m[1]), memory: Number(m[2]) * 1024 * 1024 });
  }
  return gpus;
}

/** The GPUs nvidia-smi reports (indices as CUDA numbers them with CUDA_DEVICE_ORDER=PCI_BUS_ID), or null without one. */
function detectGpus(): GpuInfo[] | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index,memory.total', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 5_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const gpus = parseNvidiaSmi(out);
    return gpus.length > 0 ? gpus : null;
  } catch {
    return null;
  }
}

/**
 * Where slot endpoints point when HELIX_RUNNER_ADVERTISE_HOST is not set: the address vLLM binds, or
 * for a wildcard bind (0.0.0.0, ::) the first non-internal IPv4 address of the machine.
 */
export function defaultAdvertiseHost(vllmHost: string, interfaces = networkInterfaces()): string {
  if (vllmHost !== '0.0.0.0' && vllmHost !== '::') return vllmHost;
  for (const list of Object.values(interfaces)) {
    for (const address of list ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return hostname();
}

/** Whether vLLM bound to `host` can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export const RUNNER_CONFIG = Symbol('RUNNER_CONFIG');
export const RUNNER_SETTINGS = Symbol('RUNNER_SETTINGS');
export const TOKEN_STORE = Symbol('TOKEN_STORE');
