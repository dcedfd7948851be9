import type { NatsConnection } from '@nats-io/nats-core';
import type { ConsumerMessages, ConsumerNotification, JsMsg } from '@nats-io/jetstream';

/** The part of a pino logger the loop uses (PinoLogger and pino.Logger both fit). */
export interface ConsumerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RunConsumerOptions {
  /** Names the consumer in log lines, e.g. `settings stream`. */
  name: string;
  nc: NatsConnection;
  /** Looks up (or creates) the consumer and starts consuming; called again after every interruption. */
  open(): Promise<ConsumerMessages>;
  /**
   * Handles one message. A throw is logged and the loop goes on with the next message: re-opening
   * the consumer would deliver the same message again, forever.
   */
  handle(msg: JsMsg): Promise<void> | void;
  logger: ConsumerLogger;
  /** Pause before re-opening after a failure. Default 1 s. */
  retryMs?: number;
  /** Every consumer notification, after the loop's own handling (logging, restarts). */
  onStatus?(status: ConsumerNotification): void;
}

export interface ConsumerLoop {
  /** Closes the current consumer; the loop opens a new one (e.g. after the stream was recreated). */
  restart(): void;
  /** Stops for good and waits for the loop to end. */
  stop(): Promise<void>;
}

/** A durable consumer that was deleted, or cannot be found again, never delivers: open a new one. */
const CONSUMER_GONE_AFTER = 2;

/** Consumes forever: opens the consumer, hands each message over, and re-opens it after failures. */
export function runConsumer(options: RunConsumerOptions): ConsumerLoop {
  const { name, nc, logger } = options;
  let stopped = false;
  let current: ConsumerMessages | undefined;
  let wake: (() => void) | undefined;
  const over = () => stopped || nc.isClosed();

  const watch = async (messages: ConsumerMessages): Promise<void> => {
    for await (const status of messages.status()) {
      switch (status.type) {
        case 'heartbeats_missed':
          if (status.count === CONSUMER_GONE_AFTER) logger.warn({ consumer: name, count: status.count }, `${name} consumer missed heartbeats`);
          break;
        case 'consumer_deleted':
          logger.warn({ consumer: name, code: status.code }, `${name} consumer was deleted; opening it again`);
          void messages.close();
          break;
        case 'consumer_not_found':
          if (status.count >= CONSUMER_GONE_AFTER) {
            logger.warn({ consumer: name, count: status.count }, `${name} consumer is gone; opening it again`);
            void messages.close();
          }
          break;
        case 'stream_not_found':
          logger.warn({ consumer: name, stream: status.name }, `${name} consumer lost its stream; waiting for it`);
          break;
        case 'ordered_consumer_recreated':
        case 'reset':
          logger.info({ consumer: name, name: status.name }, `${name} consumer was recreated`);
          break;
        default:
          break;
      }
      options.onStatus?.(status);
    }
  };

  const loop = (async () => {
    while (!over()) {
      try {
        const messages = await options.open();
        current = messages;
        if (over()) break;
        void watch(messages).catch(() => undefined);
        for await (const msg of messages) {
          try {
            await options.handle(msg);
          } catch (err) {
            logger.error({ consumer: name, subject: msg.subject, seq: msg.seq, err }, `${name} consumer could not handle a message; skipped it`);
          }
        }
      } catch (err) {
        if (over()) break;
        logger.warn({ consumer: name, err }, `${name} consumer interrupted; resuming`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, options.retryMs ?? 1_000);
        });
      } finally {
        current = undefined;
      }
    }
  })();

  return {
    restart: () => void current?.close(),
    stop: async () => {
      stopped = true;
      wake?.();
      await current?.close().catch(() => undefined);
      await loop;
    },
  };
}
