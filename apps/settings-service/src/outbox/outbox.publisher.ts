import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { SettingsUpdatedEvent } from '@helix/contracts';
import { encodeJson, ensureSettingsStreams } from '@helix/nats';
import { Counter, Gauge } from 'prom-client';
import { SingleFlight } from '@helix/tasks';
import { OutboxEntity } from '../entities';
import { NATS_CONNECTION } from '../infrastructure';

const POLL_MS = 1_000;
const BATCH = 100;

const published = new Counter({ name: 'helix_settings_outbox_published_total', help: 'settings.updated events published to JetStream' });
const pending = new Gauge({ name: 'helix_settings_outbox_pending', help: 'outbox events not yet published (as last seen by this replica)' });

/**
 * Publishes committed outbox rows to JetStream in commit order. One replica drains at a time (an
 * advisory lock), so versions of a subject are never published out of order, and each publish
 * carries a Nats-Msg-Id so a retry after a crash between publish and commit is stored once.
 */
@Injectable()
export class OutboxPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly js: JetStreamClient;
  private readonly flight: SingleFlight;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @InjectPinoLogger('OutboxPublisher') private readonly logger: PinoLogger,
  ) {
    this.js = jetstream(nc, { timeout: 5_000 });
    this.flight = new SingleFlight(
      () => this.drainOnce(),
      (err) => this.logger.warn({ err: { message: err.message } }, 'outbox publish pass failed; will retry'),
    );
  }

  onApplicationBootstrap(): void {
    this.flight.every(POLL_MS);
    void this.watchReconnects();
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

  private async drainOnce(): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [{ locked }] = await tx.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', ['helix-settings-outbox']);
      if (!locked) return; // another replica is draining; its next pass sees our rows.
      const rows = await tx
        .getRepository(OutboxEntity)
        .createQueryBuilder('o')
        .where('o.published_at IS NULL')
        .orderBy('o.id', 'ASC')
        .limit(BATCH)
        .getMany();
      pending.set(rows.length);
      for (const row of rows) {
        try {
          await this.js.publish(row.subject, encodeJson(row.payload), { msgID: row.msgId });
        } catch (err) {
          // NATS is down or the stream is missing: keep the rest for the next pass, in order.
          if (/stream not found|no responders/i.test(String((err as Error).message))) await ensureSettingsStreams(this.nc).catch(() => undefined);
          this.logger.warn({ subject: row.subject, err: { message: (err as Error).message } }, 'could not publish settings event yet; it stays in the outbox');
          return;
        }
        await tx.getRepository(OutboxEntity).update({ id: row.id }, { publishedAt: new Date() });
        published.inc();
        pending.dec();
        const event = row.payload as unknown as SettingsUpdatedEvent;
        if (event.scope === 'global') this.logger.info({ version: event.version }, 'initiated system settings sync to all runners');
        else this.logger.info({ scope: event.scope, scope_id: event.scope_id, version: event.version }, 'initiated settings sync to all runners');
      }
      if (rows.length === BATCH) this.kick(); // more to do: one more pass right after this one
    });
  }

  private async watchReconnects(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'reconnect') this.kick();
    }
  }
}
