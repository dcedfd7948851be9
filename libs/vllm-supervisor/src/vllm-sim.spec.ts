// Tests of bin/vllm-sim itself (bin/vllm-sim): it is the ground truth of the supervisor and e2e suites.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprint } from '@helix/secrets';
import { ClaimedPorts } from '@helix/testing';
import { getJson, isAlive, SIM } from './testing/helpers';

const ports = new ClaimedPorts();
const children: ChildProcess[] = [];
const workers: number[] = [];

interface Sim {
  child: ChildProcess;
  port: number;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function sim(args: string[], env: Record<string, string> = {}, port = ports.one()): Sim {
  const argv = args.map((a) => a.replace('{port}', String(port)));
  const child = spawn(SIM, argv, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', VLLM_SIM_STARTUP_MS: '50', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  return { child, port, out: () => out, err: () => err, exited };
}

async function ready(s: Sim): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${s.port}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end || s.child.exitCode !== null) throw new Error(`sim not ready: ${s.err()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of workers.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

const serve = (model: string, extra: string[] = []) => ['serve', model, '--host', '127.0.0.1', '--port', '{port}', ...extra];

describe('bin/vllm-sim', () => {
  it('serves health, models, chat completions and /sim/info after the start-up delay', async () => {
    const token = 'hf_simInfoToken123';
    const s = sim(serve('org/model-a', ['--trust-remote-code', '--max-model-len', '2048']), { HF_TOKEN: token, VLLM_SIM_STARTUP_MS: '600' });
    await new Promise((r) => s.child.stdout!.once('data', r));
    await expect(fetch(`http://127.0.0.1:${s.port}/health`)).rejects.toThrow(); // still "loading"
    await ready(s);

    const info = await getJson(`http://127.0.0.1:${s.port}/sim/info`);
    expect(info.body).toEqual({
      model: 'org/model-a',
      args: ['serve', 'org/model-a', '--host', '127.0.0.1', '--port', String(s.port), '--trust-remote-code', '--max-model-len', '2048'],
      hf_token_fingerprint: fingerprint(token),
      host: '127.0.0.1',
      cuda_visible_devices: null,
      tensor_parallel_size: 1,
      gpu_memory_utilization: 0.9,
      uid: process.getuid!(),
      gid: process.getgid!(),
      parent_environ_readable: true,
    });

    const models = await getJson(`http://127.0.0.1:${s.port}/v1/models`);
    expect(models.body).toMatchObject({ object: 'list', data: [{ id: 'org/model-a', object: 'model', max_model_len: 2048 }] });

    const res = await fetch(`http://127.0.0.1:${s.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'org/model-a', messages: [{ role: 'user', content: 'Hi there' }] }),
    });
    expect(res.status).toBe(200);
    const chat = (await res.json()) as { object: string; model: string; choices: Array<{ message: { role: string; content: string }; finish_reason: string }> };
    expect(chat.object).toBe('chat.completion');
    expect(chat.model).toBe('org/model-a');
    expect(chat.choices[0].message.role).toBe('assistant');
    expect(chat.choices[0].message.content.length).toBeGreaterThan(0);
    expect(chat.choices[0].finish_reason).toBe('stop');

    const wrong = await fetch(`http://127.0.0.1:${s.port}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'other/model', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(wrong.status).toBe(404);

    expect(s.out()).toMatch(/INFO .*Starting vLLM API server 0 on http:\/\/127\.0\.0\.1:\d+/);
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.out() + s.err()).not.toContain(token);
  });

  it('reports a null fingerprint without a token and uses HUGGING_FACE_HUB_TOKEN as a fallback', async () => {
    const a = sim(serve('public/model'));
    const b = sim(serve('public/model'), { HUGGING_FACE_HUB_TOKEN: 'hf_hubOnly' });
    await Promise.all([ready(a), ready(b)]);
    expect((await getJson(`http://127.0.0.1:${a.port}/sim/info`)).body).toMatchObject({ hf_token_fingerprint: null });
    expect((await getJson(`http://127.0.0.1:${b.port}/sim/info`)).body).toMatchObject({ hf_token_fingerprint: fingerprint('hf_hubOnly') });
  });

  it('refuses a gated model without a token with a Hugging Face GatedRepoError and exit 1', async () => {
    const s = sim(serve('meta-llama/Llama-3.1-8B-Instruct'), { VLLM_SIM_GATED: 'google/*,meta-llama/*' });
    expect((await s.exited).code).toBe(1);
    expect(s.err()).toContain('huggingface_hub.errors.GatedRepoError: 401 Client Error');
    expect(s.err()).toContain('Cannot access gated repo for url https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/resolve/main/config.json');
  });

  it('accepts any hf_ token for a gated model when VLLM_SIM_VALID_TOKENS is unset, and rejects others', async () => {
    const gated = { VLLM_SIM_GATED: 'meta-llama/*' };
    const good = sim(serve('meta-llama/x'), { ...gated, HF_TOKEN: 'hf_anything' });
    const bad = sim(serve('meta-llama/x'), { ...gated, HF_TOKEN: 'not-an-hf-token' });
    await ready(good);
    expect((await bad.exited).code).toBe(1);
    expect(bad.err()).toContain('GatedRepoError: 401 Client Error');
    expect(bad.out() + bad.err() + good.out() + good.err()).not.toMatch(/hf_anything|not-an-hf-token/);
  });

  it('accepts exactly the VLLM_SIM_VALID_TOKENS tokens when set', async () => {
    const env = { VLLM_SIM_GATED: '*/Llama-*', VLLM_SIM_VALID_TOKENS: 'hf_one, hf_two' };
    const two = sim(serve('meta/Llama-3'), { ...env, HF_TOKEN: 'hf_two' });
    const other = sim(serve('meta/Llama-3'), { ...env, HF_TOKEN: 'hf_three' });
    const notGated = sim(serve('meta/Mistral'), env);
    await Promise.all([ready(two), ready(notGated)]);
    expect((await other.exited).code).toBe(1);
    expect(other.err()).not.toContain('hf_three');
  });

  it('crashes with exit 1 after VLLM_SIM_CRASH_AFTER_MS', async () => {
    const s = sim(serve('m'), { VLLM_SIM_CRASH_AFTER_MS: '300' });
    await ready(s);
    expect((await s.exited).code).toBe(1);
    expect(s.err()).toMatch(/died unexpectedly/);
  });

  it('fails with a CUDA out-of-memory error under VLLM_SIM_OOM=1', async () => {
    const s = sim(serve('m'), { VLLM_SIM_OOM: '1' });
    expect((await s.exited).code).toBe(1);
    expect(s.err()).toContain('torch.OutOfMemoryError: CUDA out of memory');
  });

  it('keeps serving when its log pipes close (its runner was killed while it started), as vLLM does', async () => {
    const s = sim(['serve', 'acme/pipes', '--port', '{port}'], { VLLM_SIM_STARTUP_MS: '300' });
    s.child.stdout!.destroy();
    s.child.stderr!.destroy();
    await ready(s);
    expect(isAlive(s.child.pid!)).toBe(true);
  });

  it('reports its GPUs, tensor parallel size and memory share in /sim/info, and refuses more ranks than GPUs like vLLM', async () => {
    const s = sim(serve('m', ['-tp', '2', '--gpu-memory-utilization', '0.37']), { CUDA_VISIBLE_DEVICES: '2,3' });
    await ready(s);
    expect((await getJson(`http://127.0.0.1:${s.port}/sim/info`)).body).toMatchObject({
      host: '127.0.0.1',
      cuda_visible_devices: '2,3',
      tensor_parallel_size: 2,
      gpu_memory_utilization: 0.37,
    });
    const tooMany = sim(serve('m', ['--tensor-parallel-size', '2']), { CUDA_VISIBLE_DEVICES: '0' });
    expect((await tooMany.exited).code).toBe(1);
    expect(tooMany.err()).toMatch(/World size \(2\) is larger than the number of available GPUs \(1\)/);
    const badShare = sim(serve('m', ['--gpu-memory-utilization', '1.5']));
    expect((await badShare.exited).code).toBe(1);
    expect(badShare.err()).toMatch(/GPU memory utilization must be within \(0, 1\]/);
  });

  it('exits 1 when its port is taken', async () => {
    const a = sim(serve('m'));
    await ready(a);
    const b = sim(serve('m'), {}, a.port);
    expect((await b.exited).code).toBe(1);
    expect(b.err()).toMatch(/address already in use/);
  });

  it('ignores SIGTERM under VLLM_SIM_IGNORE_SIGTERM=1 and spawns a worker under VLLM_SIM_SPAWN_CHILD=1', async () => {
    const s = sim(serve('m'), { VLLM_SIM_IGNORE_SIGTERM: '1', VLLM_SIM_SPAWN_CHILD: '1' });
    await ready(s);
    const worker = Number(/worker_pid=(\d+)/.exec(s.out())?.[1]);
    workers.push(worker);
    expect(isAlive(worker)).toBe(true);
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(s.child.exitCode).toBe(null);
    expect(s.err()).toMatch(/ignoring it/);
    s.child.kill('SIGKILL');
    await s.exited;
    // The worker outlives its parent: only a kill of the whole process group removes it.
    expect(isAlive(worker)).toBe(true);
  });

  it('rejects a command line that is not `serve <model>`', async () => {
    const s = sim(['run', 'x']);
    expect((await s.exited).code).toBe(2);
    expect(s.err()).toMatch(/invalid choice/);
  });
});
