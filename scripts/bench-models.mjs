#!/usr/bin/env node
// Benchmark (not a test): time from `POST /api/v1/models` to the runner spawning the vLLM process,
// p50/p99 over N creates (default 120), next to its floor measured in the same run: one HTTP round trip
// (the same POST body) to a bare Fastify route + two NATS request/reply round trips to a trivial
// responder on the stack's nats-server + spawning bin/vllm-sim (own process group, piped output, as
// the runner does) until Node's `spawn` event. Also the runner's resident memory with 0 and 20 slots,
// next to a bare Node process holding one NATS connection.
// Runs the built product (npm run build first) on a private nats-server + Postgres, with bin/vllm-sim.
//   node scripts/bench-models.mjs [--creates 120] [--settle-ms 3000] [--out file.json]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensurePinnedNode } from './lib/prepare.mjs';
import { machine, numArg, pct, requireDist, requirePkg, root, round, rssMiB, sleep, writeOut } from './lib/bench-common.mjs';

ensurePinnedNode();
const { startStack } = requireDist('libs/testing/src/index.js');
const { runnerSlotsStatus } = requireDist('libs/contracts/src/index.js');
const Fastify = requirePkg('fastify');

const CREATES = numArg('creates', 120);
const SETTLE_MS = numArg('settle-ms', 3000); // before each RSS reading
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: round(pct(s, 50), 2), p99: round(pct(s, 99), 2), max: round(s.at(-1), 2) };
};

const stack = await startStack({ env: { LOG_LEVEL: 'info' }, runners: [{ id: 'bench-1', memory: '100TB' }] });
const bare = Fastify();
const nc = await stack.connectNats();
const nc2 = await stack.connectNats();
try {
  const runner = stack.runners.get('bench-1');
  const api = async (method, path, body) => {
    const res = await stack.api(method, path, body);
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  // The runner must be registered (first heartbeat) before models can be placed on it.
  for (let i = 0; i < 100; i++) {
    const list = await api('GET', '/api/v1/runners');
    if ((Array.isArray(list) ? list : (list?.items ?? [])).length > 0) break;
    await sleep(100);
  }
  const model = (id) => ({ id, name: id, type: 'chat', runtime: 'vllm', memory: '1GB', context_length: 4096 });

  // The floor's parts: a bare Fastify route, a trivial NATS responder, a bare spawn of bin/vllm-sim.
  bare.post('/api/v1/models', async (req, reply) => reply.code(201).send(req.body));
  const bareUrl = `${await bare.listen({ port: 0, host: '127.0.0.1' })}/api/v1/models`;
  const responder = nc.subscribe('bench.echo');
  void (async () => {
    for await (const m of responder) m.respond(m.data);
  })();
  await nc.flush();
  async function floorOnce(i) {
    const t0 = performance.now();
    const res = await fetch(bareUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(model(`bench/floor-${i}`)) });
    await res.text();
    const t1 = performance.now();
    await nc2.request('bench.echo', new TextEncoder().encode(JSON.stringify(model(`bench/floor-${i}`))), { timeout: 5_000 });
    await nc2.request('bench.echo', new TextEncoder().encode(JSON.stringify(model(`bench/floor-${i}`))), { timeout: 5_000 });
    const t2 = performance.now();
    const child = spawn(join(root, 'bin/vllm-sim'), ['serve', `bench/floor-${i}`, '--port', '1'], {
      detached: true,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise((ok, fail) => child.once('spawn', ok).once('error', fail));
    const t3 = performance.now();
    const exited = new Promise((ok) => child.once('exit', ok));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
    return { http: t1 - t0, nats: t2 - t1, spawn: t3 - t2, total: t3 - t0 };
  }

  // 1. POST → spawn latency, each model deleted again so the runner stays at one slot; a floor sample after each.
  // The clock stops when the runner announces the spawned process on the bus: its first slot status with
  // an endpoint (published right after spawn(), as the models-service sees it), not when its log line
  // has crossed a stdout pipe into this process (that hop alone measured 3–4 ms here).
  const spawnedWaiters = new Map();
  const statuses = nc.subscribe(runnerSlotsStatus('bench-1'));
  void (async () => {
    for await (const m of statuses) {
      const view = JSON.parse(new TextDecoder().decode(m.data));
      if (view.endpoint) spawnedWaiters.get(view.model_id)?.();
    }
  })();
  await nc.flush();
  const spawnAnnounced = (id) =>
    new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no slot status with an endpoint for ${id} within 20 s`)), 20_000);
      spawnedWaiters.set(id, () => {
        clearTimeout(timer);
        spawnedWaiters.delete(id);
        ok();
      });
    });
  const samples = [];
  const floor = [];
  for (let i = 0; i < CREATES; i++) {
    const id = `bench/create-${i}`;
    const spawned = spawnAnnounced(id);
    const t0 = performance.now();
    await api('POST', '/api/v1/models', model(id));
    await spawned;
    samples.push(performance.now() - t0);
    await api('DELETE', `/api/v1/models/${id}`);
    floor.push(await floorOnce(i));
  }
  const create = stats(samples);
  const floorTotal = stats(floor.map((f) => f.total));

  // 2. Runner RSS with 0 and with 20 running slots, and a bare Node process with one NATS connection.
  await sleep(SETTLE_MS);
  const rss0 = rssMiB(runner.pid);
  for (let i = 0; i < 20; i++) await api('POST', '/api/v1/models', model(`bench/slot-${i}`));
  let running = 0;
  for (let i = 0; i < 200; i++) {
    const models = await api('GET', '/api/v1/models');
    const list = Array.isArray(models) ? models : (models?.items ?? []);
    running = list.filter((m) => m.slots?.some((s) => s.state === 'running')).length;
    if (running === 20) break;
    await sleep(250);
  }
  await sleep(SETTLE_MS);
  const rss20 = rssMiB(runner.pid);
  const bareRss = await bareNatsClientRss();

  const result = writeOut({
    benchmark: 'models',
    machine: machine(),
    creates: samples.length,
    post_to_spawn_ms: create,
    floor_ms: {
      total: floorTotal,
      http_round_trip: stats(floor.map((f) => f.http)),
      two_nats_round_trips: stats(floor.map((f) => f.nats)),
      spawn_vllm_sim: stats(floor.map((f) => f.spawn)),
    },
    p50_ratio: round(create.p50 / floorTotal.p50, 2),
    runner_rss_mib: { slots_0: round(rss0, 1), slots_20: round(rss20, 1), running_slots: running },
    bare_node_nats_client_rss_mib: round(bareRss, 1),
  });
  console.log(JSON.stringify(result, null, 2));
} finally {
  await nc2.close().catch(() => undefined);
  await nc.close().catch(() => undefined);
  await bare.close();
  await stack.stop();
}

/** RSS of a bare Node process (the pinned one) connected to the stack's nats-server, after 3 s. */
async function bareNatsClientRss() {
  const script = `
    const { connect, credsAuthenticator } = require('@nats-io/transport-node');
    const creds = process.env.BENCH_CREDS ? credsAuthenticator(require('node:fs').readFileSync(process.env.BENCH_CREDS)) : undefined;
    connect({ servers: process.env.BENCH_NATS, authenticator: creds }).then((nc) => {
      nc.subscribe('bench.idle.>');
      process.stdout.write('connected\\n');
    });`;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', BENCH_NATS: stack.nats.url, BENCH_CREDS: stack.natsAuth ? stack.natsAuth.creds('admin') : '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((ok) => child.stdout.on('data', (c) => String(c).includes('connected') && ok()));
  await sleep(3_000);
  const rss = rssMiB(child.pid);
  child.kill('SIGKILL');
  return rss;
}
