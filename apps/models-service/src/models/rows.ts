import type { ModelSpec, ModelView, SlotError, SlotState, SlotView, TokenSource } from '@helix/contracts';

/** Row shapes of models.models / models.slots and their API views (memory as integer bytes). */
export interface ModelRow {
  id: string;
  name: string;
  type: ModelSpec['type'];
  runtime: ModelSpec['runtime'];
  memory: string | number;
  context_length: number | null;
  description: string;
  enabled: boolean;
  auto_pull: boolean;
  prewarm: boolean;
  runtime_args: string[];
  created_at: Date;
  updated_at: Date;
}

export interface SlotRow {
  id: string;
  model_id: string;
  runner_id: string | null;
  state: SlotState;
  restarts: number;
  endpoint: string | null;
  hf_token_source: TokenSource | null;
  hf_token_fingerprint: string | null;
  error: SlotError | null;
  reported_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function toSpec(row: ModelRow): ModelSpec {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    runtime: row.runtime,
    memory: Number(row.memory),
    context_length: row.context_length,
    description: row.description,
    enabled: row.enabled,
    auto_pull: row.auto_pull,
    prewarm: row.prewarm,
    runtime_args: row.runtime_args,
  };
}

export function toModelView(row: ModelRow, slots: SlotRow[]): ModelView {
  return { ...toSpec(row), created: row.created_at.toISOString(), updated: row.updated_at.toISOString(), slots: slots.map(toSlotView) };
}

export function toSlotView(row: SlotRow): SlotView {
  return {
    id: row.id,
    model_id: row.model_id,
    runner_id: row.runner_id,
    state: row.state,
    restarts: row.restarts,
    endpoint: row.endpoint,
    hf_token_source: row.hf_token_source,
    hf_token_fingerprint: row.hf_token_fingerprint,
    error: row.error,
    created: row.created_at.toISOString(),
    updated: row.updated_at.toISOString(),
  };
}

export const SLOT_COLUMNS =
  'id, model_id, runner_id, state, restarts, endpoint, hf_token_source, hf_token_fingerprint, error, reported_at, created_at, updated_at';
export const MODEL_COLUMNS = 'id, name, type, runtime, memory, context_length, description, enabled, auto_pull, prewarm, runtime_args, created_at, updated_at';
