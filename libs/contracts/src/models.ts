import type { ErrorBody, FieldError } from './errors';
import { isGpuIndexList } from './gpus';
import { isRecord, parsed, rejected, type ParseResult } from './parse-result';
import type { SlotView } from './runners';
import { SCOPES, type TokenSource } from './settings';

/** docs/reference/rest.md: the model types Helix knows. */
export const MODEL_TYPES = ['chat', 'embed', 'image'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** Runtimes Helix can deploy today. */
export const SUPPORTED_RUNTIMES = ['vllm'] as const;
export type ModelRuntime = (typeof SUPPORTED_RUNTIMES)[number];
/** Runtimes Helix upstream lists; accepted by name but rejected as "not supported yet". */
export const KNOWN_RUNTIMES = ['vllm', 'ollama', 'diffusers', 'axolotl'] as const;

/**
 * Model ids are Hugging Face repo ids (`org/name`) or similar: letters, digits and `._-/:@+`,
 * starting with a letter or digit, no empty or `..` path segments, at most 256 characters.
 */
export const MODEL_ID_PATTERN = /^(?=.{1,256}$)[A-Za-z0-9][A-Za-z0-9._:@+-]*(\/[A-Za-z0-9._:@+-]+)*$/;
export function isModelId(value: unknown): value is string {
  return typeof value === 'string' && MODEL_ID_PATTERN.test(value) && !value.split('/').some((s) => s === '.' || s === '..');
}

export const RUNTIME_ARGS_MAX = 256;
export const RUNTIME_ARG_MAX_CHARS = 4096;

/**
 * `runtime_args` as an array of strings, or Helix's stored form `{"args": [...]}`; null when the
 * value is neither (or has too many / too long / NUL-containing entries).
 */
export function normalizeRuntimeArgs(value: unknown): string[] | null {
  let list: unknown = value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== 'args') return null;
    list = (value as { args: unknown }).args;
  }
  if (!Array.isArray(list) || list.length > RUNTIME_ARGS_MAX) return null;
  if (!list.every((a) => typeof a === 'string' && a.length <= RUNTIME_ARG_MAX_CHARS && !a.includes('\0'))) return null;
  return [...(list as string[])];
}

/** A model as stored and deployed: memory in bytes, runtime_args normalized to an array. */
export interface ModelSpec {
  id: string;
  name: string;
  type: ModelType;
  runtime: ModelRuntime;
  memory: number;
  context_length: number | null;
  description: string;
  enabled: boolean;
  auto_pull: boolean;
  prewarm: boolean;
  runtime_args: string[];
  /** docs/reference/rest.md: the org the model belongs to (an existing org id), or null. */
  org_id: string | null;
  /** docs/reference/rest.md: the user who owns the model (an existing user id), or null (a system model). */
  owner_id: string | null;
}

/** GET /api/v1/models/{id} and every model response. */
export interface ModelView extends ModelSpec {
  created: string;
  updated: string;
  slots: SlotView[];
}

// ---- gateway → models-service (NestJS NATS request/reply, Patterns.models*) ----------------------

export interface CreateModelRequest {
  model: ModelSpec;
  created_by: string;
}

export interface GetModelRequest {
  id: string;
}

/** Fields absent from `patch` keep their values; `id` cannot change. */
export interface UpdateModelRequest {
  id: string;
  patch: Partial<Omit<ModelSpec, 'id'>>;
  updated_by: string;
}

export interface DeleteModelRequest {
  id: string;
  deleted_by: string;
}

// ---- models-service → runner (core NATS request/reply on runner.<id>.slots.*) -------------------

/** Request on `runner.<id>.slots.create`. Idempotent per slot_id. */
export interface SlotCreateCommand {
  slot_id: string;
  model: { id: string; type: ModelType; memory: number; context_length: number | null; runtime_args: string[] };
  /** Resolution context for the token hierarchy (model → user → org → global → env → none). */
  user_id?: string | null;
  org_id?: string | null;
  /**
   * CUDA indices of the runner's GPUs the scheduler placed the slot on (vLLM gets them as
   * CUDA_VISIBLE_DEVICES, tensor parallel over all of them). Absent from an older models-service:
   * the runner then picks the GPUs itself with the same rule.
   */
  gpus?: number[];
}

/** Request on `runner.<id>.slots.stop`. Stopping an unknown slot succeeds (idempotent). */
export interface SlotStopCommand {
  slot_id: string;
}

export type SlotCommandReply = { accepted: true } | ErrorBody;

/** Every level a slot's token can come from (docs/reference/rest.md `hf_token_source`), as TokenSource is built. */
export const TOKEN_SOURCES = [...SCOPES, 'env', 'none'] as const satisfies readonly TokenSource[];

export const SLOT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SCOPE_ID_PATTERN = /^[\x21-\x7E]{1,256}$/;

/** `runner.<id>.slots.create`. */
export function parseSlotCreate(input: unknown): ParseResult<SlotCreateCommand> {
  if (!isRecord(input)) return rejected([{ field: 'command', message: 'the command must be a JSON object' }]);
  const errors: FieldError[] = [];
  if (typeof input.slot_id !== 'string' || !SLOT_ID_PATTERN.test(input.slot_id)) errors.push({ field: 'slot_id', message: 'slot_id must be a UUID' });
  const m = input.model;
  if (!isRecord(m)) return rejected([...errors, { field: 'model', message: 'model must be an object' }]);
  if (!isModelId(m.id)) errors.push({ field: 'model.id', message: 'model.id must be a model id' });
  if (!(MODEL_TYPES as readonly unknown[]).includes(m.type))
    errors.push({ field: 'model.type', message: `model.type must be one of: ${MODEL_TYPES.join(', ')}` });
  if (!Number.isSafeInteger(m.memory) || (m.memory as number) <= 0)
    errors.push({ field: 'model.memory', message: 'model.memory must be a positive number of bytes' });
  if (!(m.context_length === null || m.context_length === undefined || (Number.isSafeInteger(m.context_length) && (m.context_length as number) > 0))) {
    errors.push({ field: 'model.context_length', message: 'model.context_length must be a positive whole number or null' });
  }
  if (normalizeRuntimeArgs(m.runtime_args ?? []) === null)
    errors.push({ field: 'model.runtime_args', message: 'model.runtime_args must be an array of strings' });
  if (input.gpus !== undefined && !isGpuIndexList(input.gpus)) errors.push({ field: 'gpus', message: 'gpus must be a list of distinct GPU indices' });
  for (const f of ['user_id', 'org_id'] as const) {
    const v = input[f];
    if (v !== undefined && v !== null && !(typeof v === 'string' && SCOPE_ID_PATTERN.test(v)))
      errors.push({ field: f, message: `${f} must be an id string or null` });
  }
  return errors.length ? rejected(errors) : parsed(input as unknown as SlotCreateCommand);
}

/** `runner.<id>.slots.stop`. */
export function parseSlotStop(input: unknown): ParseResult<SlotStopCommand> {
  if (!isRecord(input)) return rejected([{ field: 'command', message: 'the command must be a JSON object' }]);
  if (typeof input.slot_id !== 'string' || !SLOT_ID_PATTERN.test(input.slot_id)) return rejected([{ field: 'slot_id', message: 'slot_id must be a UUID' }]);
  return parsed({ slot_id: input.slot_id });
}

/** Slot states that hold (or are about to hold) GPU memory on their runner. */
export function reservesMemory(slot: Pick<SlotView, 'state' | 'error'>): boolean {
  return slot.state === 'scheduled' || slot.state === 'starting' || slot.state === 'running' || (slot.state === 'failed' && slot.error?.code === 'hf_auth');
}
