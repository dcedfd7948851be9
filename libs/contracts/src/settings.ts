import { encodeSubjectToken, RUNNER_ID_PATTERN, SETTINGS_UPDATED_PREFIX } from './subjects';
import type { FieldError } from './errors';
import { parseJsonObject, type ParseResult } from './parse-result';

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

/**
 * Many acks of one runner in one `settings.applied` message: a runner that replays thousands of
 * scopes acknowledges them in a few messages. A single ack keeps the docs/reference/events.md shape.
 */
export interface SettingsAppliedBatch {
  runner_id: string;
  acks: Array<Omit<SettingsAppliedEvent, 'runner_id'>>;
}
/** At most this many acks per message (about 100 bytes each, far below the 1 MiB message limit). */
export const MAX_ACKS_PER_MESSAGE = 1_000;

export function settingsSubject(scope: Scope, scopeId: string | null): string {
  if (scope === 'global') return `${SETTINGS_UPDATED_PREFIX}.global`;
  if (!scopeId) throw new Error(`scope ${scope} needs an id`);
  return `${SETTINGS_UPDATED_PREFIX}.${scope}.${encodeSubjectToken(scopeId)}`;
}

/**
 * The scope whose events `subject` carries: the inverse of settingsSubject, or null for a subject it
 * never makes (another prefix, an unknown scope, an id that is not canonical base64url).
 */
export function scopeOfSettingsSubject(subject: string): { scope: Scope; scopeId: string | null } | null {
  const prefix = `${SETTINGS_UPDATED_PREFIX}.`;
  if (!subject.startsWith(prefix)) return null;
  const [scope, token, ...rest] = subject.slice(prefix.length).split('.');
  if (rest.length > 0 || !isScope(scope)) return null;
  if (scope === 'global') return token === undefined ? { scope, scopeId: null } : null;
  if (!token) return null;
  const scopeId = Buffer.from(token, 'base64url').toString('utf8');
  return scopeId && encodeSubjectToken(scopeId) === token ? { scope, scopeId } : null;
}

/** A stable key for a (scope, id) pair, e.g. `global` or `model:Qwen/Qwen2.5`. */
export function scopeKey(scope: Scope, scopeId: string | null): string {
  return scope === 'global' ? 'global' : `${scope}:${scopeId}`;
}

/**
 * GET/PUT response of every settings route (docs/reference/rest.md): `id` is `system` for the global
 * scope and `org:<id>`, `user:<id>` or `model:<id>` otherwise; `version` counts per scope.
 */
export interface SettingsView {
  id: string;
  scope: Scope;
  scope_id: string | null;
  created: string | null;
  updated: string | null;
  huggingface_token_set: boolean;
  huggingface_token_source: 'database' | 'none';
  huggingface_token_fingerprint: string | null;
  /** docs/reference/hub.md: what the Hugging Face Hub said when the token was set; all three null without a token. */
  huggingface_token_status: HubTokenStatus | null;
  huggingface_token_owner: string | null;
  huggingface_token_role: string | null;
  version: number;
}

export const HUB_TOKEN_STATUSES = ['valid', 'invalid', 'unverified'] as const;
export type HubTokenStatus = (typeof HUB_TOKEN_STATUSES)[number];

export const HUB_VALIDATION_MODES = ['off', 'warn', 'strict'] as const;
export type HubValidationMode = (typeof HUB_VALIDATION_MODES)[number];

export const MODEL_ACCESS = ['granted', 'denied', 'not_found', 'unknown'] as const;

/** GET /api/v1/models/{id}/access (docs/reference/hub.md): the model's effective control-plane token against the Hub. */
export interface ModelAccessView {
  model_id: string;
  /** The scope whose token was used; null when no level has one (the Hub is asked without a token). */
  scope: Scope | null;
  fingerprint: string | null;
  access: (typeof MODEL_ACCESS)[number];
  hub_status: number | null;
}

/** Gateway → settings-service: the model's chain, highest precedence first (model, owner, org, global). */
export interface ModelAccessRequest {
  model_id: string;
  chain: ScopeRef[];
}

/** GET/PUT /api/v1/system/settings response. */
export type SystemSettingsView = SettingsView & { id: 'system'; scope: 'global'; scope_id: null };

/** The `id` of a scope's settings view. */
export function settingsViewId(scope: Scope, scopeId: string | null): string {
  return scope === 'global' ? 'system' : `${scope}:${scopeId}`;
}

/** Which scope a settings RPC is about; absent means the global scope. */
export interface ScopeRef {
  scope?: Scope;
  scope_id?: string | null;
}

/**
 * Proof that a change request comes from the gateway, once, before it expires (docs/reference/security.md): an HMAC
 * under a key derived from HELIX_SETTINGS_KEY over the whole request, a nonce and an expiry.
 */
export interface RequestProof {
  nonce: string;
  expires_at: string;
  mac: string;
}

/** What the proofs of the two change requests cover (their purpose label). */
export const REQUEST_PURPOSES = { update: 'settings.update', clearScope: 'settings.clear-scope' } as const;

/** Gateway → settings-service: the token travels encrypted with HELIX_SETTINGS_KEY, never in clear. */
export interface UpdateSettingsRequest extends ScopeRef {
  /** Over every other field of the request. */
  auth?: RequestProof;
  /** Absent: no change. null: clear. Sealed for this scope (the envelope opens for no other). */
  huggingface_token?: EncryptedEnvelope | null;
  updated_by: string;
}
/** The seed's name for the global update. */
export type UpdateSystemSettingsRequest = UpdateSettingsRequest;

/**
 * Gateway → settings-service when a user, org or model is deleted: clears the scope's token with a
 * normal clear event, and does nothing when no token is set (no event for scopes never used).
 */
export interface ClearScopeRequest {
  scope: Exclude<Scope, 'global'>;
  scope_id: string;
  updated_by: string;
  /** Over every other field of the request. */
  auth?: RequestProof;
}

/** Gateway → settings-service: the views of several scopes at once (the resolution chain of docs/reference/rest.md). */
export interface GetManySettingsRequest {
  scopes: Array<{ scope: Scope; scope_id: string | null }>;
}

/** One level of a model's resolution chain (docs/reference/rest.md). */
export interface TokenChainLevel {
  scope: Scope;
  scope_id: string | null;
  set: boolean;
  fingerprint?: string;
  version?: number;
}

/** GET /api/v1/models/{id}/token (docs/reference/rest.md). */
export interface TokenChainView {
  model_id: string;
  effective: { scope: Scope; scope_id: string | null; fingerprint: string } | null;
  chain: TokenChainLevel[];
}

/** The global ack of one runner: which global version it applied and whether that gave it a token. */
export interface RunnerSyncRecord {
  runner_id: string;
  scope: Scope;
  scope_id: string | null;
  version: number;
  hf_token_provided: boolean;
  applied_at: string;
}

/**
 * What `GET /runners` needs to say whether a runner is in sync with every scope, at a cost that does
 * not grow with the number of scopes: the SETTINGS stream's high-water mark. Each stream message is
 * the newest state of its subject, so a runner that processed the stream up to `settings_seq` holds
 * the current version of every scope.
 */
export interface SyncStatusView {
  global_version: number;
  /** The SETTINGS stream's last sequence; null while a committed change is not yet in the stream. */
  settings_seq: number | null;
  /** Global-scope acks only (one per runner). */
  acks: RunnerSyncRecord[];
}

/** `svc.settings.sync.status`: the acks of these runners only (a page of GET /runners), at most RUNNERS_PAGE_MAX. */
export interface SyncStatusRequest {
  runner_ids?: string[];
}

/** Whether `scope_id` fits `scope`: null for global, a non-empty string for every other scope. */
function scopeIdError(scope: unknown, scopeId: unknown): FieldError | null {
  if (scope === 'global') return scopeId === null ? null : { field: 'scope_id', message: 'must be null for the global scope' };
  return typeof scopeId === 'string' && scopeId !== '' ? null : { field: 'scope_id', message: 'must be a non-empty string for this scope' };
}

function isScope(value: unknown): value is Scope {
  return (SCOPES as readonly unknown[]).includes(value);
}

function isPositiveInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

const isNullableString = (value: unknown): boolean => value === null || typeof value === 'string';

/**
 * The one check of a `settings.updated` message (docs/reference/events.md). It accepts exactly what a runner's
 * TokenStore can hold (a positive version, a scope_id that fits the scope); the envelope's own
 * shape is checked when it is opened.
 */
export function parseSettingsUpdatedEvent(bytes: Uint8Array): ParseResult<SettingsUpdatedEvent> {
  const json = parseJsonObject(bytes);
  if (!json.ok) return json;
  const e = json.value;
  const errors: FieldError[] = [];
  if (e.type !== 'settings.updated') errors.push({ field: 'type', message: 'must be "settings.updated"' });
  if (e.schema !== 1) errors.push({ field: 'schema', message: 'must be 1' });
  if (!isScope(e.scope)) errors.push({ field: 'scope', message: `must be one of ${SCOPES.join(', ')}` });
  else {
    const scopeId = scopeIdError(e.scope, e.scope_id);
    if (scopeId) errors.push(scopeId);
  }
  if (!isPositiveInteger(e.version)) errors.push({ field: 'version', message: 'must be a positive integer' });
  const token = e.huggingface_token;
  if (token !== null && (typeof token !== 'object' || Array.isArray(token)))
    errors.push({ field: 'huggingface_token', message: 'must be an envelope object or null' });
  if (!isNullableString(e.fingerprint)) errors.push({ field: 'fingerprint', message: 'must be a string or null' });
  if (typeof e.updated_at !== 'string') errors.push({ field: 'updated_at', message: 'must be a string' });
  if (!isNullableString(e.updated_by)) errors.push({ field: 'updated_by', message: 'must be a string or null' });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: e as unknown as SettingsUpdatedEvent };
}

/** The one check of a runner's `settings.applied` acknowledgement. */
export function parseSettingsApplied(bytes: Uint8Array): ParseResult<SettingsAppliedEvent> {
  const json = parseJsonObject(bytes);
  if (!json.ok) return json;
  return checkAck(json.value);
}

/** A `settings.applied` message in either form: one ack (docs/reference/events.md) or a batch of one runner's acks. */
export function parseSettingsAppliedMessage(bytes: Uint8Array): ParseResult<SettingsAppliedEvent[]> {
  const json = parseJsonObject(bytes);
  if (!json.ok) return json;
  const m = json.value;
  if (!('acks' in m)) {
    const one = checkAck(m);
    return one.ok ? { ok: true, value: [one.value] } : one;
  }
  if (!Array.isArray(m.acks) || m.acks.length === 0 || m.acks.length > MAX_ACKS_PER_MESSAGE)
    return { ok: false, errors: [{ field: 'acks', message: `must be a list of 1 to ${MAX_ACKS_PER_MESSAGE} acks` }] };
  const acks: SettingsAppliedEvent[] = [];
  for (const [i, entry] of (m.acks as unknown[]).entries()) {
    const checked = checkAck(typeof entry === 'object' && entry !== null ? { ...entry, runner_id: m.runner_id } : {});
    if (!checked.ok) return { ok: false, errors: checked.errors.map((e) => ({ ...e, field: e.field === 'runner_id' ? e.field : `acks[${i}].${e.field}` })) };
    acks.push(checked.value);
  }
  return { ok: true, value: acks };
}

function checkAck(a: Record<string, unknown>): ParseResult<SettingsAppliedEvent> {
  const errors: FieldError[] = [];
  if (typeof a.runner_id !== 'string' || !RUNNER_ID_PATTERN.test(a.runner_id))
    errors.push({ field: 'runner_id', message: 'must be 1 to 64 of A-Z a-z 0-9 _ -' });
  if (!isScope(a.scope)) errors.push({ field: 'scope', message: `must be one of ${SCOPES.join(', ')}` });
  else {
    const scopeId = scopeIdError(a.scope, a.scope_id);
    if (scopeId) errors.push(scopeId);
  }
  if (!isPositiveInteger(a.version)) errors.push({ field: 'version', message: 'must be a positive integer' });
  if (typeof a.hf_token_provided !== 'boolean') errors.push({ field: 'hf_token_provided', message: 'must be a boolean' });
  if (errors.length > 0) return { ok: false, errors };
  const { runner_id, scope, scope_id, version, hf_token_provided } = a as unknown as SettingsAppliedEvent;
  return { ok: true, value: { runner_id, scope, scope_id, version, hf_token_provided } };
}

/** 1–1024 printable ASCII characters, no white space (docs/reference/rest.md). */
export const HF_TOKEN_PATTERN = /^[\x21-\x7E]{1,1024}$/;
