import { randomUUID } from 'node:crypto';
import type { FieldError } from './errors';
import { parseJsonObject, isRecord, type ParseResult } from './parse-result';
import { scopeKey, type Scope } from './settings';

/**
 * Every action the audit log records (docs/reference/rest.md). Adding one is a line here plus a call to
 * `auditEvent(...)` where the change commits; the route, the parser and the CLI follow this list.
 */
export const AUDIT_ACTIONS = [
  'token.set',
  'token.clear',
  /** HELIX_HF_VALIDATION=strict refused a token the Hub rejected (nothing changed). */
  'token.refused',
  'user.create',
  'user.delete',
  'key.create',
  'key.revoke',
  'org.create',
  'org.delete',
  'org.member.set',
  'org.member.remove',
  'model.create',
  'model.update',
  'model.delete',
  'access.denied',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(value: unknown): value is AuditAction {
  return (AUDIT_ACTIONS as readonly unknown[]).includes(value);
}

/** What one audit entry says. Details hold ids, names, fingerprints and field names: never a token or an API key. */
export interface AuditRecord {
  actor_id: string | null;
  action: AuditAction;
  /** `global`, `org:<id>`, `user:<id>`, `model:<id>`, `route:<METHOD> <pattern>`. */
  target: string;
  details: Record<string, unknown>;
}

/** Published on `audit.recorded` (stream AUDIT) by the service that made the change. */
export interface AuditRecordedEvent extends AuditRecord {
  type: 'audit.recorded';
  schema: 1;
  /** Unique per event: the Nats-Msg-Id and the audit log's idempotency key. */
  id: string;
  at: string;
}

/** A new event with its own id and time, ready to publish (or to put into an outbox). */
export function auditEvent(record: AuditRecord, at: Date = new Date()): AuditRecordedEvent {
  return { type: 'audit.recorded', schema: 1, id: randomUUID(), at: at.toISOString(), ...record };
}

/** Targets, one spelling each. */
export const auditTargets = {
  token: (scope: Scope, scopeId: string | null): string => scopeKey(scope, scopeId),
  user: (id: string): string => `user:${id}`,
  model: (id: string): string => `model:${id}`,
  route: (method: string, pattern: string): string => `route:${method} ${pattern}`,
};

/** Details of `token.set` / `token.clear`. */
export interface TokenAuditDetails {
  scope: Scope;
  scope_id: string | null;
  version: number;
  old_fingerprint: string | null;
  new_fingerprint: string | null;
  /** docs/reference/hub.md: what the Hub said about the new token (null for a clear). */
  hub_status?: string | null;
  hub_owner?: string | null;
  hub_role?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TARGET = 1024;
/** A details object larger than this is refused: an entry describes a change, it does not carry data. */
const MAX_DETAILS_BYTES = 16 * 1024;

/** The one check of an `audit.recorded` message. */
export function parseAuditRecorded(bytes: Uint8Array): ParseResult<AuditRecordedEvent> {
  const json = parseJsonObject(bytes);
  if (!json.ok) return json;
  const e = json.value;
  const errors: FieldError[] = [];
  if (e.type !== 'audit.recorded') errors.push({ field: 'type', message: 'must be "audit.recorded"' });
  if (e.schema !== 1) errors.push({ field: 'schema', message: 'must be 1' });
  if (typeof e.id !== 'string' || !UUID.test(e.id)) errors.push({ field: 'id', message: 'must be a UUID' });
  if (typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) errors.push({ field: 'at', message: 'must be an ISO 8601 time' });
  if (e.actor_id !== null && (typeof e.actor_id !== 'string' || !UUID.test(e.actor_id))) errors.push({ field: 'actor_id', message: 'must be a UUID or null' });
  if (!isAuditAction(e.action)) errors.push({ field: 'action', message: `must be one of ${AUDIT_ACTIONS.join(', ')}` });
  if (typeof e.target !== 'string' || e.target === '' || e.target.length > MAX_TARGET)
    errors.push({ field: 'target', message: `must be a string of 1 to ${MAX_TARGET} characters` });
  if (!isRecord(e.details)) errors.push({ field: 'details', message: 'must be a JSON object' });
  else if (JSON.stringify(e.details).length > MAX_DETAILS_BYTES)
    errors.push({ field: 'details', message: `must be at most ${MAX_DETAILS_BYTES} bytes of JSON` });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: e as unknown as AuditRecordedEvent };
}

/** One item of `GET /api/v1/audit`. */
export interface AuditEntryView {
  id: string;
  at: string;
  actor_id: string | null;
  actor_name: string | null;
  action: AuditAction;
  target: string;
  details: Record<string, unknown>;
}

/** `GET /api/v1/audit`: newest first; `next` is the cursor for `before`, null on the last page. */
export interface AuditPageView {
  items: AuditEntryView[];
  next: string | null;
}

export const AUDIT_LIMIT_DEFAULT = 50;
export const AUDIT_LIMIT_MAX = 200;
