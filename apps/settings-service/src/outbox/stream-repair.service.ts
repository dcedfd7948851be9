import { performance } from 'node:perf_hooks';
import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { EntityManager } from 'typeorm';
import { scopeOfSettingsSubject, SETTINGS_UPDATED_ALL, settingsSubject } from '@helix/contracts';
import { InjectNats, NatsLink } from '@helix/nats';
import { SingleFlight } from '@helix/tasks';
import { HfTokenRepository, scopeIdOf } from '../tokens/hf-token.repository';
import { SettingsEventFactory } from '../settings/settings-event.factory';
import { SettingsStreams, type StreamHead } from '../streams/settings-streams';
import type { HfTokenEntity, OutboxEvent } from '../entities';
import { OutboxRepository } from './outbox.repository';
import { OutboxPublisher } from './outbox.publisher';
import { VerifiedHeadRepository, type VerifiedHead } from './verified-head.repository';

/** Quiet time on `settings.updated.>` before the subjects seen are compared with the database. */
const SETTLE_MS = 1_000;

/**
 * Scopes compared per hold of the publish lock: publishing waits for one chunk at most, never for a
 * whole comparison (10,000 scopes in one hold kept every change unpublished for 13 s).
 */
export const REPAIR_CHUNK = 256;
/** Stream heads asked for at once within a chunk. */
const HEADS_IN_FLIGHT = 16;
/** More subjects seen than this between two passes: compare everything instead of remembering them. */
const MAX_SEEN = 10_000;

/** The part of a pino logger the repair uses. */
interface RepairLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Compares the SETTINGS stream, the state runners replay, with Postgres, and queues the current
 * event of every scope whose last stream message is not the stored version.
 */
export class StreamRepair {
  constructor(
    private readonly tokens: Pick<HfTokenRepository, 'listChangedPage' | 'findChanged'>,
    private readonly outbox: Pick<OutboxRepository, 'withPublishLock' | 'pendingSubjects' | 'addAll'>,
    private readonly streams: Pick<SettingsStreams, 'ensure' | 'head'>,
    private readonly verifiedHeads: Pick<VerifiedHeadRepository, 'digests' | 'record'>,
    private readonly events: Pick<SettingsEventFactory, 'forStoredRow' | 'sealingKid'>,
    private readonly logger: RepairLogger,
    /**
     * Awaited between chunks: the outbox publisher's turn, so changes made meanwhile (and events a chunk
     * queued) go out during a long comparison instead of after it. Its try-lock alone would find the
     * lock taken by the next chunk nearly every time.
     */
    private readonly betweenChunks: () => Promise<void> = async () => undefined,
  ) {}

  /** Every scope that has had a change, a chunk at a time (start-up, reconnect: the stream may be new). */
  async repairAll(): Promise<number> {
    const started = performance.now();
    await this.streams.ensure();
    let scopes = 0;
    let requeued = 0;
    let after: HfTokenEntity | null = null;
    do {
      if (after) await this.betweenChunks();
      const chunk: { compared: number; requeued: number; last: HfTokenEntity | null } = await this.outbox.withPublishLock(async (tx) => {
        const rows = await this.tokens.listChangedPage(tx, after, REPAIR_CHUNK);
        return { compared: rows.length, requeued: await this.compare(tx, rows), last: rows.length === REPAIR_CHUNK ? rows[rows.length - 1] : null };
      });
      scopes += chunk.compared;
      requeued += chunk.requeued;
      after = chunk.last;
    } while (after);
    // Rare (start-up, reconnect) and long with many scopes: worth a line with its duration.
    this.logger.info({ scopes, requeued, duration_ms: Math.round(performance.now() - started) }, 'compared every scope with the settings stream');
    return requeued;
  }

  /** Only the scopes of `subjects` (those seen on the stream since the last comparison). */
  async repairSubjects(subjects: Iterable<string>): Promise<number> {
    const refs = [...subjects].map(scopeOfSettingsSubject).filter((ref) => ref !== null);
    if (refs.length === 0) return 0;
    await this.streams.ensure();
    let requeued = 0;
    for (let i = 0; i < refs.length; i += REPAIR_CHUNK) {
      if (i > 0) await this.betweenChunks();
      const chunk = refs.slice(i, i + REPAIR_CHUNK);
      requeued += await this.outbox.withPublishLock(async (tx) => this.compare(tx, await this.tokens.findChanged(tx, chunk)));
    }
    return requeued;
  }

  /**
   * Under the outbox publish lock, so an event being published right now is neither missed nor taken
   * for a gap; `rows` are read under the lock too: read before it, they could be older than what
   * another replica published while we waited, and that newer event would look like one "the database
   * never had" (the older version would then be published after it). A stream that cannot be read
   * throws: only an answer from JetStream counts as "behind". A head whose digest was kept when it
   * was last verified is not verified again; a newly verified one has its digest kept.
   */
  private async compare(tx: EntityManager, rows: HfTokenEntity[]): Promise<number> {
    const subjects = rows.map((row) => settingsSubject(row.scope, scopeIdOf(row)));
    const pending = await this.outbox.pendingSubjects(tx, subjects); // already on their way
    const todo = rows.map((row, i) => ({ row, subject: subjects[i] })).filter(({ subject }) => !pending.has(subject));
    const verified = await this.verifiedHeads.digests(
      tx,
      todo.map(({ subject }) => subject),
    );
    const newlyVerified: VerifiedHead[] = [];
    const queued: Array<{ subject: string; msgId: string; event: OutboxEvent }> = [];
    for (let i = 0; i < todo.length; i += HEADS_IN_FLIGHT) {
      const wave = todo.slice(i, i + HEADS_IN_FLIGHT);
      const heads = await Promise.all(wave.map(({ subject }) => this.streams.head(subject, verified.get(subject))));
      wave.forEach(({ row, subject }, k) => {
        const head = heads[k];
        if (head.kind === 'event' && !verified.get(subject)?.equals(head.digest)) newlyVerified.push({ subject, digest: head.digest });
        const resealed = head.kind === 'event' && head.version === row.version && head.kid !== null && head.kid !== this.events.sealingKid;
        if (head.kind === 'event' && head.version === row.version && !resealed) return;
        // The stored token, not an old event, is the source of truth; a fresh Nats-Msg-Id gets past the duplicate window.
        queued.push({ subject, msgId: `${subject}@${row.version}~repair-${Date.now()}`, event: this.events.forStoredRow(row) });
        this.explain(row, head, resealed);
      });
    }
    await this.verifiedHeads.record(tx, newlyVerified);
    if (queued.length > 0) await this.outbox.addAll(tx, queued);
    return queued.length;
  }

  private explain(row: HfTokenEntity, head: StreamHead, resealed: boolean): void {
    const where = { scope: row.scope, scope_id: scopeIdOf(row), version: row.version };
    if (resealed) {
      // HELIX_SETTINGS_KEY rotation: the same version again, sealed with the new first key, so the old key can be removed.
      this.logger.info(
        { ...where, kid: head.kind === 'event' ? head.kid : null, new_kid: this.events.sealingKid },
        'settings stream holds a token sealed with an older settings key; publishing it again with the current key',
      );
    } else if (head.kind === 'event' && head.version > row.version) {
      this.logger.warn(
        { ...where, stream_version: head.version },
        'settings stream holds a version the database never had; publishing the current state again',
      );
    } else if (head.kind === 'invalid') {
      this.logger.warn({ ...where, stream_version: null }, 'settings stream ends with an invalid event; publishing the current state again');
    } else {
      this.logger.warn(
        { ...where, stream_version: head.kind === 'event' ? head.version : 0 },
        'settings stream was behind the database; publishing the current state again',
      );
    }
  }
}

/**
 * Runs StreamRepair over every scope at start-up and after every reconnect (NATS may have come back
 * without its store), and over the subjects that had messages a second after messages on
 * `settings.updated.>` settle (someone may have published an event that is not the stored state:
 * runners that join would replay it).
 */
@Injectable()
export class StreamRepairScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly repair: StreamRepair;
  private readonly flight: SingleFlight;
  private subscription?: Subscription;
  private settleTimer?: NodeJS.Timeout;
  /** The next pass compares every scope (start-up, reconnect, a failed full pass, too many subjects seen). */
  private full = true;
  /** Subjects that had messages since the last pass. */
  private seen = new Set<string>();

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly link: NatsLink,
    tokens: HfTokenRepository,
    outbox: OutboxRepository,
    streams: SettingsStreams,
    verifiedHeads: VerifiedHeadRepository,
    events: SettingsEventFactory,
    publisher: OutboxPublisher,
    @InjectPinoLogger('StreamRepair') private readonly logger: PinoLogger,
  ) {
    this.repair = new StreamRepair(tokens, outbox, streams, verifiedHeads, events, logger, () => this.publisherTurn(publisher));
    this.flight = new SingleFlight(
      async () => {
        if ((await this.pass()) > 0) publisher.kick();
      },
      (err) => {
        if (!this.stopping.signal.aborted) this.logger.warn({ err }, 'could not compare the settings stream with the database');
      },
    );
  }

  private readonly stopping = new AbortController();

  /**
   * The publisher's turn between chunks. With NATS down its passes retry until NATS is back, and so
   * does this wait; on shutdown it ends, and so does the comparison (the next start compares again).
   */
  private async publisherTurn(publisher: Pick<OutboxPublisher, 'flush'>): Promise<void> {
    const { signal } = this.stopping;
    await Promise.race([publisher.flush(), new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
    if (signal.aborted) throw new Error('the settings-service is shutting down');
  }

  onApplicationBootstrap(): void {
    this.flight.kick();
    this.link.onReconnect(() => {
      this.full = true;
      this.flight.kick();
    });
    // After messages on the stream have settled, not on each one: a comparison holds the publish lock,
    // and running it during a burst of rotations would delay their publishing.
    this.subscription = this.nc.subscribe(SETTINGS_UPDATED_ALL, {
      callback: (_err, msg) => {
        if (this.seen.size < MAX_SEEN) this.seen.add(msg.subject);
        else this.full = true;
        clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(() => this.flight.kick(), SETTLE_MS);
        this.settleTimer.unref();
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    this.subscription?.unsubscribe();
    clearTimeout(this.settleTimer);
    await this.flight.stop();
  }

  /** Returns how many scopes were queued for publishing again. */
  private async pass(): Promise<number> {
    const full = this.full;
    const subjects = this.seen;
    this.full = false;
    this.seen = new Set();
    try {
      return full ? await this.repair.repairAll() : await this.repair.repairSubjects(subjects);
    } catch (err) {
      // Compared again at the next pass.
      if (full) this.full = true;
      else for (const subject of subjects) this.seen.add(subject);
      throw err;
    }
  }
}
