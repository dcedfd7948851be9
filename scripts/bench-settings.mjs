#!/usr/bin/env node
// Benchmark (not a test): PUT /api/v1/system/settings → every runner's `settings.applied` ack,
// p50/p99 over N sequential updates with 2 runners, next to raw JetStream publish → ordered-consumer
// receive measured in the same run on the same nats-server. Runs the built product (npm run build).
//   node scripts/bench-settings.mjs [--updates 200] [--runners 2]
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startStack } = require(join(root, 'dist/libs/testing/src/index.js'));
const { jetstream, jetstreamManager, DeliverPolicy } = require('@nats-io/jetstream');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const UPDATES = arg('updates', 200);
const RUNNERS = arg('runners', 2);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50_ms: +pct(s, 50).toFixed(3), p99_ms: +pct(s, 99).toFixed(3), max_ms: +s.at(-1).toFixed(3) };
};

const stack = await startStack({ env: { LOG_LEVEL: 'warn' }, runners: Array.from({ length: RUNNERS }, (_, r) => ({ id: `bench-${r}` })) });
const nc = await stack.connectNats();
try {
  // Raw JetStream: publish → ordered consumer receive, one message in flight at a time.
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH', subjects: ['bench.>'], max_msgs_per_subject: 1 });
  const js = jetstream(nc);
  const consumer = await js.consumers.get('BENCH', { filter_subjects: 'bench.>', deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  const it = messages[Symbol.asyncIterator]();
  const raw = [];
  for (let i = 0; i < UPDATES + 20; i++) {
    const t0 = performance.now();
    await js.publish('bench.global', new TextEncoder().encode(JSON.stringify({ i })));
    await it.next();
    if (i >= 20) raw.push(performance.now() - t0); // first 20 warm up
  }
  void messages.close(); // an ordered consumer's close waits on a pull that will not complete

  // Every runner's ack for a version, seen on the wire (core subscription on settings.applied.<runner id>).
  const waiting = new Map();
  const sub = nc.subscribe('settings.applied.*');
  void (async () => {
    for await (const m of sub) {
      const ack = JSON.parse(new TextDecoder().decode(m.data));
      const w = waiting.get(ack.version);
      if (w && ++w.count === RUNNERS) w.done(performance.now());
    }
  })();
  await nc.flush();

  const put = (token) => stack.api('PUT', '/api/v1/system/settings', { huggingface_token: token }).then((r) => r.body);
  const toAck = [];
  const toResponse = [];
  for (let i = 0; i < UPDATES + 10; i++) {
    let done;
    const acked = new Promise((r) => (done = r));
    const version = i + 1;
    waiting.set(version, { count: 0, done });
    const t0 = performance.now();
    const body = await put(`hf_bench_${randomBytes(8).toString('hex')}`);
    const tResponse = performance.now();
    if (body.version !== version) throw new Error(`unexpected version ${body.version}, wanted ${version}`);
    const tAck = await acked;
    waiting.delete(version);
    if (i >= 10) {
      toResponse.push(tResponse - t0);
      toAck.push(tAck - t0);
    }
  }
  sub.unsubscribe();

  const result = {
    machine: `${(await import('node:os')).cpus().length} cores`,
    raw_jetstream_publish_to_receive: summary(raw),
    put_response: summary(toResponse),
    put_to_all_runner_acks: { runners: RUNNERS, ...summary(toAck) },
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await nc.close().catch(() => undefined);
  await stack.stop();
}
