// The supervisor with real processes (VllmProcess through the default launcher): bin/vllm-sim, or
// tiny shell scripts where the sim cannot help (it never prints a token). The restart, backoff and
// parking rules are in supervisor.spec.ts, on fake processes.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fingerprint, Secret } from '@helix/secrets';
import { ClaimedPorts } from '@helix/testing';
import { buildVllmArgs, isAllowedEnvName, isPortFree, VllmSupervisor, type SlotStatus, type StartSpec, type VllmSupervisorOptions } from './index';
import { captureLogger, cmdline, eventually, getJson, groupMembers, isAlive, recordStatuses, SIM, sleep, waitForStatus } from './testing/helpers';

// Each supervisor gets its own 10 ports, claimed so that no other test process binds them meanwhile.
const ports = new ClaimedPorts();
const supervisors: VllmSupervisor[] = [];
const servers: Server[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'vllm-supervisor-'));

interface Setup {
  env?: Record<string, string>;
  known?: Secret[];
  options?: Partial<VllmSupervisorOptions>;
}

function setup({ env = {}, known = [], options = {} }: Setup = {}) {
  const logger = captureLogger();
  const portRange = ports.take(10);
  const sup = new VllmSupervisor({
    vllmBin: SIM,
    portRange,
    startTimeoutMs: 15_000,
    healthIntervalMs: 25,
    backoff: { initialMs: 50, maxMs: 1_000, maxRestarts: 2 },
    stopGraceMs: 3_000,
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, VLLM_SIM_STARTUP_MS: '30', ...env },
    logger,
    knownTokens: () => known,
    ...options,
  });
  supervisors.push(sup);
  const statuses = recordStatuses(sup);
  const launches = () => logger.entries.filter((e) => e.msg === 'NewVLLMRuntime received args');
  const output = () => logger.entries.filter((e) => e.msg === 'vllm output').map((e) => String(e.obj.line));
  /** The pid (= process group) of the slot's latest process. */
  const pidOf = (slotId = 'slot-1') => Number(logger.entries.filter((e) => e.msg === 'vllm process started' && e.obj.slot_id === slotId).at(-1)?.obj.pid);
  const failure = () => logger.entries.find((e) => e.msg === 'vllm failed');
  return { sup, logger, statuses, launches, output, pidOf, failure, portRange };
}

const spec = (over: Partial<StartSpec> = {}): StartSpec => ({
  slotId: 'slot-1',
  modelId: 'org/public-model',
  runtimeArgs: [],
  token: null,
  tokenSource: 'none',
  ...over,
});

const running = (s: SlotStatus) => s.state === 'running';
const failed = (s: SlotStatus) => s.state === 'failed';
const portOf = (endpoint: string | null) => Number(new URL(String(endpoint)).port);

function script(name: string, body: string): string {
  const path = join(tmp, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

function occupy(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      servers.push(s);
      resolve();
    });
  });
}

function environ(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stopAll()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('VllmSupervisor: start', () => {
  it('runs vLLM with the built args, the token only in its environment, and reports running', async () => {
    const token = Secret.of('hf_globalToken_abc123XYZ');
    const parentToken = 'hf_parentRunnerEnv_999';
    const { sup, logger, statuses, pidOf, portRange } = setup({ env: { HF_TOKEN: parentToken, HELIX_SETTINGS_KEY: 'k', CUDA_VISIBLE_DEVICES: '0' } });
    const first = sup.start(
      spec({
        modelId: 'Qwen/Qwen2.5-VL-7B-Instruct',
        contextLength: 32768,
        runtimeArgs: ['--trust-remote-code', '--port', '9999'],
        token,
        tokenSource: 'global',
      }),
    );
    const status = await waitForStatus(sup, 'slot-1', running);
    const port = portOf(status.endpoint);
    expect(port).toBeGreaterThanOrEqual(portRange[0]);
    expect(port).toBeLessThanOrEqual(portRange[1]);
    expect(status).toEqual({
      slotId: 'slot-1',
      modelId: 'Qwen/Qwen2.5-VL-7B-Instruct',
      state: 'running',
      restarts: 0,
      endpoint: `http://127.0.0.1:${port}`,
      error: null,
      hfTokenSource: 'global',
      hfTokenFingerprint: fingerprint(token.reveal()),
    });
    // start() returns the first status; the first event is the spawned process with its endpoint.
    expect(first).toMatchObject({ state: 'starting', endpoint: null, restarts: 0 });
    expect(statuses.map((s) => [s.state, s.endpoint])).toEqual([
      ['starting', status.endpoint],
      ['running', status.endpoint],
    ]);
    expect(sup.list()).toEqual([status]);

    // Ground truth from the process itself.
    const expectedArgs = buildVllmArgs({
      modelId: 'Qwen/Qwen2.5-VL-7B-Instruct',
      host: '127.0.0.1',
      port,
      contextLength: 32768,
      runtimeArgs: ['--trust-remote-code'],
    });
    expect((await getJson(`${status.endpoint}/sim/info`)).body).toEqual({
      model: 'Qwen/Qwen2.5-VL-7B-Instruct',
      args: expectedArgs,
      hf_token_fingerprint: fingerprint('hf_globalToken_abc123XYZ'),
      host: '127.0.0.1',
      cuda_visible_devices: '0' /* the runner's own CUDA_* pass through when the slot has no GPUs */,
      tensor_parallel_size: 1,
      gpu_memory_utilization: 0.9,
      uid: process.getuid!(),
      gid: process.getgid!(),
      parent_environ_readable: true,
    });
    const pid = pidOf();
    expect(cmdline(pid)).toContain('serve Qwen/Qwen2.5-VL-7B-Instruct --host 127.0.0.1');
    expect(cmdline(pid)).not.toContain(token.reveal());
    expect(execFileSync('ps', ['-eww', '-o', 'pid,args'], { encoding: 'utf8' })).not.toContain(token.reveal());
    const env = environ(pid);
    expect(env.HF_TOKEN).toBe(token.reveal());
    expect(env.HUGGING_FACE_HUB_TOKEN).toBe(token.reveal());
    expect(env.CUDA_VISIBLE_DEVICES).toBe('0');
    expect(env.HELIX_SETTINGS_KEY).toBeUndefined();
    for (const name of Object.keys(env)) {
      if (name !== 'HF_TOKEN' && name !== 'HUGGING_FACE_HUB_TOKEN') expect(isAllowedEnvName(name)).toBe(true);
    }

    const launch = logger.entries.find((e) => e.msg === 'NewVLLMRuntime received args')!;
    expect(launch.level).toBe('debug');
    expect(launch.obj).toMatchObject({ model: 'Qwen/Qwen2.5-VL-7B-Instruct', hf_token_provided: true, hf_token_source: 'global', args: expectedArgs });
    expect(logger.entries.some((e) => e.level === 'warn' && e.msg.includes('removed runtime args'))).toBe(true);
    expect(logger.text()).not.toContain(token.reveal());
    expect(logger.text()).not.toContain(parentToken);
  });

  it("never hands the runner's own HF_TOKEN to vLLM when no token was resolved", async () => {
    const { sup, logger, pidOf } = setup({ env: { HF_TOKEN: 'hf_parentRunnerEnv_1', HUGGING_FACE_HUB_TOKEN: 'hf_parentHub_2' } });
    sup.start(spec({ token: null, tokenSource: 'none' }));
    const status = await waitForStatus(sup, 'slot-1', running);
    expect(status).toMatchObject({ hfTokenSource: 'none', hfTokenFingerprint: null });
    expect((await getJson(`${status.endpoint}/sim/info`)).body).toMatchObject({ hf_token_fingerprint: null });
    const env = environ(pidOf());
    expect(env.HF_TOKEN).toBeUndefined();
    expect(env.HUGGING_FACE_HUB_TOKEN).toBeUndefined();
    expect(logger.entries.find((e) => e.msg === 'NewVLLMRuntime received args')!.obj).toMatchObject({ hf_token_provided: false, hf_token_source: 'none' });
  });

  it('skips a port of its range that is already in use', async () => {
    const { sup, portRange } = setup();
    await occupy(portRange[0]);
    sup.start(spec());
    const status = await waitForStatus(sup, 'slot-1', running);
    expect(portOf(status.endpoint)).toBe(portRange[0] + 1);
  });

  it('fails with no_capacity when every port of its range is taken', async () => {
    const only = ports.one();
    await occupy(only);
    const { sup, launches } = setup({ options: { portRange: [only, only] } });
    sup.start(spec());
    const f = await waitForStatus(sup, 'slot-1', failed);
    expect(f.error).toEqual({ code: 'no_capacity', message: `cannot start org/public-model: no free port in range ${only}-${only}` });
    expect(launches()).toHaveLength(0);
  });
});

describe('VllmSupervisor: failures and restarts', () => {
  it('restarts a process that crashes after it was running, through a new process on a new port', async () => {
    const { sup, statuses, pidOf } = setup({ env: { VLLM_SIM_CRASH_AFTER_MS: '300' }, options: { backoff: { initialMs: 50, maxRestarts: 1 } } });
    sup.start(spec());
    const first = await waitForStatus(sup, 'slot-1', running);
    const firstPid = pidOf();
    const second = await waitForStatus(sup, 'slot-1', (s) => s.state === 'running' && s.restarts === 1);
    expect(pidOf()).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(second.endpoint).not.toBe(first.endpoint); // the old port is the last to be reused
    expect(statuses.find((s) => s.error?.code === 'crash')?.error?.message).toMatch(/exit code 1.*died unexpectedly/);
    const final = await waitForStatus(sup, 'slot-1', failed);
    expect(final).toMatchObject({ restarts: 1, error: { code: 'crash' } });
  });

  it('kills a process that does not become ready in time (start_timeout)', async () => {
    const { sup, logger } = setup({
      env: { VLLM_SIM_STARTUP_MS: '60000' },
      options: { startTimeoutMs: 400, stopGraceMs: 1_000, backoff: { initialMs: 50, maxRestarts: 0 } },
    });
    sup.start(spec());
    const final = await waitForStatus(sup, 'slot-1', failed);
    expect(final.error?.code).toBe('start_timeout');
    const pids = logger.entries.filter((e) => e.msg === 'vllm process started').map((e) => Number(e.obj.pid));
    expect(pids).toHaveLength(1);
    expect(isAlive(pids[0])).toBe(false);
  });

  it('recognises out-of-memory in the real output (oom)', async () => {
    const { sup } = setup({ env: { VLLM_SIM_OOM: '1' }, options: { backoff: { maxRestarts: 0 } } });
    sup.start(spec());
    const final = await waitForStatus(sup, 'slot-1', failed);
    expect(final.error?.code).toBe('oom');
    expect(final.error?.message).toContain('CUDA out of memory');
  });

  it('reports a binary that cannot be started as a crash', async () => {
    const { sup } = setup({ options: { vllmBin: join(tmp, 'no-such-vllm'), backoff: { initialMs: 20, maxRestarts: 1 } } });
    sup.start(spec());
    const final = await waitForStatus(sup, 'slot-1', failed);
    expect(final.error?.code).toBe('crash');
    expect(final.error?.message).toMatch(/could not start .*ENOENT/);
    expect(final.restarts).toBe(1);
  });

  it('fails (without retrying) when the command line cannot be spawned at all', async () => {
    const { sup, launches } = setup();
    sup.start(spec({ runtimeArgs: ['--chat-template', 'bad\0arg'] }));
    const final = await waitForStatus(sup, 'slot-1', failed);
    expect(final.error?.message).toMatch(/could not start/);
    expect(launches()).toHaveLength(1);
  });

  it('kills the worker processes a crashed vLLM leaves behind', async () => {
    const { sup, output } = setup({ env: { VLLM_SIM_SPAWN_CHILD: '1', VLLM_SIM_CRASH_AFTER_MS: '300' }, options: { backoff: { maxRestarts: 0 } } });
    sup.start(spec());
    await waitForStatus(sup, 'slot-1', running);
    const worker = Number(/worker_pid=(\d+)/.exec(output().join('\n'))?.[1]);
    expect(isAlive(worker)).toBe(true);
    await waitForStatus(sup, 'slot-1', failed);
    await eventually(() => !isAlive(worker), 3_000, 'the orphaned worker to be killed');
  });
});

describe('VllmSupervisor: Hugging Face auth', () => {
  const gated = { VLLM_SIM_GATED: 'meta-llama/*', VLLM_SIM_VALID_TOKENS: 'hf_granted_token_1' };

  it('parks a gated model refused by Hugging Face (real output) and retryParked starts it with a granted token', async () => {
    const { sup, launches, statuses, pidOf } = setup({ env: gated });
    sup.start(spec({ slotId: 'public', modelId: 'org/public-model' }));
    sup.start(spec({ slotId: 'gated', modelId: 'meta-llama/Llama-3.1-8B-Instruct', token: Secret.of('hf_wrong_token'), tokenSource: 'model' }));
    const parked = await waitForStatus(sup, 'gated', failed);
    expect(parked.error?.code).toBe('hf_auth');
    expect(parked.error?.message).toContain(`source model, ${fingerprint('hf_wrong_token')}`);
    expect(parked.error?.message).toContain('helix system settings set --huggingface-token-stdin');
    expect(parked.restarts).toBe(0);
    const publicStatus = await waitForStatus(sup, 'public', running);
    const publicPid = pidOf('public');

    await sleep(300); // 6× the backoff: an hf_auth slot must not be crash-looped
    expect(launches().filter((e) => e.obj.slot_id === 'gated')).toHaveLength(1);

    expect(sup.retryParked('gated', Secret.of('hf_granted_token_1'), 'global')).toBe(true);
    const ok = await waitForStatus(sup, 'gated', running);
    expect(ok).toMatchObject({ restarts: 0, error: null, hfTokenSource: 'global', hfTokenFingerprint: fingerprint('hf_granted_token_1') });
    expect((await getJson(`${ok.endpoint}/sim/info`)).body).toMatchObject({ hf_token_fingerprint: fingerprint('hf_granted_token_1') });
    // The running public slot was left alone.
    expect(pidOf('public')).toBe(publicPid);
    expect(statuses.filter((s) => s.slotId === 'public').at(-1)).toEqual({ ...publicStatus, at: expect.any(Number) });
  });
});

describe('VllmSupervisor: output capture', () => {
  it('redacts known tokens and the slot token from stored lines, logs, errors and status', async () => {
    const slotToken = 'hf_slotToken_secret_42';
    const other = 'hf_knownOtherToken_777';
    const bin = script(
      'leaky-vllm',
      [
        'echo "starting with token $HF_TOKEN in env"',
        'echo "hub $HUGGING_FACE_HUB_TOKEN" >&2',
        `echo "a known other token: ${other} and again ${other}"`,
        'head=${HF_TOKEN%????}',
        'printf "split %s" "$head"',
        'sleep 0.2',
        'printf "%s end\\n" "${HF_TOKEN#"$head"}"',
        'echo "fatal: cannot continue with $HF_TOKEN" >&2',
        'exit 3',
      ].join('\n'),
    );
    const { sup, logger, statuses, output, failure } = setup({ known: [Secret.of(other)], options: { vllmBin: bin, backoff: { maxRestarts: 0 } } });
    sup.start(spec({ token: Secret.of(slotToken), tokenSource: 'env' }));
    const final = await waitForStatus(sup, 'slot-1', failed);
    // stdout and stderr interleave in any order
    expect([...output()].sort()).toEqual(
      [
        'starting with token [REDACTED] in env',
        'hub [REDACTED]',
        'a known other token: [REDACTED] and again [REDACTED]',
        'split [REDACTED] end',
        'fatal: cannot continue with [REDACTED]',
      ].sort(),
    );
    expect(final.error).toEqual({
      code: 'crash',
      message: 'vLLM exited unexpectedly (exit code 3); last output: fatal: cannot continue with [REDACTED] (gave up after 0 restarts)',
    });
    expect([...(failure()?.obj.last_lines as string[])].sort()).toEqual([...output()].sort());
    const everything = [logger.text(), JSON.stringify(statuses)].join('\n');
    expect(everything).toContain('[REDACTED]');
    expect(everything).not.toContain('hf_slotToken_secret');
    expect(everything).not.toContain(other);
    expect(logger.entries.filter((e) => e.msg === 'vllm output')).toHaveLength(5);
  });

  it('reports the last 20 of the lines it keeps when a slot fails', async () => {
    const bin = script('chatty-vllm', 'i=1; while [ $i -le 250 ]; do echo "line $i"; i=$((i+1)); done; exit 0');
    const { sup, failure } = setup({ options: { vllmBin: bin, backoff: { maxRestarts: 0 } } });
    sup.start(spec());
    const final = await waitForStatus(sup, 'slot-1', failed);
    expect(final.error?.message).toMatch(/exit code 0/); // a clean exit nobody asked for is still a crash
    expect(failure()?.obj.last_lines).toEqual(Array.from({ length: 20 }, (_, i) => `line ${231 + i}`));
  });
});

describe('VllmSupervisor: stop', () => {
  it('stops the whole process group, grandchild included, and frees the port', async () => {
    const { sup, statuses, output, pidOf } = setup({ env: { VLLM_SIM_SPAWN_CHILD: '1' } });
    sup.start(spec());
    const status = await waitForStatus(sup, 'slot-1', running);
    const pid = pidOf();
    const worker = Number(/worker_pid=(\d+)/.exec(output().join('\n'))?.[1]);
    expect(groupMembers(pid).sort()).toEqual([pid, worker].sort());

    await sup.stop('slot-1');
    await eventually(() => groupMembers(pid).length === 0, 3_000, 'the process group to be empty');
    expect(isAlive(worker)).toBe(false);
    expect(output().join('\n')).toContain('Shutting down (SIGTERM)'); // SIGTERM first
    expect(statuses.at(-1)).toMatchObject({ slotId: 'slot-1', state: 'stopped', endpoint: null, error: null });
    expect(sup.list()).toEqual([]);
    expect(await isPortFree(portOf(status.endpoint))).toBe(true);
    await sup.stop('slot-1'); // idempotent
  });

  it('escalates to SIGKILL after stopGraceMs when SIGTERM is ignored', async () => {
    const { sup, logger, output, pidOf } = setup({ env: { VLLM_SIM_IGNORE_SIGTERM: '1' }, options: { stopGraceMs: 400 } });
    sup.start(spec());
    await waitForStatus(sup, 'slot-1', running);
    const pid = pidOf();
    const t0 = Date.now();
    await sup.stop('slot-1');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(isAlive(pid)).toBe(false);
    expect(output().join('\n')).toMatch(/received SIGTERM; ignoring it/);
    expect(logger.entries.some((e) => e.msg === 'vllm ignored SIGTERM; sending SIGKILL')).toBe(true);
  });

  it('stopAll stops every slot; a stop during start-up leaves nothing running', async () => {
    const { sup, statuses, pidOf } = setup({ env: { VLLM_SIM_STARTUP_MS: '60000' } });
    sup.start(spec({ slotId: 'a' }));
    sup.start(spec({ slotId: 'b' }));
    await waitForStatus(sup, 'a', (s) => s.endpoint !== null);
    await waitForStatus(sup, 'b', (s) => s.endpoint !== null);
    const pids = [pidOf('a'), pidOf('b')];
    await sup.stopAll();
    expect(pids.every((p) => !isAlive(p))).toBe(true);
    expect(
      statuses
        .filter((s) => s.state === 'stopped')
        .map((s) => s.slotId)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(sup.list()).toEqual([]);
  });

  it('killAllSync kills every process group at once and nothing restarts', async () => {
    const { sup, launches, output, pidOf } = setup({ env: { VLLM_SIM_SPAWN_CHILD: '1' } });
    sup.start(spec({ slotId: 'a' }));
    sup.start(spec({ slotId: 'b' }));
    await waitForStatus(sup, 'a', running);
    await waitForStatus(sup, 'b', running);
    const pids = [pidOf('a'), pidOf('b')];
    const workers = [
      ...output()
        .join('\n')
        .matchAll(/worker_pid=(\d+)/g),
    ].map((m) => Number(m[1]));
    expect(workers).toHaveLength(2);
    sup.killAllSync();
    await eventually(() => [...pids, ...workers].every((p) => !isAlive(p)), 3_000, 'every process to die');
    await sleep(300);
    expect(launches()).toHaveLength(2);
  });
});
