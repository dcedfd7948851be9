import type { TokenSource } from './settings';

export type SlotState = 'scheduled' | 'starting' | 'running' | 'failed' | 'stopped';
export type SlotErrorCode = 'hf_auth' | 'oom' | 'crash' | 'start_timeout' | 'no_capacity';

export interface SlotError {
  code: SlotErrorCode;
  message: string;
}

/** A slot: one vLLM process on one runner (SPEC §4.4). */
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
  created: string;
  updated: string;
}

/** Published on `runners.heartbeat` every HEARTBEAT_INTERVAL_MS. */
export interface RunnerHeartbeat {
  runner_id: string;
  memory_total: number;
  memory_allocated: number;
  /** Applied version per scope key (see scopeKey), e.g. {"global": 3}. */
  settings_versions: Record<string, number>;
  /** Whether a model without model/user/org tokens would start with a token (global or env). */
  hf_token_provided: boolean;
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
  in_sync: boolean;
  hf_token_provided: boolean;
  slots: SlotView[];
}

/** What the models-service knows of a runner (GET /runners is completed by the gateway with sync state). */
export interface RunnerRecord {
  id: string;
  state: 'online' | 'offline';
  last_seen: string;
  memory_total: number;
  memory_allocated: number;
  settings_versions: Record<string, number>;
  hf_token_provided: boolean;
  slots: SlotView[];
}
