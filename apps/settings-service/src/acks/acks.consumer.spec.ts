import { describe, expect, it } from 'vitest';
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { PinoLogger } from 'nestjs-pino';
import { settingsAppliedSubject, type SettingsAppliedEvent } from '@helix/contracts';
import { encodeJson } from '@helix/nats';
import { AcksConsumer } from './acks.consumer';
import type { RunnerAckRepository } from './runner-ack.repository';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as PinoLogger;

function ackOf(runnerId: string, version: number): SettingsAppliedEvent {
  return {
    type: 'settings.applied',
    runner_id: runnerId,
    scope: 'global',
    scope_id: null,
    version,
    hf_token_provided: true,
    applied_at: new Date().toISOString(),
  } as SettingsAppliedEvent;
}

function messageFrom(runnerId: string, body: unknown) {
  const outcome = { value: 'pending' as 'pending' | 'ack' | 'nak' | 'term' };
  const msg = {
    subject: settingsAppliedSubject(runnerId),
    seq: 1,
    data: encodeJson(body),
    ack: () => (outcome.value = 'ack'),
    nak: () => (outcome.value = 'nak'),
    term: () => (outcome.value = 'term'),
  } as unknown as JsMsg;
  return { msg, outcome };
}

function consumerWith(record: (acks: SettingsAppliedEvent[]) => Promise<void>) {
  return new AcksConsumer({} as NatsConnection, { record } as unknown as RunnerAckRepository, logger);
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('AcksConsumer', () => {
  it("records a rotation's acks from 100 runners in one statement and acknowledges each message after it", async () => {
    const statements: SettingsAppliedEvent[][] = [];
    const consumer = consumerWith(async (acks) => void statements.push(acks));
    const messages = Array.from({ length: 100 }, (_, i) => messageFrom(`r${i}`, ackOf(`r${i}`, 7)));
    for (const { msg } of messages) await consumer.handle(msg);
    await settle();
    expect(statements).toHaveLength(1);
    expect(statements[0].map((a) => a.runner_id)).toEqual(messages.map((_, i) => `r${i}`));
    expect(messages.map((m) => m.outcome.value)).toEqual(messages.map(() => 'ack'));
  });

  it('naks (keeps in the stream) every message of a statement that failed, and terminates a forged one', async () => {
    const consumer = consumerWith(async () => {
      throw new Error('postgres is down');
    });
    const good = [messageFrom('r1', ackOf('r1', 3)), messageFrom('r2', ackOf('r2', 3))];
    const forged = messageFrom('r3', ackOf('r1', 99));
    for (const { msg } of [...good, forged]) await consumer.handle(msg);
    await settle();
    expect(good.map((m) => m.outcome.value)).toEqual(['nak', 'nak']);
    expect(forged.outcome.value).toBe('term');
  });
});
