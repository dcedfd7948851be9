import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { SETTINGS_UPDATED_ALL, settingsSubject } from '@helix/contracts';
import { InjectNats, NatsLink } from '@helix/nats';
import { SingleFlight } from '@helix/tasks';
import { HfTokenRepository, scopeIdOf } from '../tokens/hf-token.repository';
import { SettingsEventFactory } from '../settings/settings-event.factory';
import { SettingsStreams } from '../streams/settings-streams';
import { OutboxRepository } from './outbox.repository';
import { OutboxPublisher } from './outbox.publisher';

/** Quiet time on `settings.updated.>` before the stream is compared with the database again. */
const SETTLE_MS = 1_000;

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
    private readonly tokens: Pick<HfTokenRepository, 'listChanged'>,
    private readonly outbox: Pick<OutboxRepository, 'withPublishLock' | 'hasPending' | 'add'>,
    private readonly streams: Pick<SettingsStreams, 'ensure' | 'head'>,
    private readonly events: Pick<SettingsEventFactory, 'forStoredRow' | 'sealingKid'>,
    private readonly logger: RepairLogger,
  ) {}

  /**
   * Returns how many scopes were queued for publishing again. Runs under the outbox publish lock, so
   * an event being published right now is neither missed nor taken for a gap; the stored versions
   * are read under the lock too: read before it, they could be older than what another replica
   * published while we waited, and that newer event would look like one "the database never had"
   * (the older version would then be published after it). A stream that cannot be read throws: only
   * an answer from JetStream counts as "behind".
   */
  async repair(): Promise<number> {
    await this.streams.ensure();
    return this.outbox.withPublishLock(async (tx) => {
      const rows = await this.tokens.listChanged(tx);
      let requeued = 0;
      for (const row of rows) {
        const scopeId = scopeIdOf(row);
        const subject = settingsSubject(row.scope, scopeId);
        if (await this.outbox.hasPending(tx, subject)) continue; // already on its way
        const head = await this.streams.head(subject);
        const resealed = head.kind === 'event' && head.version === row.version && head.kid !== null && head.kid !== this.events.sealingKid;
        if (head.kind === 'event' && head.version === row.version && !resealed) continue;
        // The stored token, not an old event, is the source of truth; a fresh Nats-Msg-Id gets past the duplicate window.
        await this.outbox.add(tx, subject, `${subject}@${row.version}~repair-${Date.now()}`, this.events.forStoredRow(row));
        requeued++;
        const where = { scope: row.scope, scope_id: scopeId, version: row.version };
        if (resealed) {
          // HELIX_SETTINGS_KEY rotation: the same version again, sealed with the new first key, so the old key can be removed.
          this.logger.info(
            { ...where, kid: head.kid, new_kid: this.events.sealingKid },
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
      return requeued;
    });
  }
}

/**
 * Runs StreamRepair at start-up, after every reconnect (NATS may have come back without its store)
 * and a second after messages on `settings.updated.>` settle (someone may have published an event
 * that is not the stored state: runners that join would replay it).
 */
@Injectable()
export class StreamRepairScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly repair: StreamRepair;
  private readonly flight: SingleFlight;
  private subscription?: Subscription;
  private settleTimer?: NodeJS.Timeout;

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly link: NatsLink,
    tokens: HfTokenRepository,
    outbox: OutboxRepository,
    streams: SettingsStreams,
    events: SettingsEventFactory,
    private readonly publisher: OutboxPublisher,
    @InjectPinoLogger('StreamRepair') private readonly logger: PinoLogger,
  ) {
    this.repair = new StreamRepair(tokens, outbox, streams, events, logger);
    this.flight = new SingleFlight(
      async () => {
        if ((await this.repair.repair()) > 0) this.publisher.kick();
      },
      (err) => this.logger.warn({ err }, 'could not compare the settings stream with the database'),
    );
  }

  onApplicationBootstrap(): void {
    this.flight.kick();
    this.link.onReconnect(() => this.flight.kick());
    // After messages on the stream have settled, not on each one: a comparison holds the publish lock,
    // and running it during a burst of rotations would delay their publishing.
    this.subscription = this.nc.subscribe(SETTINGS_UPDATED_ALL, {
      callback: () => {
        clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(() => this.flight.kick(), SETTLE_MS);
        this.settleTimer.unref();
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    clearTimeout(this.settleTimer);
    await this.flight.stop();
  }

  /** Runs a comparison now (tests). */
  async runOnce(): Promise<void> {
    this.flight.kick();
    await this.flight.idle();
  }
}
