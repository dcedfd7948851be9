#!/usr/bin/env node
// Benchmark (not a test): time from `POST /api/v1/models` to the runner spawning the vLLM process,
// p50/p99 over N creates (default 120), and the runner's resident memory with 0 and 20 slots.
// Runs the built product (npm run build first) on a private nats-server + Postgres, with bin/vllm-sim.
//   node scripts/bench-models.mjs [--creates 120]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startStack } = require(join(root, 'dist/libs/testing/src/index.js'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const CREATES = arg('creates', 120);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const stack = await startStack({ env: { LOG_LEVEL: 'info' }, runners: [{ id: 'bench-1', memory: '100TB' }] });
try {
  const runner = stack.runners.get('bench-1');
  const api = async (method, path, body) => {
    const res = await stack.api(method, path, body);
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  // The runner must be registered (first heartbeat) before models can be placed on it.
  for (let i = 0; i < 100 && (await api('GET', '/api/v1/runners')).length === 0; i++) await sleep(100);
  const model = (id) => ({ id, name: id, type: 'chat', runtime: 'vllm', memory: '1GB', context_length: 4096 });

  // 1. POST → spawn latency, each model deleted again so the runner stays at one slot.
  const samples = [];
  for (let i = 0; i < CREATES; i++) {
    const id = `bench/create-${i}`;
    const spawned = runner.waitFor((l) => l.msg === 'vllm process started' && l.model === id, 20_000);
    const t0 = performance.now();
    await api('POST', '/api/v1/models', model(id));
    await spawned;
    samples.push(performance.now() - t0);
    await api('DELETE', `/api/v1/models/${id}`);
  }
  const sorted = [...samples].sort((a, b) => a - b);

  // 2. Runner RSS with 0 and with 20 running slots.
  await sleep(3_000);
  global.gc?.();
  const rss0 = rssMiB(runner.pid);
  for (let i = 0; i < 20; i++) await api('POST', '/api/v1/models', model(`bench/slot-${i}`));
  for (let i = 0; i < 200; i++) {
    const models = await api('GET', '/api/v1/models');
    if (models.filter((m) => m.slots.some((s) => s.state === 'running')).length === 20) break;
    await sleep(250);
  }
  await sleep(3_000);
  const rss20 = rssMiB(runner.pid);

  console.log(
    JSON.stringify(
      {
        creates: samples.length,
        post_to_spawn_ms: { p50: +pct(sorted, 50).toFixed(1), p99: +pct(sorted, 99).toFixed(1), max: +sorted.at(-1).toFixed(1) },
        runner_rss_mib: { slots_0: +rss0.toFixed(1), slots_20: +rss20.toFixed(1) },
      },
      null,
      2,
    ),
  );
} finally {
  await stack.stop();
}
