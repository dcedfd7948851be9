import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot, startStack, type Stack } from '@helix/testing';

/**
 * Issue 10 item 2: with HELIX_VLLM_UID/GID the runner starts vLLM as another user, so model code
 * (which vLLM runs, e.g. with --trust-remote-code) cannot read the runner's environment and its
 * secrets. The simulator reports the user it runs as and whether it could read its parent's
 * /proc/<pid>/environ; a runner without the variables is the control in the same run.
 * Changing user needs root: skipped otherwise.
 */
const NOBODY = 65534;
const root = process.getuid?.() === 0;

describe.skipIf(!root)('vLLM runs as HELIX_VLLM_UID/GID (needs root)', () => {
  let stack: Stack;
  let simDir: string;

  type SimInfo = { uid: number; gid: number; parent_environ_readable: boolean; hf_token_fingerprint: string | null };
  async function slotInfo(modelId: string): Promise<{ runner: string; info: SimInfo }> {
    const slot = await vi.waitFor(
      async () => {
        const s = (await stack.api('GET', `/api/v1/models/${modelId}`)).body.slots?.[0];
        expect(s?.state).toBe('running');
        return s as { runner_id: string; endpoint: string };
      },
      { timeout: 30_000, interval: 250 },
    );
    return { runner: slot.runner_id, info: (await (await fetch(`${slot.endpoint}/sim/info`)).json()) as SimInfo };
  }

  beforeAll(async () => {
    // The checkout may sit in a directory only root can enter (mktemp -d is 0700): the simulator is
    // copied where any user can run it. It needs nothing but Node's standard library.
    simDir = mkdtempSync(join(tmpdir(), 'helix-sim-'));
    chmodSync(simDir, 0o755);
    copyFileSync(join(repoRoot(), 'bin/vllm-sim'), join(simDir, 'vllm-sim'));
    chmodSync(join(simDir, 'vllm-sim'), 0o755);
    stack = await startStack();
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: 'hf_vllmUserToken000001' })).status).toBe(200);
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(simDir, { recursive: true, force: true });
  });

  const model = (id: string) => ({ id, name: id, type: 'chat', runtime: 'vllm', memory: '1GB', context_length: 2048 });

  it('a runner with HELIX_VLLM_UID starts vLLM as that user, which cannot read the runner environment; it still gets its token', async () => {
    await stack.startRunner({ id: 'as-nobody', memory: '1GB', env: { HELIX_VLLM_UID: String(NOBODY), HELIX_VLLM_BIN: join(simDir, 'vllm-sim') } });
    expect((await stack.api('POST', '/api/v1/models', model('acme/as-nobody'))).status).toBe(201);
    const { runner, info } = await slotInfo('acme/as-nobody');
    expect(runner).toBe('as-nobody');
    expect(info).toMatchObject({ uid: NOBODY, gid: NOBODY, parent_environ_readable: false });
    expect(info.hf_token_fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
  });

  it('the control: a runner without it starts vLLM as itself (root), which can read the runner environment', async () => {
    await stack.startRunner({ id: 'as-root', memory: '1GB', env: { HELIX_VLLM_BIN: join(simDir, 'vllm-sim') } });
    expect((await stack.api('POST', '/api/v1/models', model('acme/as-root'))).status).toBe(201);
    const { runner, info } = await slotInfo('acme/as-root');
    expect(runner).toBe('as-root');
    expect(info).toMatchObject({ uid: 0, gid: 0, parent_environ_readable: true });
  });
});
