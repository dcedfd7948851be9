import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditEntryView, AuditRecordedEvent } from '@helix/contracts';
import { preparedStatement, queryPrepared } from '@helix/persistence';
import type { AuditCursor, AuditQuery } from './audit-query';

export interface AuditPage {
  items: AuditEntryView[];
  /** The position of the last item when more may follow. */
  next: AuditCursor | null;
}

interface Row {
  seq: string;
  id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string | null;
  action: AuditEntryView['action'];
  target: string;
  details: Record<string, unknown>;
}

// Every audited change of every service (see queryPrepared in @helix/persistence).
const INSERT_IF_ABSENT = preparedStatement(
  'gateway.audit-log.insert-if-absent',
  `INSERT INTO gateway.audit_log (id, at, actor_id, action, target, details)
   VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (id) DO NOTHING RETURNING seq`,
);

/**
 * The only code that touches gateway.audit_log. Append-only: insert and list, nothing else. Reads
 * the actor's name from gateway.users (owned by UserRepository) in the same query.
 */
@Injectable()
export class AuditLogRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores the event unless its id is already there (a redelivery); true when this call stored it. */
  async insertIfAbsent(event: AuditRecordedEvent, tx?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await queryPrepared(tx ?? this.db.manager, INSERT_IF_ABSENT, [
      event.id,
      event.at,
      event.actor_id,
      event.action,
      event.target,
      JSON.stringify(event.details),
    ]);
    return rows.length > 0;
  }

  /** Newest first (by the producer's time, then by arrival); `limit + 1` rows tell whether more follow. */
  async page(query: AuditQuery): Promise<AuditPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => `$${params.push(v)}`;
    if (query.target !== null) where.push(`a.target = ${param(query.target)}`);
    if (query.action !== null) where.push(`a.action = ${param(query.action)}`);
    if (query.before) where.push(`(a.at, a.seq) < (${param(new Date(query.before.atMs))}::timestamptz, ${param(query.before.seq)}::bigint)`);
    const rows: Row[] = await this.db.query(
      `SELECT a.seq, a.id, a.at, a.actor_id, u.name AS actor_name, a.action, a.target, a.details
         FROM gateway.audit_log a LEFT JOIN gateway.users u ON u.id = a.actor_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY a.at DESC, a.seq DESC
        LIMIT ${param(query.limit + 1)}`,
      params,
    );
    const more = rows.length > query.limit;
    const shown = rows.slice(0, query.limit);
    const last = shown.at(-1);
    return {
      items: shown.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actor_id: r.actor_id,
        actor_name: r.actor_name,
        action: r.action,
        target: r.target,
        details: r.details,
      })),
      next: more && last ? { atMs: last.at.getTime(), seq: String(last.seq) } : null,
    };
  }
}
