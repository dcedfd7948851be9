import { hostname } from 'node:os';
import { execFileSync } from 'node:child_process';
import { IsOptional, IsString, Matches } from 'class-validator';
import { RUNNER_ID_PATTERN, parseMemory } from '@helix/contracts';
import { ConfigError, EnvInt, IsBase64Key32, IsKeyList, IsMemorySize, IsPort, ServiceConfig, type LogLevel } from '@helix/config';

export class RunnerConfig extends ServiceConfig {
  /** Decrypts the tokens inside settings.updated events (a key list while rotating). */
  @IsKeyList()
  HELIX_SETTINGS_KEY!: string;

  /** Verifies the settings-service's signature on settings.updated events (Ed25519 public key, SPEC §15). */
  @IsBase64Key32()
  HELIX_EVENT_VERIFY_KEY!: string;

  @IsOptional()
  @Matches(RUNNER_ID_PATTERN, { message: 'HELIX_RUNNER_ID must be 1 to 64 letters, digits, "_" or "-" (it is a NATS subject token)' })
  HELIX_RUNNER_ID?: string;

  @IsOptional()
  @IsMemorySize()
  HELIX_RUNNER_MEMORY?: string;

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

  /** Host name or address put into slot endpoints (vLLM itself binds 127.0.0.1). */
  @Matches(/^[A-Za-z0-9.:[\]-]{1,253}$/, { message: 'HELIX_RUNNER_ADVERTISE_HOST must be a host name or address' })
  HELIX_RUNNER_ADVERTISE_HOST = '127.0.0.1';

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
  memoryTotal: number;
  httpPort: number;
  vllmBin: string;
  portRange: [number, number];
  startTimeoutMs: number;
  maxRestarts: number;
  backoffInitialMs: number;
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
  const memoryTotal = config.HELIX_RUNNER_MEMORY ? parseMemory(config.HELIX_RUNNER_MEMORY)! : detectGpuMemory();
  if (!memoryTotal) {
    throw new ConfigError(
      ['HELIX_RUNNER_MEMORY'],
      ['HELIX_RUNNER_MEMORY is required when nvidia-smi cannot report GPU memory (e.g. HELIX_RUNNER_MEMORY=80GB)'],
    );
  }
  const [low, high] = (config.HELIX_VLLM_PORT_RANGE ?? '40000-40999').split('-').map(Number);
  if (!(low > 0 && high >= low && high <= 65535)) throw new ConfigError(['HELIX_VLLM_PORT_RANGE'], ['HELIX_VLLM_PORT_RANGE must be LOW-HIGH within 1-65535']);
  return {
    runnerId,
    memoryTotal,
    httpPort: config.HELIX_RUNNER_HTTP_PORT,
    vllmBin: config.HELIX_VLLM_BIN,
    portRange: [low, high],
    startTimeoutMs: Number(config.HELIX_VLLM_START_TIMEOUT_MS ?? 15 * 60_000),
    maxRestarts: Number(config.HELIX_VLLM_MAX_RESTARTS ?? 10),
    backoffInitialMs: Number(config.HELIX_VLLM_BACKOFF_INITIAL_MS ?? 1_000),
    advertiseHost: config.HELIX_RUNNER_ADVERTISE_HOST,
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

/** Total GPU memory in bytes from nvidia-smi (MiB per GPU), or null without one. */
function detectGpuMemory(): number | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=memory.total', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 5_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const mib = out
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0)
      .reduce((a, b) => a + b, 0);
    return mib > 0 ? mib * 1024 * 1024 : null;
  } catch {
    return null;
  }
}

export const RUNNER_CONFIG = Symbol('RUNNER_CONFIG');
export const RUNNER_SETTINGS = Symbol('RUNNER_SETTINGS');
export const TOKEN_STORE = Symbol('TOKEN_STORE');
