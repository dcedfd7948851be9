import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '@helix/testing';

const applied =
  (version: number, tokenProvided = true) =>
  (l: any) =>
    l.msg === 'updated hugging face token from control plane' && l.version === version && l.token_provided === tokenProvided;

describe('NATS restarted without its JetStream store', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'gpu-s1' }] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('the settings-service republishes the current state; joining and running runners both get it and later updates', async () => {
    // Several versions, so the old stream's sequence is well ahead of the recreated one's.
    let put!: { body: { version: number } };
    for (let i = 0; i < 6; i++) put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: `hf_streamloss_${i}` });
    const version = put.body.version;
    await stack.runners.get('gpu-s1')!.waitFor(applied(version));

    await stack.nats.stop();
    for (const entry of readdirSync(stack.nats.storeDir)) rmSync(join(stack.nats.storeDir, entry), { recursive: true, force: true });
    await stack.nats.start();

    await stack.settings[0].waitFor(
      (l) => l.msg === 'settings stream was behind the database; publishing the current state again' && l.version === version,
      30_000,
    );
    const late = await stack.startRunner({ id: 'gpu-s2' });
    await late.waitFor(applied(version), 30_000);

    // The runner that was running follows the recreated stream (its sequence numbers restarted).
    const next = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: 'hf_streamloss_two' });
    expect(next.body.version).toBe(version + 1);
    await stack.runners.get('gpu-s1')!.waitFor(applied(version + 1), 30_000);
    await late.waitFor(applied(version + 1), 30_000);
  }, 120_000);
});
