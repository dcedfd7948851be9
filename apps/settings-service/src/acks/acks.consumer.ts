import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { RUNNER_ID_PATTERN, SCOPES, SETTINGS_ACKS_CONSUMER, SETTINGS_ACKS_STREAM, SETTINGS_APPLIED, type SettingsAppliedEvent } from '@helix/contracts';
import { decodeJson } from '@helix/nats';
import { Counter } from 'prom-client';
import { NATS_CONNECTION } from '../infrastructure';

const recorded = new Counter({ name: 'helix_settings_acks_recorded_total', help: 'settings.applied acknowledgements recorded' });

/**
 * Records `settings.applied` from runners. Acks are captured by the SETTINGS_ACKS work-queue stream
 * and read through one durable consumer shared by all replicas, so none is lost while the service
 * or Postgres is down, and each is recorded by one replica.
 */
@Injectable()
export class AcksConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private messages?: ConsumerMessages;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @InjectPinoLogger('AcksConsumer') private readonly logger: PinoLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    await jsm.consumers
      .add(SETTINGS_ACKS_STREAM, {
        durable_name: SETTINGS_ACKS_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: SETTINGS_APPLIED,
        ack_wait: 30_000_000_000,
      })
      .catch((err) => {
        if (!/already (exists|in use)/i.test(String(err?.message))) throw err;
      });
    void this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const consumer = await jetstream(this.nc).consumers.get(SETTINGS_ACKS_STREAM, SETTINGS_ACKS_CONSUMER);
        this.messages = await consumer.consume({ max_messages: 100 });
        for await (const msg of this.messages) await this.handle(msg);
      } catch (err) {
        if (this.stopped) return;
        this.logger.warn({ err: { message: (err as Error).message } }, 'settings.applied consumer interrupted; resuming');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private async handle(msg: JsMsg): Promise<void> {
    let ack: SettingsAppliedEvent;
    try {
      ack = decodeJson<SettingsAppliedEvent>(msg.data);
    } catch {
      msg.term();
      return;
    }
    if (!isValidAck(ack)) {
      this.logger.warn({ subject: msg.subject }, 'ignored a malformed settings.applied message');
      msg.term();
      return;
    }
    try {
      await this.db.query(
        `INSERT INTO settings.runner_acks (runner_id, scope, scope_id, version, hf_token_provided, applied_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (runner_id, scope, scope_id) DO UPDATE
           SET version = EXCLUDED.version, hf_token_provided = EXCLUDED.hf_token_provided, applied_at = EXCLUDED.applied_at
           WHERE settings.runner_acks.version <= EXCLUDED.version`,
        [ack.runner_id, ack.scope, ack.scope_id ?? '', ack.version, ack.hf_token_provided],
      );
    } catch (err) {
      // Postgres is unavailable: the ack stays in the stream and comes back.
      this.logger.warn({ err: { message: (err as Error).message } }, 'could not record settings.applied yet');
      msg.nak(2_000);
      return;
    }
    msg.ack();
    recorded.inc();
    if (ack.scope === 'global') {
      this.logger.info({ runner_id: ack.runner_id, hf_token_sent: ack.hf_token_provided, version: ack.version }, 'successfully synced system settings to runner');
    } else {
      this.logger.info({ runner_id: ack.runner_id, scope: ack.scope, scope_id: ack.scope_id, version: ack.version, hf_token_sent: ack.hf_token_provided }, 'successfully synced settings to runner');
    }
  }
}

function isValidAck(a: SettingsAppliedEvent): boolean {
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof a.runner_id === 'string' &&
    RUNNER_ID_PATTERN.test(a.runner_id) &&
    (SCOPES as readonly string[]).includes(a.scope) &&
    Number.isSafeInteger(a.version) &&
    a.version >= 0 &&
    typeof a.hf_token_provided === 'boolean'
  );
}
