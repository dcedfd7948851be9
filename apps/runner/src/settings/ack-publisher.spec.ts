import { describe, expect, it } from 'vitest';
import type { SettingsAppliedEvent } from '@helix/contracts';
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
    const publisher = new AckPublisher(async (a) => {
      if (failures-- > 0) throw new Error('no responders');
      sent.push(a.version);
    }, quietLogger);
    publisher.enqueue(ack(1));
    publisher.enqueue(ack(1, 'model', 'm'));
    await publisher.idle();
    expect(sent).toEqual([1, 1]);
  });

  it('keeps only the newest queued ack per scope, in its first place', async () => {
    const sent: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const publisher = new AckPublisher(async (a) => {
      await gate;
      sent.push(`${a.scope}@${a.version}`);
    }, quietLogger);
    publisher.enqueue(ack(1)); // in flight while the rest queue up, as during a replay
    publisher.enqueue(ack(1, 'model', 'm'));
    for (let v = 2; v <= 50; v++) publisher.enqueue(ack(v));
    publisher.enqueue(ack(2, 'model', 'm'));
    publisher.enqueue(ack(1, 'model', 'm')); // older than the queued one: dropped
    release();
    await publisher.idle();
    expect(sent).toEqual(['global@1', 'global@50', 'model@2']);
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
