import type { FieldError } from './errors';
import { isGpuIndexList, parseGpuList, type GpuInfo } from './gpus';
import { SLOT_ID_PATTERN, TOKEN_SOURCES } from './models';
import { isRecord, parsed, rejected, type ParseResult } from './parse-result';
import type { TokenSource } from './settings';
import { RUNNER_ID_PATTERN } from './subjects';

export const SLOT_STATES = ['scheduled', 'starting', 'running', 'failed', 'stopped'] as const;
export type SlotState = (typeof SLOT_STATES)[number];
export const SLOT_ERROR_CODES = ['hf_auth', 'oom', 'crash', 'start_timeout', 'no_capacity'] as const;
export type SlotErrorCode = (typeof SLOT_ERROR_CODES)[number];

export interface SlotError {
  code: SlotErrorCode;
  message: string;
}

/** A slot: one vLLM process on one runner (docs/reference/rest.md). */
export interface SlotView {
  id: string;
  model_id: string;
  /** null only for a slot that could not be placed (error `no_capacity`). */
  runner_id: string | null;
  state: SlotState;
  restarts: number;
  endpoint: string | null;
  hf_token_source: TokenSource | null;
  hf_token_fingerprint: string | null;
  error: SlotError | null;
  /** CUDA indices of the runner's GPUs the slot runs on (tensor parallel over all of them); [] when not placed. */
  gpus: number[];
  created: string;
  updated: string;
}

/** One GPU in GET /api/v1/runners: its memory and what the slots placed on it hold. */
export interface RunnerGpuView {
  index: number;
  memory_total: number;
  /** The share (model memory / the slot's GPU count) of every slot that holds or is about to hold memory here. */
  memory_allocated: number;
  slot_ids: string[];
}

/** Published on `runners.heartbeat` every HEARTBEAT_INTERVAL_MS. */
export interface RunnerHeartbeat {
  runner_id: string;
  memory_total: number;
  memory_allocated: number;
  /** The applied version of the global scope (0: none seen). */
  settings_version: number;
  /**
   * The SETTINGS stream sequence this runner has processed up to (applied or skipped): in sync with
   * every scope when it reaches the stream's last sequence. Constant size whatever the number of scopes.
   */
  settings_seq: number;
  /** How many scopes (global, orgs, users, models) it holds the current version of, cleared ones included. */
  settings_applied: number;
  /** Whether a model without model/user/org tokens would start with a token (global or env). */
  hf_token_provided: boolean;
  /**
   * The runner's GPUs (at most MAX_GPUS). A heartbeat without them (a runner of an older release)
   * counts as one GPU, index 0, of memory_total.
   */
  gpus: GpuInfo[];
  slots: SlotView[];
  sent_at: string;
}

/** GET /api/v1/runners item. */
export interface RunnerView {
  id: string;
  state: 'online' | 'offline';
  last_seen: string;
  memory_total: number;
  memory_allocated: number;
  settings_version: number;
  /** True when the runner has applied the current version of every scope (docs/reference/events.md). */
  in_sync: boolean;
  /** How many scopes the runner holds. */
  settings_applied: number;
  hf_token_provided: boolean;
  gpus: RunnerGpuView[];
  slots: SlotView[];
}

/** The most runners one `svc.models.runners.list` reply carries: a reply stays far below NATS's message limit. */
export const RUNNERS_PAGE_MAX = 200;

/** `svc.models.runners.list`: one page of runners in id order, those after `after` (exclusive). */
export interface RunnersListRequest {
  after?: string | null;
  /** 1..RUNNERS_PAGE_MAX; RUNNERS_PAGE_MAX when absent. */
  limit?: number;
}

/** What the models-service knows of a runner (GET /runners is completed by the gateway with sync state). */
export interface RunnerRecord {
  id: string;
  state: 'online' | 'offline';
  last_seen: string;
  memory_total: number;
  memory_allocated: number;
  settings_version: number;
  settings_seq: number;
  settings_applied: number;
  hf_token_provided: boolean;
  gpus: RunnerGpuView[];
  slots: SlotView[];
}

/** `sha256:` and the first 12 hex digits of the token's SHA-256 (never the token). */
export const TOKEN_FINGERPRINT_PATTERN = /^sha256:[0-9a-f]{12}$/;

const includes = (list: readonly string[], v: unknown): boolean => typeof v === 'string' && list.includes(v);
const isTimestamp = (v: unknown): boolean => typeof v === 'string' && Number.isFinite(Date.parse(v));

/** One slot as a runner reports it: on `runner.<id>.slots.status`, and in every heartbeat's `slots`. */
export function parseSlotReport(input: unknown, field = 'slot'): ParseResult<SlotView> {
  if (!isRecord(input)) return rejected([{ field, message: `${field} must be a JSON object` }]);
  const v = input as Partial<Record<keyof SlotView, unknown>>;
  const errors: FieldError[] = [];
  const check = (ok: boolean, name: keyof SlotView, message: string) => {
    if (!ok) errors.push({ field: `${field}.${name}`, message: `${field}.${name} must be ${message}` });
  };
  check(typeof v.id === 'string' && SLOT_ID_PATTERN.test(v.id), 'id', 'a UUID');
  check(typeof v.model_id === 'string', 'model_id', 'a string');
  check(includes(SLOT_STATES, v.state), 'state', `one of: ${SLOT_STATES.join(', ')}`);
  check(Number.isSafeInteger(v.restarts), 'restarts', 'a whole number');
  check(v.endpoint === null || typeof v.endpoint === 'string', 'endpoint', 'a string or null');
  check(v.hf_token_source === null || includes(TOKEN_SOURCES, v.hf_token_source), 'hf_token_source', `one of: ${TOKEN_SOURCES.join(', ')}, or null`);
  check(
    v.hf_token_fingerprint === null || (typeof v.hf_token_fingerprint === 'string' && TOKEN_FINGERPRINT_PATTERN.test(v.hf_token_fingerprint)),
    'hf_token_fingerprint',
    'sha256: and 12 hex digits, or null',
  );
  check(
    v.error === null || (isRecord(v.error) && includes(SLOT_ERROR_CODES, v.error.code) && typeof v.error.message === 'string'),
    'error',
    `null or {code, message} with code one of: ${SLOT_ERROR_CODES.join(', ')}`,
  );
  check(v.gpus === undefined || (Array.isArray(v.gpus) && (v.gpus.length === 0 || isGpuIndexList(v.gpus))), 'gpus', 'a list of distinct GPU indices');
  check(isTimestamp(v.updated), 'updated', 'a timestamp');
  // A runner of an older release reports no GPUs.
  return errors.length ? rejected(errors) : parsed({ ...(input as unknown as SlotView), gpus: (v.gpus as number[] | undefined) ?? [] });
}

/** A heartbeat, and how many of its slot entries were left out because they are not valid reports. */
export interface ParsedHeartbeat {
  heartbeat: RunnerHeartbeat;
  ignoredSlots: FieldError[];
}

/**
 * `runners.heartbeat`. A malformed slot entry is left out rather than failing the heartbeat: the
 * runner stays online and its other slots are still reported.
 */
export function parseHeartbeat(input: unknown): ParseResult<ParsedHeartbeat> {
  if (!isRecord(input)) return rejected([{ field: 'heartbeat', message: 'the heartbeat must be a JSON object' }]);
  const errors: FieldError[] = [];
  if (typeof input.runner_id !== 'string' || !RUNNER_ID_PATTERN.test(input.runner_id)) {
    errors.push({ field: 'runner_id', message: 'runner_id must be 1 to 64 letters, digits, _ or -' });
  }
  if (!Number.isSafeInteger(input.memory_total) || (input.memory_total as number) < 0)
    errors.push({ field: 'memory_total', message: 'memory_total must be a whole number of bytes' });
  if (!Number.isSafeInteger(input.memory_allocated) || (input.memory_allocated as number) < 0)
    errors.push({ field: 'memory_allocated', message: 'memory_allocated must be a whole number of bytes' });
  // A runner from before the stream high-water mark sends `settings_versions` instead (rolling upgrade).
  const legacyGlobal = isRecord(input.settings_versions) ? input.settings_versions.global : undefined;
  const counters: Record<'settings_version' | 'settings_seq' | 'settings_applied', unknown> = {
    settings_version: input.settings_version ?? legacyGlobal ?? 0,
    settings_seq: input.settings_seq ?? 0,
    settings_applied: input.settings_applied ?? (isRecord(input.settings_versions) ? Object.keys(input.settings_versions).length : 0),
  };
  for (const [name, value] of Object.entries(counters)) {
    if (!Number.isSafeInteger(value) || (value as number) < 0) errors.push({ field: name, message: `${name} must be a whole number` });
  }
  if (typeof input.hf_token_provided !== 'boolean') errors.push({ field: 'hf_token_provided', message: 'hf_token_provided must be true or false' });
  if (!Array.isArray(input.slots)) errors.push({ field: 'slots', message: 'slots must be an array' });
  let gpus: GpuInfo[] = [];
  if (input.gpus !== undefined) {
    const list = parseGpuList(input.gpus);
    if (list.ok) gpus = list.value;
    else errors.push(...list.errors);
  } else if (Number.isSafeInteger(input.memory_total) && (input.memory_total as number) > 0) {
    gpus = [{ index: 0, memory: input.memory_total as number }];
  }
  if (errors.length) return rejected(errors);

  const slots: SlotView[] = [];
  const ignoredSlots: FieldError[] = [];
  (input.slots as unknown[]).forEach((entry, i) => {
    const report = parseSlotReport(entry, `slots[${i}]`);
    if (report.ok) slots.push(report.value);
    else ignoredSlots.push(...report.errors);
  });
  const { settings_versions: _legacy, ...rest } = input;
  return parsed({
    heartbeat: { ...(rest as unknown as RunnerHeartbeat), ...(counters as Pick<RunnerHeartbeat, keyof typeof counters>), gpus, slots },
    ignoredSlots,
  });
}
