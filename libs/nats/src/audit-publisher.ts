import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { AUDIT_RECORDED, auditEvent, type AuditRecord, type AuditRecordedEvent } from '@helix/contracts';
import { encodeJson } from './codec';
import type { ConsumerLogger } from './consumer-loop';

export interface AuditPublisherOptions {
  /** First pause after a failed publish; doubles up to `maxRetryMs`. Default 500 ms. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Events held while JetStream cannot store them; beyond this the oldest is dropped (and logged). Default 10 000. */
  maxQueued?: number;
  /** How long shutdown waits for queued events. Default 3 s. */
  shutdownMs?: number;
}

/**
 * For a service without an outbox: publishes `audit.recorded` after a change committed, in order,
 * retrying until JetStream stored it (the event id is the Nats-Msg-Id, so a retry whose first
 * attempt was stored is dropped by the stream, and the gateway stores each id once).
 * At-least-once while the process lives: an event queued when the process dies is lost (see
 * docs/architecture.md, "Audit log"); the settings-service uses its outbox instead.
 */
export class AuditPublisher {
  private readonly js: JetStreamClient;
  private readonly queue: AuditRecordedEvent[] = [];
  private draining?: Promise<void>;
  private stopped = false;

  constructor(
    nc: NatsConnection,
    private readonly logger: ConsumerLogger,
    private readonly options: AuditPublisherOptions = {},
  ) {
    this.js = jetstream(nc, { timeout: 2_000 });
  }

  /** Queues the entry of a committed change; never throws, never waits. */
  record(record: AuditRecord): AuditRecordedEvent {
    const event = auditEvent(record);
    this.queue.push(event);
    const max = this.options.maxQueued ?? 10_000;
    while (this.queue.length > max) {
      const dropped = this.queue.shift()!;
      this.logger.error({ action: dropped.action, target: dropped.target, id: dropped.id }, 'dropped an audit event: too many waiting for JetStream');
    }
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return event;
  }

  /** Resolves once everything queued so far was stored (or publishing stopped). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Gives queued events a little time, then stops retrying. */
  async stop(): Promise<void> {
    const waited = this.flush();
    await Promise.race([waited, new Promise((r) => setTimeout(r, this.options.shutdownMs ?? 3_000).unref())]);
    this.stopped = true;
    if (this.queue.length) this.logger.warn({ waiting: this.queue.length }, 'audit events not yet published at shutdown');
  }

  private async drain(): Promise<void> {
    let pause = this.options.retryMs ?? 500;
    while (this.queue.length && !this.stopped) {
      const event = this.queue[0];
      try {
        await this.js.publish(AUDIT_RECORDED, encodeJson(event), { msgID: event.id });
        this.queue.shift();
        pause = this.options.retryMs ?? 500;
      } catch (err) {
        this.logger.warn({ err, action: event.action, waiting: this.queue.length }, 'could not publish an audit event yet; retrying');
        await new Promise((r) => setTimeout(r, pause));
        pause = Math.min(pause * 2, this.options.maxRetryMs ?? 10_000);
      }
    }
  }
}
