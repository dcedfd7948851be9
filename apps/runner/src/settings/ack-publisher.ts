import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { MAX_ACKS_PER_MESSAGE, scopeKey, settingsAppliedSubject, type SettingsAppliedBatch, type SettingsAppliedEvent } from '@helix/contracts';
import { encodeJson } from '@helix/nats';

/** The part of a pino logger the publisher uses. */
interface AckLogger {
  warn(obj: object, msg: string): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

/**
 * Publishes `settings.applied` acks in order, one message at a time, retrying with backoff until
 * JetStream stored each, so an outage loses none. What queued while a message was in flight goes
 * out together as one batch message (up to MAX_ACKS_PER_MESSAGE): a replay of 100,000 scopes costs
 * about a hundred publishes, not 100,000. A lone ack keeps the single form of docs/reference/events.md. Only the
 * newest ack per scope is worth sending (the settings-service keeps the newest per runner and
 * scope), so a newer ack replaces a queued older one: at most one queued ack per scope.
 */
export class AckPublisher {
  private readonly queue = new Map<string, SettingsAppliedEvent>();
  private flushing: Promise<void> | null = null;
  private stopped = false;
  private held = false;
  private wake?: () => void;

  constructor(
    private readonly send: (acks: SettingsAppliedEvent[]) => Promise<unknown>,
    private readonly logger: AckLogger,
  ) {}

  /** Publishes to the SETTINGS_ACKS stream on the runner's own subject (JetStream confirms each one). */
  static overJetStream(nc: NatsConnection, runnerId: string, logger: AckLogger): AckPublisher {
    const js = jetstream(nc, { timeout: 5_000 });
    const subject = settingsAppliedSubject(runnerId);
    return new AckPublisher((acks) => js.publish(subject, encodeJson(acks.length === 1 ? acks[0] : toBatch(acks))), logger);
  }

  enqueue(ack: SettingsAppliedEvent): void {
    if (this.stopped) return;
    const key = scopeKey(ack.scope, ack.scope_id);
    const queued = this.queue.get(key);
    if (queued && queued.version > ack.version) return;
    this.queue.set(key, ack); // an existing key keeps its place in the order
    if (!this.held) this.flushing ??= this.flush().finally(() => (this.flushing = null));
  }

  /** Queues without publishing until release(): a replay applies first and acknowledges after. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    if (this.queue.size > 0) this.flushing ??= this.flush().finally(() => (this.flushing = null));
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
      const batch: Array<[string, SettingsAppliedEvent]> = [];
      for (const entry of this.queue) {
        batch.push(entry);
        if (batch.length === MAX_ACKS_PER_MESSAGE) break;
      }
      try {
        await this.send(batch.map(([, ack]) => ack));
        for (const [key, ack] of batch) if (this.queue.get(key) === ack) this.queue.delete(key); // unless a newer ack replaced it meanwhile
        delay = FIRST_RETRY_MS;
      } catch (err) {
        const [, first] = batch[0];
        this.logger.warn(
          { acks: batch.length, scope: first.scope, scope_id: first.scope_id, version: first.version, err },
          'could not publish settings.applied yet; retrying',
        );
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, delay);
        });
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }
}

function toBatch(acks: SettingsAppliedEvent[]): SettingsAppliedBatch {
  return {
    runner_id: acks[0].runner_id,
    acks: acks.map(({ scope, scope_id, version, hf_token_provided }) => ({ scope, scope_id, version, hf_token_provided })),
  };
}
