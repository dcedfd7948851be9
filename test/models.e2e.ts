import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dumpPostgres, scanForSecrets, SEED_MODEL, startStack, type Stack } from '@helix/testing';

const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const stamp = Date.now();
const TOKEN_A = `hf_modelsAlpha${stamp}q`;
const TOKEN_B = `hf_modelsBravo${stamp}q`;
const TOKEN_ENV = `hf_modelsEnv${stamp}q`;
const TOKEN_FIX = `hf_modelsFix${stamp}q`;
const ALL_TOKENS = [TOKEN_A, TOKEN_B, TOKEN_ENV, TOKEN_FIX];

const small = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  type: 'chat',
  runtime: 'vllm',
  memory: '1GB',
  context_length: 4096,
  ...extra,
});
const enc = (id: string) => `/api/v1/models/${encodeURIComponent(id)}`;
/** Every `ps` command line seen during the suite (tokens must never be in one). */
const psSnapshots: string[] = [];
const snapshotPs = () => psSnapshots.push(execFileSync('ps', ['-eo', 'pid,args', '-ww'], { encoding: 'utf8' }));

async function simInfo(endpoint: string): Promise<{ model: string; args: string[]; hf_token_fingerprint: string | null }> {
  const res = await fetch(`${endpoint}/sim/info`);
  return (await res.json()) as never;
}

describe('models end to end (seed steps 2, 4 and 5)', () => {
  let stack: Stack;
  const slotOf = async (id: string) => (await stack.api('GET', `/api/v1/models/${id}`)).body?.slots?.[0];
  /** The model's first slot once `pred` holds for it. */
  const waitSlot = (id: string, pred: (s: any) => boolean, what: string, timeout = 20_000): Promise<any> =>
    vi.waitFor(
      async () => {
        const s = await slotOf(id);
        expect(s && pred(s), `${what}: ${JSON.stringify(s)}`).toBe(true);
        return s;
      },
      { timeout, interval: 200 },
    );

  beforeAll(async () => {
    stack = await startStack({
      runners: [{ id: 'gpu-1', memory: '80GB', env: { VLLM_SIM_GATED: 'gated/*', VLLM_SIM_VALID_TOKENS: [TOKEN_A, TOKEN_B, TOKEN_ENV, TOKEN_FIX].join(',') } }],
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('seed step 4 test 1: with a global token, the seed model (step 2, verbatim) starts on the runner with it', async () => {
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_A })).status).toBe(200);
    await stack.runners.get('gpu-1')!.waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.version === 1);

    const res = await stack.api('POST', '/api/v1/models', SEED_MODEL);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ...SEED_MODEL, memory: 39_000_000_000 });
    expect(res.body.slots).toHaveLength(1);
    expect(res.body.slots[0]).toMatchObject({ model_id: SEED_MODEL.id, runner_id: 'gpu-1', state: 'scheduled', error: null });

    const slot = await waitSlot(SEED_MODEL.id, (s) => s.state === 'running', 'the seed model running');
    expect(slot).toMatchObject({ runner_id: 'gpu-1', restarts: 0, hf_token_source: 'global', hf_token_fingerprint: fp(TOKEN_A), error: null });
    expect(slot.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const info = await simInfo(slot.endpoint);
    expect(info.model).toBe(SEED_MODEL.id);
    expect(info.hf_token_fingerprint).toBe(fp(TOKEN_A));
    expect(info.args).toContain('--trust-remote-code');
    expect(info.args.filter((a) => a === '--max-model-len')).toHaveLength(1);
    snapshotPs();

    const debug = await stack.runners.get('gpu-1')!.waitFor((l) => l.msg === 'NewVLLMRuntime received args' && l.model === SEED_MODEL.id);
    expect(debug).toMatchObject({ hf_token_provided: true, hf_token_source: 'global' });
  });

  it('reads the model by its id with slashes, URL-encoded, in the list and on its runner', async () => {
    const bySlash = await stack.api('GET', `/api/v1/models/${SEED_MODEL.id}`);
    const byEncoded = await stack.api('GET', enc(SEED_MODEL.id));
    expect(bySlash.status).toBe(200);
    expect(byEncoded.body).toEqual(bySlash.body);
    const list = await stack.api('GET', '/api/v1/models');
    expect(list.body.map((m: any) => m.id)).toContain(SEED_MODEL.id);
    const runners = await stack.api('GET', '/api/v1/runners');
    const gpu1 = runners.body.find((r: any) => r.id === 'gpu-1');
    expect(gpu1.memory_allocated).toBe(39_000_000_000);
    expect(gpu1.slots.map((s: any) => s.model_id)).toEqual([SEED_MODEL.id]);
  });

  it('seed step 5: after a rotation new slots use the new token and running slots keep running', async () => {
    const before = await slotOf(SEED_MODEL.id);
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_B })).status).toBe(200);
    await stack.runners.get('gpu-1')!.waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.version === 2);

    const created = await stack.api('POST', '/api/v1/models', small('org/after-rotation'));
    expect(created.status).toBe(201);
    const fresh = await waitSlot('org/after-rotation', (s) => s.state === 'running', 'the new model running');
    expect(fresh).toMatchObject({ hf_token_source: 'global', hf_token_fingerprint: fp(TOKEN_B) });
    expect((await simInfo(fresh.endpoint)).hf_token_fingerprint).toBe(fp(TOKEN_B));

    const still = await slotOf(SEED_MODEL.id);
    expect(still).toMatchObject({ id: before.id, state: 'running', restarts: 0, endpoint: before.endpoint, hf_token_fingerprint: fp(TOKEN_A) });
    expect((await simInfo(still.endpoint)).hf_token_fingerprint).toBe(fp(TOKEN_A));
    snapshotPs();
  });

  it('deleting a model stops its process', async () => {
    const slot = await slotOf('org/after-rotation');
    const del = await stack.api('DELETE', enc('org/after-rotation'));
    expect(del.status).toBe(200);
    expect(del.body.slots[0]).toMatchObject({ id: slot.id, state: 'stopped' });
    await expect(fetch(`${slot.endpoint}/health`)).rejects.toThrow();
    expect((await stack.api('GET', enc('org/after-rotation'))).status).toBe(404);
  });

  it('seed step 4 test 3: without any token a public model runs; a gated one fails with hf_auth, is not crash-looped, and recovers once a token is set', async () => {
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: null })).status).toBe(200);
    await stack.runners.get('gpu-1')!.waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.version === 3);

    expect((await stack.api('POST', '/api/v1/models', small('public/tiny'))).status).toBe(201);
    const pub = await waitSlot('public/tiny', (s) => s.state === 'running', 'the public model running');
    expect(pub).toMatchObject({ hf_token_source: 'none', hf_token_fingerprint: null });
    expect((await simInfo(pub.endpoint)).hf_token_fingerprint).toBeNull();

    expect((await stack.api('POST', '/api/v1/models', small('gated/secret-model'))).status).toBe(201);
    const gated = await waitSlot('gated/secret-model', (s) => s.state === 'failed', 'the gated model failing');
    expect(gated.error.code).toBe('hf_auth');
    expect(gated.error.message).toMatch(/Hugging Face token/);
    expect(gated.hf_token_source).toBe('none');
    // Parked, not crash-looped: still failed with no restarts a few seconds later.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await slotOf('gated/secret-model')).toMatchObject({ id: gated.id, state: 'failed', restarts: 0, error: { code: 'hf_auth' } });

    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_FIX })).status).toBe(200);
    const recovered = await waitSlot('gated/secret-model', (s) => s.state === 'running', 'the gated model recovering');
    expect(recovered).toMatchObject({ id: gated.id, hf_token_source: 'global', hf_token_fingerprint: fp(TOKEN_FIX), error: null });
    expect((await simInfo(recovered.endpoint)).hf_token_fingerprint).toBe(fp(TOKEN_FIX));
    snapshotPs();
  });

  it('seed step 4 test 2: cleared global token, runner restarted with HF_TOKEN: the env token is used; SIGTERM leaves no vllm-sim behind', async () => {
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: '' })).status).toBe(200);
    const runner = stack.runners.get('gpu-1')!;
    await runner.waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.version === 5);
    // This runner's vLLM children (other suites may run their own simulators in parallel).
    const children = execFileSync('ps', ['-eo', 'pid=,ppid=,args=', '-ww'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([, ppid, ...args]) => Number(ppid) === runner.pid && args.join(' ').includes('vllm-sim serve'))
      .map(([pid]) => Number(pid));
    expect(children.length).toBe(3);
    expect(await stack.stopRunner('gpu-1')).toBe(0);
    const alive = children.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);

    await stack.startRunner({
      id: 'gpu-1',
      memory: '80GB',
      env: { HF_TOKEN: TOKEN_ENV, VLLM_SIM_GATED: 'gated/*', VLLM_SIM_VALID_TOKENS: ALL_TOKENS.join(',') },
    });
    const slot = await waitSlot(
      SEED_MODEL.id,
      (s) => s.state === 'running' && s.hf_token_source === 'env',
      'the seed model running with the env token',
      40_000,
    );
    expect(slot.hf_token_fingerprint).toBe(fp(TOKEN_ENV));
    expect((await simInfo(slot.endpoint)).hf_token_fingerprint).toBe(fp(TOKEN_ENV));
    snapshotPs();
  });

  it('never shows a token in ps, logs, responses, Postgres or NATS files', async () => {
    for (const ps of psSnapshots) for (const t of ALL_TOKENS) expect(ps).not.toContain(t);
    const findings = await scanForSecrets(ALL_TOKENS, {
      texts: [...stack.texts(), { label: 'postgres rows', text: await dumpPostgres(stack.pg.url) }],
      dirs: [stack.nats.storeDir, stack.pg.dataDir],
    });
    expect(findings).toEqual([]);
  });
});
