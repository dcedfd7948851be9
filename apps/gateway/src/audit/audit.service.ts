import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { EntityManager } from 'typeorm';
import { auditEvent, type AuditPageView, type AuditRecord } from '@helix/contracts';
import { AuditLogRepository } from './audit-log.repository';
import { encodeCursor, type AuditQuery } from './audit-query';

/**
 * The gateway's side of the audit log: it records what it decides itself (users, refused admin
 * calls) directly, what other services change arrives through the AUDIT stream (AuditConsumer).
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly log: AuditLogRepository,
    @InjectPinoLogger('AuditService') private readonly logger: PinoLogger,
  ) {}

  /** Records in the caller's transaction, so the change and its entry commit together. */
  async recordIn(tx: EntityManager, record: AuditRecord): Promise<void> {
    await this.log.insertIfAbsent(auditEvent(record), tx);
  }

  /** Best effort: for events that change nothing (a refused call); a failure is logged, never thrown. */
  async recordQuietly(record: AuditRecord): Promise<void> {
    try {
      await this.log.insertIfAbsent(auditEvent(record));
    } catch (err) {
      this.logger.warn({ err, action: record.action }, 'could not record an audit entry');
    }
  }

  async page(query: AuditQuery): Promise<AuditPageView> {
    const page = await this.log.page(query);
    return { items: page.items, next: page.next ? encodeCursor(page.next) : null };
  }
}
