import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ClientBase } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { PinoLogger } from 'nestjs-pino';
import { SETTINGS_UPDATED_PREFIX } from '@helix/contracts';
import { currentRequestId } from '@helix/logging';
import { integerLiteral, preparedStatement, queryPrepared, ReadWithBegin, textLiteral } from '@helix/persistence';
import type { OutboxEvent } from '../entities';

/** One publisher at a time across replicas, so versions of a subject are published in commit order. */
const PUBLISH_LOCK = 'helix-settings-outbox';

// The statements of every change and of every publish pass (see queryPrepared in @helix/persistence).
/** The events in the order given: their ids, hence their publish order, follow it. */
const INSERT_EVENTS = preparedStatement(
  'settings.outbox.insert',
  `INSERT INTO settings.outbox (subject, msg_id, payload, request_id)
   SELECT e.subject, e.msg_id, e.payload::jsonb, e.request_id
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(subject, msg_id, payload, request_id, n)
    ORDER BY e.n`,
);
interface LockedRow {
  locked: boolean;
  id: string | null;
  subject: string;
  msg_id: string;
  payload: OutboxEvent;
  request_id: string | null;
}
/** Takes the publish lock without waiting and, if it got it, reads the oldest $2 events: one statement. */
const LOCK_AND_READ_OLDEST = new ReadWithBegin<LockedRow>(
  'settings_outbox_lock_and_read_oldest',
  ['text', 'integer'],
  `SELECT l.locked, o.id, o.subject, o.msg_id, o.payload, o.request_id
     FROM (SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked) l
     LEFT JOIN LATERAL (SELECT id, subject, msg_id, payload, request_id FROM settings.outbox ORDER BY id LIMIT $2) o ON l.locked
    ORDER BY o.id`,
);
const PENDING_SUBJECTS = preparedStatement('settings.outbox.pending-subjects', 'SELECT DISTINCT subject FROM settings.outbox WHERE subject = ANY($1::text[])');
const DELETE_EVENTS = preparedStatement('settings.outbox.delete', 'DELETE FROM settings.outbox WHERE id = ANY($1::bigint[])');

/** An event waiting to be published. */
export interface PendingEvent {
  id: string;
  subject: string;
  msgId: string;
  event: OutboxEvent;
  /** The gateway request id of the change, if it came from one. */
  requestId: string | null;
}

/**
 * All SQL of `settings.outbox`: events committed with the change that caused them, deleted once
 * JetStream stored them. The stream, not the outbox, then holds the published state, and
 * `settings.hf_tokens` can rebuild it (see StreamRepair), so the table stays small.
 */
@Injectable()
export class OutboxRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly logger: PinoLogger,
  ) {}

  /** Inside a NATS request, the row keeps the request's id (from the logging context) for the event's header. */
  async add(tx: EntityManager, subject: string, msgId: string, event: OutboxEvent): Promise<void> {
    await this.addAll(tx, [{ subject, msgId, event }]);
  }

  /**
   * Several events in one INSERT, in this order (their ids, hence their publish order, follow it).
   * Inside a NATS request, each row keeps the request's id (from the logging context) for the event's header.
   */
  async addAll(tx: EntityManager, events: Array<Omit<PendingEvent, 'id' | 'requestId'>>): Promise<void> {
    const requestId = currentRequestId(this.logger) ?? null;
    await queryPrepared(tx, INSERT_EVENTS, [
      events.map((e) => e.subject),
      events.map((e) => e.msgId),
      events.map((e) => JSON.stringify(e.event)),
      events.map(() => requestId),
    ]);
  }

  /**
   * Runs `work` on the oldest `limit` events (commit order of each subject) holding the publish lock,
   * or returns false at once if another replica holds it. BEGIN, taking the lock and reading the
   * events are one message (see ReadWithBegin): the publish of a change waits on one round trip to
   * Postgres, not three.
   */
  async tryWithPublishLock(limit: number, work: (tx: EntityManager, oldest: PendingEvent[]) => Promise<void>): Promise<boolean> {
    const runner = this.db.createQueryRunner();
    const client: ClientBase = await runner.connect();
    try {
      const rows = await LOCK_AND_READ_OLDEST.begin(client, null, [textLiteral(PUBLISH_LOCK), integerLiteral(limit)]);
      if (rows[0]?.locked) {
        await work(
          runner.manager,
          rows.filter((r) => r.id !== null).map((r) => ({ id: String(r.id), subject: r.subject, msgId: r.msg_id, event: r.payload, requestId: r.request_id })),
        );
      }
      await runner.query('COMMIT');
      return rows[0]?.locked === true;
    } catch (err) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  /** Runs `work` holding the publish lock, waiting for a running publish pass to end. */
  withPublishLock<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [PUBLISH_LOCK]);
      return work(tx);
    });
  }

  /** Which of `subjects` have an event waiting to be published (one query for a chunk of scopes). */
  async pendingSubjects(tx: EntityManager, subjects: string[]): Promise<Set<string>> {
    if (subjects.length === 0) return new Set();
    const rows: Array<{ subject: string }> = await queryPrepared(tx, PENDING_SUBJECTS, [subjects]);
    return new Set(rows.map((r) => r.subject));
  }

  /**
   * Whether a committed settings change (any scope) is not in the SETTINGS stream yet. Audit rows do
   * not count; a row an older replica marked published is in the stream. Uses the partial index on
   * unpublished rows, and the table holds only what is waiting, so the cost does not grow with scopes.
   */
  async hasPendingSettings(): Promise<boolean> {
    const [{ pending }]: Array<{ pending: boolean }> = await this.db.query(
      `SELECT EXISTS (SELECT 1 FROM settings.outbox WHERE published_at IS NULL AND subject LIKE $1) AS pending`,
      [`${SETTINGS_UPDATED_PREFIX}.%`],
    );
    return pending;
  }

  /** Events waiting to be published, and the age in seconds of the oldest (0 when none): the outbox lag. */
  async lag(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const [row]: Array<{ pending: string; age: string | null }> = await this.db.query(
      'SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at)) AS age FROM settings.outbox WHERE published_at IS NULL',
    );
    return { pending: Number(row.pending), oldestAgeSeconds: row.age === null ? 0 : Math.max(0, Number(row.age)) };
  }

  /** After JetStream stored the events (one statement for a publish pass). */
  async remove(tx: EntityManager, ids: string[]): Promise<void> {
    if (ids.length > 0) await queryPrepared(tx, DELETE_EVENTS, [ids]);
  }
}
