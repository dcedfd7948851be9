import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { scopeKey, SETTINGS_APPLIED, type SettingsAppliedEvent } from '@helix/contracts';
import { encodeJson } from '@helix/nats';

/** The part of a pino logger the publisher uses. */
interface AckLogger {
  warn(obj: object, msg: string): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

/**
 * Publishes `settings.applied` acks one at a time, in order, retrying with backoff until JetStream
 * stored each one, so an outage loses none. Only the newest ack per scope is worth sending (the
 * settings-service keeps the newest per runner and scope), so a newer ack replaces a queued older
 * one: a long replay or outage leaves at most one queued ack per scope.
 */
export class AckPublisher {
  private readonly queue = new Map<string, SettingsAppliedEvent>();
  private flushing: Promise<void> | null = null;
  private stopped = false;
  private wake?: () => void;

  constructor(
    private readonly send: (ack: SettingsAppliedEvent) => Promise<unknown>,
    private readonly logger: AckLogger,
  ) {}

  /** Publishes to the SETTINGS_ACKS stream (JetStream confirms each one). */
  static overJetStream(nc: NatsConnection, logger: AckLogger): AckPublisher {
    const js = jetstream(nc, { timeout: 5_000 });
    return new AckPublisher((ack) => js.publish(SETTINGS_APPLIED, encodeJson(ack)), logger);
  }

  enqueue(ack: SettingsAppliedEvent): void {
    if (this.stopped) return;
    const key = scopeKey(ack.scope, ack.scope_id);
    const queued = this.queue.get(key);
    if (queued && queued.version > ack.version) return;
    this.queue.set(key, ack); // an existing key keeps its place in the order
    this.flushing ??= this.flush().finally(() => (this.flushing = null));
  }

  /** Resolves once the queue is empty (or the publisher stopped). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** No more publishing; acks still queued are dropped (a restarted runner replays and acks again). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.flushing;
  }

  private async flush(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (this.queue.size > 0 && !this.stopped) {
      const [key, ack] = this.queue.entries().next().value!;
      try {
        await this.send(ack);
        if (this.queue.get(key) === ack) this.queue.delete(key); // unless a newer ack replaced it meanwhile
        delay = FIRST_RETRY_MS;
      } catch (err) {
        this.logger.warn({ scope: ack.scope, scope_id: ack.scope_id, version: ack.version, err }, 'could not publish settings.applied yet; retrying');
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, delay);
        });
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }
}
