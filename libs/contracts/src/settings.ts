import { encodeSubjectToken, SETTINGS_UPDATED_PREFIX } from './subjects';

/** The levels of the token hierarchy that the control plane stores (the runner adds `env`). */
export const SCOPES = ['model', 'user', 'org', 'global'] as const;
export type Scope = (typeof SCOPES)[number];

/** Which level supplied the token a vLLM process was started with. */
export type TokenSource = Scope | 'env' | 'none';

/** An AES-256-GCM envelope (base64url fields). */
export interface EncryptedEnvelope {
  kid: string;
  alg: 'A256GCM';
  iv: string;
  ct: string;
  tag: string;
}

/** Published on `settings.updated.<scope>[.<id>]`; the last message per subject is the current state. */
export interface SettingsUpdatedEvent {
  type: 'settings.updated';
  schema: 1;
  scope: Scope;
  scope_id: string | null;
  version: number;
  /** Encrypted with HELIX_SETTINGS_KEY; null when the token was cleared. */
  huggingface_token: EncryptedEnvelope | null;
  fingerprint: string | null;
  updated_at: string;
  updated_by: string | null;
}

/** Published by a runner on `settings.applied` after it applied an event. */
export interface SettingsAppliedEvent {
  runner_id: string;
  scope: Scope;
  scope_id: string | null;
  version: number;
  hf_token_provided: boolean;
}

export function settingsSubject(scope: Scope, scopeId: string | null): string {
  if (scope === 'global') return `${SETTINGS_UPDATED_PREFIX}.global`;
  if (!scopeId) throw new Error(`scope ${scope} needs an id`);
  return `${SETTINGS_UPDATED_PREFIX}.${scope}.${encodeSubjectToken(scopeId)}`;
}

/** A stable key for a (scope, id) pair, e.g. `global` or `model:Qwen/Qwen2.5`. */
export function scopeKey(scope: Scope, scopeId: string | null): string {
  return scope === 'global' ? 'global' : `${scope}:${scopeId}`;
}

/** GET/PUT /api/v1/system/settings response. */
export interface SystemSettingsView {
  id: 'system';
  created: string | null;
  updated: string | null;
  huggingface_token_set: boolean;
  huggingface_token_source: 'database' | 'none';
  huggingface_token_fingerprint: string | null;
  version: number;
}

/** Gateway → settings-service: the token travels encrypted with HELIX_SETTINGS_KEY, never in clear. */
export interface UpdateSystemSettingsRequest {
  /** Absent: no change. null: clear. */
  huggingface_token?: EncryptedEnvelope | null;
  updated_by: string;
  /** Epoch ms after which the gateway has given up (503); the service then refuses to write. */
  deadline_ms: number;
}

export interface RunnerSyncRecord {
  runner_id: string;
  scope: Scope;
  scope_id: string | null;
  version: number;
  hf_token_provided: boolean;
  applied_at: string;
}

export interface SyncStatusView {
  global_version: number;
  acks: RunnerSyncRecord[];
}

/**
 * Additional authenticated data for the token envelopes: binds a ciphertext to where it belongs, so
 * an envelope copied into another scope, version or message does not decrypt.
 */
export const Aad = {
  event: (scope: Scope, scopeId: string | null, version: number): string => `settings.updated|${scope}|${scopeId ?? ''}|${version}`,
  updateRequest: (scope: Scope, scopeId: string | null): string => `settings.update|${scope}|${scopeId ?? ''}`,
  atRest: (scope: Scope, scopeId: string | null): string => `hf_tokens|${scope}|${scopeId ?? ''}`,
} as const;
