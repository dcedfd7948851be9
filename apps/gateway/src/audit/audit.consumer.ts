import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { AUDIT_CONSUMER, AUDIT_RECORDED, AUDIT_STREAM, describeFieldErrors, parseAuditRecorded } from '@helix/contracts';
import { ensureAuditStream, InjectNats, NatsLink, runConsumer, type ConsumerLoop } from '@helix/nats';
import { Counter } from 'prom-client';
import { AuditLogRepository } from './audit-log.repository';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';

const recorded = new Counter({ name: 'helix_gateway_audit_recorded_total', help: 'audit.recorded events stored in the audit log' });
const ignored = new Counter({ name: 'helix_gateway_audit_ignored_total', help: 'audit.recorded messages that did not parse' });

/**
 * The gateway owns the AUDIT stream and reads it through one durable consumer shared by all
 * replicas; each event is stored once (its id is unique in gateway.audit_log), so a redelivery
 * after a crash between insert and ack changes nothing.
 */
@Injectable()
export class AuditConsumer implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private loop?: ConsumerLoop;

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly link: NatsLink,
    private readonly log: AuditLogRepository,
    @InjectPinoLogger('AuditConsumer') private readonly logger: PinoLogger,
    @Inject(GATEWAY_CONFIG) private readonly config: Pick<GatewayConfig, 'HELIX_NATS_STREAM_REPLICAS'>,
  ) {}

  /** Creates the AUDIT stream or applies its config (HELIX_NATS_STREAM_REPLICAS included). */
  private ensureStream(): Promise<void> {
    return ensureAuditStream(this.nc, { replicas: this.config.HELIX_NATS_STREAM_REPLICAS });
  }

  async onModuleInit(): Promise<void> {
    await this.ensureStream();
    // NATS may come back without its store: the stream is created again.
    this.link.onReconnect(() => void this.ensureStream().catch((err) => this.logger.warn({ err }, 'could not ensure the AUDIT stream yet')));
  }

  onApplicationBootstrap(): void {
    this.loop = runConsumer({
      name: AUDIT_RECORDED,
      nc: this.nc,
      logger: this.logger,
      open: () => this.open(),
      handle: (msg) => this.handle(msg),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  private async open(): Promise<ConsumerMessages> {
    await this.ensureStream();
    const jsm = await jetstreamManager(this.nc);
    await jsm.consumers.add(AUDIT_STREAM, {
      durable_name: AUDIT_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: AUDIT_RECORDED,
      ack_wait: nanos(30_000),
    });
    const consumer = await jetstream(this.nc).consumers.get(AUDIT_STREAM, AUDIT_CONSUMER);
    return consumer.consume({ max_messages: 100 });
  }

  private async handle(msg: JsMsg): Promise<void> {
    const parsed = parseAuditRecorded(msg.data);
    if (!parsed.ok) {
      ignored.inc();
      this.logger.warn({ subject: msg.subject, seq: msg.seq, problem: describeFieldErrors(parsed.errors) }, 'ignored a malformed audit.recorded message');
      msg.term();
      return;
    }
    try {
      await this.log.insertIfAbsent(parsed.value);
    } catch (err) {
      // Postgres is unavailable: the event stays in the stream and comes back.
      this.logger.warn({ err }, 'could not record an audit event yet');
      msg.nak(2_000);
      return;
    }
    msg.ack();
    recorded.inc();
  }
}
