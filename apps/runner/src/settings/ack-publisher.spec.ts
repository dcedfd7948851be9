import { describe, expect, it } from 'vitest';
import { MAX_ACKS_PER_MESSAGE, type SettingsAppliedEvent } from '@helix/contracts';
import { AckPublisher } from './ack-publisher';

const ack = (version: number, scope: SettingsAppliedEvent['scope'] = 'global', scopeId: string | null = null): SettingsAppliedEvent => ({
  runner_id: 'gpu-1',
  scope,
  scope_id: scopeId,
  version,
  hf_token_provided: true,
});
const quietLogger = { warn: () => undefined };

describe('AckPublisher', () => {
  it('publishes in order and retries a failed ack until it is stored', async () => {
    const sent: number[] = [];
    let failures = 2;
    const publisher = new AckPublisher(async (acks) => {
      if (failures-- > 0) throw new Error('no responders');
      sent.push(...acks.map((a) => a.version));
    }, quietLogger);
    publisher.enqueue(ack(1));
    publisher.enqueue(ack(1, 'model', 'm'));
    await publisher.idle();
    expect(sent).toEqual([1, 1]);
  });

  it('keeps only the newest queued ack per scope, in its first place; what queued behind a message goes out as one batch', async () => {
    const sent: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const publisher = new AckPublisher(async (acks) => {
      await gate;
      sent.push(acks.map((a) => `${a.scope}@${a.version}`));
    }, quietLogger);
    publisher.enqueue(ack(1)); // in flight while the rest queue up, as during a replay
    publisher.enqueue(ack(1, 'model', 'm'));
    for (let v = 2; v <= 50; v++) publisher.enqueue(ack(v));
    publisher.enqueue(ack(2, 'model', 'm'));
    publisher.enqueue(ack(1, 'model', 'm')); // older than the queued one: dropped
    release();
    await publisher.idle();
    expect(sent).toEqual([['global@1'], ['global@50', 'model@2']]);
  });

  it('a replay of many scopes goes out in messages of at most MAX_ACKS_PER_MESSAGE acks, none lost', async () => {
    const sizes: number[] = [];
    const seen = new Set<string>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const publisher = new AckPublisher(async (acks) => {
      await gate;
      sizes.push(acks.length);
      for (const a of acks) seen.add(a.scope_id!);
    }, quietLogger);
    for (let i = 0; i < 2_500; i++) publisher.enqueue(ack(1, 'org', `org-${i}`));
    release();
    await publisher.idle();
    expect(sizes).toEqual([1, MAX_ACKS_PER_MESSAGE, MAX_ACKS_PER_MESSAGE, 2_500 - 1 - 2 * MAX_ACKS_PER_MESSAGE]);
    expect(seen.size).toBe(2_500);
  });

  it('while held (the start-up replay) it queues and sends nothing; release sends what queued, batched', async () => {
    const sent: number[][] = [];
    const publisher = new AckPublisher(async (acks) => void sent.push(acks.map((a) => a.version)), quietLogger);
    publisher.hold();
    publisher.enqueue(ack(1));
    publisher.enqueue(ack(1, 'org', 'acme'));
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual([]);
    publisher.release();
    await publisher.idle();
    expect(sent).toEqual([[1, 1]]);
  });

  it('stops retrying on stop()', async () => {
    let attempts = 0;
    const publisher = new AckPublisher(async () => {
      attempts++;
      throw new Error('down');
    }, quietLogger);
    publisher.enqueue(ack(1));
    await new Promise((r) => setTimeout(r, 50));
    await publisher.stop();
    const after = attempts;
    await new Promise((r) => setTimeout(r, 400));
    expect(attempts).toBe(after);
  });
});
