// Per-GPU placement end to end (issue 13): a runner with two 40 GB GPUs (HELIX_RUNNER_GPUS), models
// placed on single GPUs, sharing one, or tensor parallel over both, a model that waits for room, stops
// and restarts of slots and of the runner, and endpoints reachable from elsewhere. Ground truth is what
// each slot's vLLM simulator received (/sim/info: CUDA_VISIBLE_DEVICES, --tensor-parallel-size,
// --gpu-memory-utilization, the address it bound).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runnerCommandReply } from '@helix/contracts';
import { startStack, type Stack } from '@helix/testing';

const GB = 1e9;
const GPUS = '0:40GB,1:40GB';
const model = (id: string, memory: string, extra: Record<string, unknown> = {}) => ({ id, name: id, type: 'embed', runtime: 'vllm', memory, ...extra });

interface SimInfo {
  model: string;
  args: string[];
  host: string;
  cuda_visible_devices: string | null;
  tensor_parallel_size: number;
  gpu_memory_utilization: number;
}
const simInfo = async (endpoint: string): Promise<SimInfo> => (await (await fetch(`${endpoint}/sim/info`)).json()) as SimInfo;

function helpers(stack: () => Stack) {
  const get = async (id: string) => (await stack().api('GET', `/api/v1/models/${id}`)).body;
  /** The model's slots once `pred` holds for them (by default: one is running). */
  const slots = (id: string, pred: (s: any[]) => boolean = (s) => s.some((x) => x.state === 'running'), timeout = 30_000): Promise<any[]> =>
    vi.waitFor(
      async () => {
        const list = (await get(id))?.slots;
        expect(Array.isArray(list) && pred(list), `slots of ${id}: ${JSON.stringify(list)}`).toBe(true);
        return list;
      },
      { timeout, interval: 200 },
    );
  /** The running slot of the model and what its simulator received. */
  const running = async (id: string, timeout?: number) => {
    const slot = (await slots(id, undefined, timeout)).find((s) => s.state === 'running');
    return { slot, info: await simInfo(slot.endpoint) };
  };
  const gpusOf = async (runnerId: string) => (await stack().api('GET', '/api/v1/runners')).body.find((r: any) => r.id === runnerId)?.gpus;
  const remove = async (...ids: string[]) => {
    for (const id of ids) expect((await stack().api('DELETE', `/api/v1/models/${id}`)).status).toBe(200);
  };
  return { get, slots, running, gpusOf, remove };
}

describe('GPU placement on a runner with two 40 GB GPUs', () => {
  let stack: Stack;
  const { get, slots, running, gpusOf, remove } = helpers(() => stack);
  const RUNNER = { id: 'gpu-x', memory: '80GB', env: { HELIX_RUNNER_GPUS: GPUS } };

  beforeAll(async () => {
    stack = await startStack({ runners: [RUNNER] });
    await vi.waitFor(async () => expect(await gpusOf('gpu-x')).toHaveLength(2), { timeout: 20_000, interval: 200 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('GET /api/v1/runners shows each GPU with what is allocated on it', async () => {
    expect(await gpusOf('gpu-x')).toEqual([
      { index: 0, memory_total: 40 * GB, memory_allocated: 0, slot_ids: [] },
      { index: 1, memory_total: 40 * GB, memory_allocated: 0, slot_ids: [] },
    ]);
    const [runner] = (await stack.api('GET', '/api/v1/runners')).body;
    expect(runner.memory_total).toBe(80 * GB);
  });

  it('two 30 GB models land on different GPUs, each told its GPU and its share of it', async () => {
    await stack.api('POST', '/api/v1/models', model('t/30a', '30GB'));
    await stack.api('POST', '/api/v1/models', model('t/30b', '30GB'));
    const a = await running('t/30a');
    const b = await running('t/30b');
    expect([a.info.cuda_visible_devices, b.info.cuda_visible_devices].sort()).toEqual(['0', '1']);
    for (const { slot, info } of [a, b]) {
      expect(slot.gpus).toEqual([Number(info.cuda_visible_devices)]);
      expect(info.tensor_parallel_size).toBe(1);
      expect(info.gpu_memory_utilization).toBe(0.75);
      expect(info.host).toBe('127.0.0.1');
    }
    const gpus = await gpusOf('gpu-x');
    expect(gpus.map((g: any) => g.memory_allocated)).toEqual([30 * GB, 30 * GB]);
    expect(gpus[a.slot.gpus[0]].slot_ids).toEqual([a.slot.id]);
  });

  it('a model that fits nowhere waits with no_capacity, and takes the GPU a stopped slot frees', async () => {
    // 10 GB free on each GPU: 25 GB fits neither on one nor as 12.5 GB on each.
    const res = await stack.api('POST', '/api/v1/models', model('t/25', '25GB'));
    expect(res.body.slots).toEqual([
      expect.objectContaining({
        state: 'scheduled',
        runner_id: null,
        gpus: [],
        error: {
          code: 'no_capacity',
          message: expect.stringContaining(
            'No online runner has 25GB of GPU memory free on one GPU or split evenly over several (the most free is 20GB on gpu-x: GPU 0 10GB, GPU 1 10GB)',
          ),
        },
      }),
    ]);
    const freed = (await running('t/30a')).slot.gpus;
    await remove('t/30a');
    const c = await running('t/25');
    expect(c.slot.gpus).toEqual(freed);
    expect(c.info.cuda_visible_devices).toBe(String(freed[0]));
    expect(c.info.gpu_memory_utilization).toBe(0.62);
    await remove('t/25', 't/30b');
    await vi.waitFor(async () => expect((await gpusOf('gpu-x')).map((g: any) => g.memory_allocated)).toEqual([0, 0]), { timeout: 10_000 });
  });

  it('two 15 GB models share one GPU; the other stays whole for a 40 GB one', async () => {
    await stack.api('POST', '/api/v1/models', model('t/15a', '15GB'));
    await stack.api('POST', '/api/v1/models', model('t/15b', '15GB'));
    const a = await running('t/15a');
    const b = await running('t/15b');
    expect(a.info.cuda_visible_devices).toBe(b.info.cuda_visible_devices);
    expect([a.info.gpu_memory_utilization, b.info.gpu_memory_utilization]).toEqual([0.37, 0.37]);
    await stack.api('POST', '/api/v1/models', model('t/40', '40GB'));
    const c = await running('t/40');
    expect(c.info.cuda_visible_devices).not.toBe(a.info.cuda_visible_devices);
    expect(c.info.gpu_memory_utilization).toBe(1);
    await remove('t/15a', 't/15b', 't/40');
  });

  it('a 70 GB model runs tensor parallel 2 over both GPUs, 35 GB on each', async () => {
    await stack.api('POST', '/api/v1/models', model('t/70', '70GB', { runtime_args: ['--trust-remote-code'] }));
    const { slot, info } = await running('t/70');
    expect(slot.gpus).toEqual([0, 1]);
    expect(info.cuda_visible_devices).toBe('0,1');
    expect(info.tensor_parallel_size).toBe(2);
    expect(info.gpu_memory_utilization).toBe(0.87);
    expect(info.args.filter((a) => a === '--tensor-parallel-size')).toHaveLength(1);
    expect((await gpusOf('gpu-x')).map((g: any) => [g.memory_allocated, g.slot_ids])).toEqual([
      [35 * GB, [slot.id]],
      [35 * GB, [slot.id]],
    ]);
    // Nothing else fits beside it: 5 GB free on each GPU.
    expect((await stack.api('POST', '/api/v1/models', model('t/11', '11GB'))).body.slots[0].error.code).toBe('no_capacity');
    await remove('t/70');
    expect((await running('t/11')).slot.gpus).toEqual([0]);
    await remove('t/11');
  });

  it("a model's own --tensor-parallel-size decides how many GPUs it gets", async () => {
    await stack.api('POST', '/api/v1/models', model('t/tp2', '10GB', { runtime_args: ['--tensor-parallel-size', '2'] }));
    const { slot, info } = await running('t/tp2');
    expect(slot.gpus).toEqual([0, 1]);
    expect(info.cuda_visible_devices).toBe('0,1');
    expect(info.args.filter((a) => a === '--tensor-parallel-size')).toHaveLength(1);
    expect(info.tensor_parallel_size).toBe(2);
    await remove('t/tp2');
  });

  it('a crashed slot restarts on the same GPU; a stopped one frees it for the next model', async () => {
    await stack.api('POST', '/api/v1/models', model('t/keep', '30GB'));
    const first = await running('t/keep');
    // Kill the vLLM process: the supervisor restarts it with the same GPUs.
    const started = await stack.runners.get('gpu-x')!.waitFor((l) => l.msg === 'vllm process started' && l.slot_id === first.slot.id);
    process.kill(started.pid, 'SIGKILL');
    const again = await slots('t/keep', (s) => s.some((x) => x.state === 'running' && x.restarts >= 1));
    const info = await simInfo(again[0].endpoint);
    expect(info.cuda_visible_devices).toBe(first.info.cuda_visible_devices);
    expect(again[0].id).toBe(first.slot.id);
    // Disable (stops the slot), enable again: placed anew, on a GPU with room.
    await stack.api('PUT', '/api/v1/models/t/keep', { enabled: false });
    await vi.waitFor(async () => expect((await gpusOf('gpu-x')).map((g: any) => g.memory_allocated)).toEqual([0, 0]), { timeout: 10_000 });
    await stack.api('POST', '/api/v1/models', model('t/other', '30GB'));
    const other = await running('t/other');
    await stack.api('PUT', '/api/v1/models/t/keep', { enabled: true });
    const back = await running('t/keep');
    expect([other.info.cuda_visible_devices, back.info.cuda_visible_devices].sort()).toEqual(['0', '1']);
    await remove('t/keep', 't/other');
  });

  it('a runner killed and restarted: the allocation is re-derived from the control plane, never double-booked', async () => {
    await stack.api('POST', '/api/v1/models', model('r/a', '30GB'));
    await stack.api('POST', '/api/v1/models', model('r/b', '30GB'));
    const before = [await running('r/a'), await running('r/b')];
    expect(before.map((x) => x.info.cuda_visible_devices).sort()).toEqual(['0', '1']);

    const oldIds = before.map((b) => b.slot.id);
    await stack.stopRunner('gpu-x', 'SIGKILL');
    await stack.startRunner(RUNNER);
    // The runner came back empty, but the control plane still holds both GPUs for r/a and r/b (until
    // it notices the slots are gone): a third 30 GB model must not land on either.
    const third = await stack.api('POST', '/api/v1/models', model('r/c', '30GB'));
    expect(third.body.slots[0]).toMatchObject({ state: 'scheduled', error: { code: 'no_capacity' } });

    // The lost slots are re-placed; two of the three models run, on different GPUs, the third waits.
    const overbooked: unknown[] = [];
    const states = async () => {
      // Sampled all along the way (waitFor would retry a failed expect): no GPU is ever booked beyond its memory.
      for (const g of await gpusOf('gpu-x')) if (g.memory_allocated > g.memory_total) overbooked.push(g);
      const all = await Promise.all(['r/a', 'r/b', 'r/c'].map(async (id) => ({ id, slots: (await get(id)).slots })));
      return all.map(({ id, slots: s }) => ({
        id,
        // (The slots of the killed runner count as running until the control plane notices they are gone.)
        running: s.find((x: any) => x.state === 'running' && !oldIds.includes(x.id)) ?? null,
        waiting: s.some((x: any) => x.error?.code === 'no_capacity'),
      }));
    };
    const settled = await vi.waitFor(
      async () => {
        const now = await states();
        expect(now.filter((m) => m.running).length, JSON.stringify(now)).toBe(2);
        expect(now.filter((m) => m.waiting).length, JSON.stringify(now)).toBe(1);
        return now;
      },
      { timeout: 60_000, interval: 500 },
    );
    expect(overbooked).toEqual([]);
    const infos = await Promise.all(settled.filter((m) => m.running).map((m) => simInfo(m.running.endpoint)));
    expect(infos.map((i) => i.cuda_visible_devices).sort()).toEqual(['0', '1']);
    const gpus = await gpusOf('gpu-x');
    expect(gpus.map((g: any) => [g.memory_allocated, g.slot_ids.length])).toEqual([
      [30 * GB, 1],
      [30 * GB, 1],
    ]);
    // The runner's own view agrees: a create command for a booked GPU is refused.
    const nc = await stack.connectNats();
    try {
      const reply = await nc.request(
        'runner.gpu-x.slots.create',
        JSON.stringify({
          slot_id: '00000000-0000-4000-8000-0000000000ff',
          model: { id: 'x/y', type: 'embed', memory: 30e9, context_length: null, runtime_args: [] },
          gpus: [0],
        }),
        // As the models-service sends it: the runner answers on its own reply subject.
        { timeout: 3_000, noMux: true, reply: runnerCommandReply('gpu-x', 'gpus-test') },
      );
      expect(reply.json()).toMatchObject({ error: 'unavailable', message: expect.stringContaining('free on GPU 0') });
    } finally {
      await nc.close();
    }
    await remove('r/a', 'r/b', 'r/c');
  }, 120_000);
});

// ------------------------------------------------------------------------------------------------

/** The machine's first non-internal IPv4 address (what a runner bound to 0.0.0.0 advertises). */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address;

/** A second network namespace joined to this one by a veth pair (needs root and iproute2). */
function makeNetns(): {
  ns: string;
  hostIp: string;
  run: (args: string[]) => { status: number | null; stdout: string; stderr: string };
  dispose: () => void;
} | null {
  const tag = randomBytes(3).toString('hex');
  const ns = `helix-t-${tag}`;
  const [a, b] = [`hx${tag}a`, `hx${tag}b`];
  const octet = 16 + (parseInt(tag, 16) % 200);
  const hostIp = `10.213.${octet}.1`;
  const sh = (args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
  const dispose = () => {
    sh(['link', 'del', a]);
    sh(['netns', 'del', ns]);
  };
  const steps = [
    ['netns', 'add', ns],
    ['link', 'add', a, 'type', 'veth', 'peer', 'name', b],
    ['link', 'set', b, 'netns', ns],
    ['addr', 'add', `${hostIp}/30`, 'dev', a],
    ['link', 'set', a, 'up'],
    ['netns', 'exec', ns, 'ip', 'addr', 'add', `10.213.${octet}.2/30`, 'dev', b],
    ['netns', 'exec', ns, 'ip', 'link', 'set', b, 'up'],
    ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'],
  ];
  for (const step of steps) {
    if (sh(step).status !== 0) {
      dispose();
      return null;
    }
  }
  const run = (args: string[]) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: 15_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return { ns, hostIp, run, dispose };
}

/** Whether this process may make network namespaces (root with iproute2); checked without making one. */
const netnsUsable = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;

describe('slot endpoints that answer from elsewhere', () => {
  let stack: Stack;
  const { running, remove } = helpers(() => stack);
  // Made in beforeAll, not while the file is collected: a run that filters these tests out skips afterAll too.
  let netns: ReturnType<typeof makeNetns> = null;

  beforeAll(async () => {
    if (netnsUsable) netns = makeNetns();
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
    netns?.dispose();
  });

  it.runIf(netnsUsable)(
    "from a second network namespace, on the runner's advertised address (HELIX_VLLM_HOST = the pod IP)",
    async () => {
      expect(netns, 'could not make a network namespace with a veth pair (ip netns add / ip link add)').not.toBeNull();
      const { hostIp, run } = netns!;
      // The "pod IP" is the host end of the veth pair; a client in the other namespace can reach only it.
      await stack.startRunner({ id: 'gpu-pod', memory: '80GB', env: { HELIX_VLLM_HOST: hostIp } });
      await stack.api('POST', '/api/v1/models', model('net/pod', '10GB'));
      const { slot, info } = await running('net/pod');
      expect(slot.endpoint).toMatch(new RegExp(`^http://${hostIp.replace(/\./g, '\\.')}:\\d+$`));
      expect(info.host).toBe(hostIp);
      const script = `fetch(${JSON.stringify(`${slot.endpoint}/v1/models`)}).then(async (r) => console.log(r.status, await r.text())).catch((e) => { console.error(String(e.cause ?? e)); process.exit(1); })`;
      const res = run([process.execPath, '-e', script]);
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/^200 /);
      expect(JSON.parse(res.stdout.slice(4)).data[0].id).toBe('net/pod');
      // The namespace really is another host: the runner's loopback is not reachable from there.
      const loopback = run([process.execPath, '-e', `fetch('${stack.runnerHttp.get('gpu-pod')}/healthz').then(() => process.exit(0), () => process.exit(3))`]);
      expect(loopback.status).toBe(3);
      await remove('net/pod');
      await stack.stopRunner('gpu-pod');
    },
    60_000,
  );

  it.runIf(lanAddress !== undefined)(
    "on the machine's non-loopback address when vLLM binds 0.0.0.0 (advertised by default)",
    async () => {
      await stack.startRunner({ id: 'gpu-any', memory: '80GB', env: { HELIX_VLLM_HOST: '0.0.0.0' } });
      await stack.api('POST', '/api/v1/models', model('net/any', '10GB'));
      const { slot, info } = await running('net/any');
      expect(info.host).toBe('0.0.0.0');
      expect(slot.endpoint).toMatch(new RegExp(`^http://${lanAddress!.replace(/\./g, '\\.')}:\\d+$`));
      const res = await fetch(`${slot.endpoint}/v1/models`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).data[0].id).toBe('net/any');
      await remove('net/any');
      await stack.stopRunner('gpu-any');
    },
    60_000,
  );
});
