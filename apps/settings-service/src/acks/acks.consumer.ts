import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import {
  describeFieldErrors,
  parseSettingsAppliedMessage,
  runnerIdOfSubject,
  SETTINGS_ACKS_CONSUMER,
  SETTINGS_ACKS_STREAM,
  SETTINGS_APPLIED_ALL,
} from '@helix/contracts';
import { InjectNats, runConsumer, type ConsumerLoop } from '@helix/nats';
import { Counter } from 'prom-client';
import { GroupCommit } from '@helix/tasks';
import type { SettingsAppliedEvent } from '@helix/contracts';
import { RunnerAckRepository } from './runner-ack.repository';

/** Messages handed to the batch writer and not yet acknowledged: above this, the consumer waits. */
const MAX_ACKS_IN_FLIGHT = 5_000;

const recorded = new Counter({ name: 'helix_settings_acks_recorded_total', help: 'settings.applied acknowledgements recorded' });

/**
 * Records `settings.applied` from runners. Acks are captured by the SETTINGS_ACKS work-queue stream
 * and read through one durable consumer shared by all replicas, so none is lost while the service
 * or Postgres is down, and each is recorded by one replica. The messages of a rotation arrive
 * together (one per runner): they are recorded by group commit, one statement for all that queued
 * while the previous one ran, and each message is acknowledged once its statement committed.
 */
@Injectable()
export class AcksConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private loop?: ConsumerLoop;
  private readonly writer: GroupCommit<SettingsAppliedEvent>;

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    acks: RunnerAckRepository,
    @InjectPinoLogger('AcksConsumer') private readonly logger: PinoLogger,
  ) {
    this.writer = new GroupCommit((batch) => acks.record(batch), 2_000);
  }

  onApplicationBootstrap(): void {
    this.loop = runConsumer({
      name: 'settings.applied',
      nc: this.nc,
      logger: this.logger,
      open: () => this.open(),
      handle: (msg) => this.handle(msg),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
    await this.writer.idle();
  }

  /** Adding a durable consumer with the same config is a no-op, and recreates it after a stream loss. */
  private async open(): Promise<ConsumerMessages> {
    const jsm = await jetstreamManager(this.nc);
    await jsm.consumers.add(SETTINGS_ACKS_STREAM, {
      durable_name: SETTINGS_ACKS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: SETTINGS_APPLIED_ALL,
      ack_wait: nanos(30_000),
    });
    const consumer = await jetstream(this.nc).consumers.get(SETTINGS_ACKS_STREAM, SETTINGS_ACKS_CONSUMER);
    return consumer.consume({ max_messages: 100 });
  }

  /** Returns before the acks are recorded (so the next messages join the same statement), unless too many wait. */
  async handle(msg: JsMsg): Promise<void> {
    const parsed = parseSettingsAppliedMessage(msg.data);
    if (!parsed.ok) {
      this.logger.warn({ subject: msg.subject, seq: msg.seq, problem: describeFieldErrors(parsed.errors) }, 'ignored a malformed settings.applied message');
      msg.term();
      return;
    }
    const acks = parsed.value;
    // NATS permissions let a runner publish only on its own subject; an ack naming another runner is forged.
    const sender = runnerIdOfSubject(msg.subject);
    const claimed = acks.find((ack) => ack.runner_id !== sender);
    if (claimed) {
      this.logger.warn({ subject: msg.subject, seq: msg.seq, runner_id: claimed.runner_id }, 'ignored a settings.applied message for another runner');
      msg.term();
      return;
    }
    const written = this.writer.add(acks).then(
      () => {
        msg.ack();
        this.recorded(acks);
      },
      (err: unknown) => {
        // Postgres is unavailable: the message stays in the stream and comes back.
        this.logger.warn({ err }, 'could not record settings.applied yet');
        msg.nak(2_000);
      },
    );
    if (this.writer.backlog > MAX_ACKS_IN_FLIGHT) await written;
  }

  private recorded(acks: SettingsAppliedEvent[]): void {
    recorded.inc(acks.length);
    const scoped = acks.filter((ack) => ack.scope !== 'global');
    for (const ack of acks) {
      if (ack.scope !== 'global') continue;
      this.logger.info(
        { runner_id: ack.runner_id, hf_token_sent: ack.hf_token_provided, version: ack.version },
        'successfully synced system settings to runner',
      );
    }
    if (scoped.length === 1) {
      const [ack] = scoped;
      this.logger.info(
        { runner_id: ack.runner_id, scope: ack.scope, scope_id: ack.scope_id, version: ack.version, hf_token_sent: ack.hf_token_provided },
        'successfully synced settings to runner',
      );
    } else if (scoped.length > 1) {
      // A replay's batch: one line, not one per scope.
      this.logger.info({ runner_id: scoped[0].runner_id, scopes: scoped.length }, 'successfully synced settings to runner');
    }
  }
}
