import { AUDIT_ACTIONS, AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX, isAuditAction, type AuditAction, type FieldError, type ParseResult } from '@helix/contracts';

/** A position in the newest-first order: entries strictly older than (at, seq) come next. */
export interface AuditCursor {
  atMs: number;
  seq: string;
}

export interface AuditQuery {
  limit: number;
  before: AuditCursor | null;
  target: string | null;
  action: AuditAction | null;
}

const KNOWN = new Set(['limit', 'before', 'target', 'action']);
const CURSOR = /^v1:(\d{1,15}):(\d{1,19})$/;
const MAX_TARGET = 1024;

/** Opaque to clients: base64url of `v1:<epoch ms>:<seq>`. */
export function encodeCursor(cursor: AuditCursor): string {
  return Buffer.from(`v1:${cursor.atMs}:${cursor.seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string): AuditCursor | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) return null;
  const match = CURSOR.exec(Buffer.from(text, 'base64url').toString('utf8'));
  return match ? { atMs: Number(match[1]), seq: match[2] } : null;
}

/**
 * The query string of `GET /api/v1/audit`. Messages name the parameter and the expected form,
 * never the value that was sent.
 */
export function parseAuditQuery(query: Record<string, unknown> | undefined): ParseResult<AuditQuery> {
  const q = query ?? {};
  const errors: FieldError[] = [];
  if (Object.keys(q).some((k) => !KNOWN.has(k))) errors.push({ field: '(query)', message: 'only limit, before, target and action are known query parameters' });
  const one = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      errors.push({ field: name, message: `${name} must be given once` });
      return undefined;
    }
    return v;
  };
  let limit = AUDIT_LIMIT_DEFAULT;
  const limitText = one('limit');
  if (limitText !== undefined) {
    limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= AUDIT_LIMIT_MAX)) errors.push({ field: 'limit', message: `limit must be an integer from 1 to ${AUDIT_LIMIT_MAX}` });
  }
  let before: AuditCursor | null = null;
  const beforeText = one('before');
  if (beforeText !== undefined) {
    before = decodeCursor(beforeText);
    if (!before) errors.push({ field: 'before', message: 'before must be a cursor returned as "next" by this route' });
  }
  const target = one('target') ?? null;
  if (target !== null && (target.length < 1 || target.length > MAX_TARGET || /[\x00-\x1F\x7F]/.test(target)))
    errors.push({ field: 'target', message: `target must be 1 to ${MAX_TARGET} characters without control characters, e.g. global or model:<id>` });
  const action = one('action') ?? null;
  if (action !== null && !isAuditAction(action)) errors.push({ field: 'action', message: `action must be one of ${AUDIT_ACTIONS.join(', ')}` });
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { limit, before, target, action: action as AuditAction | null } };
}
