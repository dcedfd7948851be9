import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { encodeJson, InjectNats, isNoResponders, isStreamNotFound, isTimeout, NatsLink } from '@helix/nats';
import { Counter, Gauge } from 'prom-client';
import { SingleFlight } from '@helix/tasks';
import { AUDIT_RECORDED, SETTINGS_SIGNATURE_HEADER } from '@helix/contracts';
import { REQUEST_ID_HEADER } from '@helix/logging';
import { EventSigner } from '@helix/secrets';
import { SettingsStreams } from '../streams/settings-streams';
import { OutboxRepository, type PendingEvent } from './outbox.repository';

const POLL_MS = 1_000;
const BATCH = 100;
/**
 * A publish right after NATS restarts can go unanswered while JetStream recovers its streams; a
 * short timeout and an immediate retry (the Nats-Msg-Id makes a retry safe) keep a rotation from
 * waiting out a long one.
 */
const PUBLISH_TIMEOUT_MS = 1_000;
/** How soon a pass that found the publish lock taken tries again. */
const LOCK_RETRY_MS = 50;

const published = new Counter({
  name: 'helix_settings_outbox_published_total',
  help: 'outbox events (settings.updated, audit.recorded) published to JetStream',
});
/** The outbox lag, read from the database at each scrape (every replica reports the same table). */
let lagSource: OutboxRepository | undefined;
async function readLag(): Promise<{ pending: number; oldestAgeSeconds: number } | undefined> {
  try {
    return await lagSource?.lag();
  } catch {
    return undefined; // database unavailable: keep the last value rather than fail the whole scrape
  }
}
new Gauge({
  name: 'helix_settings_outbox_pending',
  help: 'outbox events (settings.updated, audit.recorded) committed but not yet published to JetStream',
  async collect() {
    const lag = await readLag();
    if (lag) this.set(lag.pending);
  },
});
new Gauge({
  name: 'helix_settings_outbox_oldest_age_seconds',
  help: 'age of the oldest outbox event not yet published (0 when the outbox is empty)',
  async collect() {
    const lag = await readLag();
    if (lag) this.set(lag.oldestAgeSeconds);
  },
});

/**
 * Publishes committed outbox rows to JetStream in commit order, and deletes each once JetStream
 * stored it. One replica drains at a time (an advisory lock), so versions of a subject are never
 * published out of order, and each publish carries a Nats-Msg-Id so a retry after a crash between
 * publish and commit is stored once.
 */
@Injectable()
export class OutboxPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly js: JetStreamClient;
  private readonly flight: SingleFlight;

  constructor(
    @InjectNats() nc: NatsConnection,
    private readonly link: NatsLink,
    private readonly outbox: OutboxRepository,
    private readonly streams: SettingsStreams,
    private readonly signer: EventSigner,
    @InjectPinoLogger('OutboxPublisher') private readonly logger: PinoLogger,
  ) {
    this.js = jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS });
    lagSource = outbox;
    this.flight = new SingleFlight(
      // A pass publishes the rows of many requests: its lines carry each row's own request id,
      // not the one of the request whose kick happened to start the pass.
      () => this.logger.runInContext(() => this.drainOnce()),
      (err) => this.logger.warn({ err }, 'outbox publish pass failed; will retry'),
    );
  }

  onApplicationBootstrap(): void {
    this.flight.every(POLL_MS);
    this.link.onReconnect(() => this.kick());
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flight.stop();
  }

  /** Asks for a drain now; concurrent kicks collapse into one more pass. */
  kick(): void {
    this.flight.kick();
  }

  /** Resolves once everything committed before the call has been published (or a pass failed). */
  async flush(): Promise<void> {
    this.kick();
    await this.flight.idle();
  }

  private async publish(row: PendingEvent): Promise<void> {
    const data = encodeJson(row.event);
    const h = headers();
    if (row.event.type === 'settings.updated') h.set(SETTINGS_SIGNATURE_HEADER, this.signer.sign(row.subject, data));
    if (row.requestId) h.set(REQUEST_ID_HEADER, row.requestId);
    await this.js.publish(row.subject, data, { msgID: row.msgId, headers: h });
  }

  private async drainOnce(): Promise<void> {
    // Not locked: another replica is draining or StreamRepair is comparing; either may have read the
    // outbox before our row was committed, so look again shortly rather than at the next poll.
    const locked = await this.outbox.tryWithPublishLock(BATCH, async (tx, rows) => {
      const done: string[] = [];
      // A subject that failed keeps its later rows for the next pass (order per subject). Other
      // subjects go on: a missing AUDIT stream (no gateway yet) never holds back a token change.
      const blocked = new Set<string>();
      for (const row of rows) {
        if (blocked.has(row.subject)) continue;
        try {
          await this.publish(row);
        } catch (err) {
          // NATS is down or the stream is missing: keep the rest for the next pass, in order.
          if (row.subject !== AUDIT_RECORDED && (isStreamNotFound(err) || isNoResponders(err))) await this.streams.ensure().catch(() => undefined);
          this.logger.warn({ subject: row.subject, err }, 'could not publish an outbox event yet; it stays in the outbox');
          if (isTimeout(err)) {
            this.kick();
            break;
          }
          blocked.add(row.subject);
          continue;
        }
        done.push(row.id);
        published.inc();
        logPublished(this.logger, row);
      }
      // Deleted when the pass commits: a crash before that republishes, and the Nats-Msg-Id drops the copy.
      await this.outbox.remove(tx, done);
      if (rows.length === BATCH) this.kick(); // more to do: one more pass right after this one
    });
    if (!locked) setTimeout(() => this.kick(), LOCK_RETRY_MS).unref();
  }
}

/** Each line carries the request id of the change that wrote the row (none for a repair). */
function logPublished(logger: PinoLogger, row: PendingEvent): void {
  const { event } = row;
  const request = row.requestId ? { request_id: row.requestId } : {};
  if (event.type === 'audit.recorded') logger.debug({ ...request, action: event.action, target: event.target }, 'published an audit event');
  else if (event.scope === 'global') logger.info({ ...request, version: event.version }, 'initiated system settings sync to all runners');
  else logger.info({ ...request, scope: event.scope, scope_id: event.scope_id, version: event.version }, 'initiated settings sync to all runners');
}
