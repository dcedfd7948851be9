#!/usr/bin/env node
// Benchmark (not a test): PUT /api/v1/system/settings → every runner's `settings.applied` ack, p50/p99
// over sequential updates at each fan-out N, next to raw JetStream publish → N ordered consumers (one
// NATS connection each, like the runners; time until all N received) measured in the same run on the
// same nats-server, and next to the floor of the same hops done bare (an HTTP PUT to bare Fastify,
// one Postgres insert, a JetStream publish, each of the N consumers acknowledging through JetStream).
// Also: CPU per rotation summed over every process of the stack (gateway,
// settings-service, models-service, runners, nats-server, Postgres and its backends, from
// /proc/<pid>/stat), gross and net of the idle CPU (heartbeats…) measured just before, the slope
// per extra runner, the same per role, and GET /api/v1/runners latency at each N. The CPU floor of
// one runner: a bare Node + NATS client process that receives each message of the same cadence, and
// one that also acknowledges it with a JetStream publish, and one that also checks each message's
// Ed25519 signature and opens its AES-GCM sealed token (what the events contract asks of a runner),
// from /proc. The floor's cadence is 10 ms between messages, near the product loop's. Runs the built product (npm run build).
//   node scripts/bench-settings.mjs [--runners 1,2,10,50,100] [--updates 200] [--out file.json]
import { createCipheriv, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ensurePinnedNode } from './lib/prepare.mjs';
import {
  cpuMs,
  cpuMsByRole,
  listArg,
  machine,
  numArg,
  requireDist,
  requirePkg,
  round,
  sleep,
  spawnBareNodeProcess,
  stackRoots,
  stackRolesRoots,
  summary,
  writeOut,
} from './lib/bench-common.mjs';

ensurePinnedNode();
const { startStack } = requireDist('libs/testing/src/index.js');
const { headers } = requirePkg('@nats-io/nats-core');
const { jetstream, jetstreamManager, DeliverPolicy } = requirePkg('@nats-io/jetstream');

const LEVELS = listArg('runners', '2').sort((a, b) => a - b);
const UPDATES = numArg('updates', 200);
const WARMUP = 10;
const IDLE_MS = numArg('idle-ms', 3000);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
const nc = await stack.connectNats();
const rawConnections = [];
const levels = [];
const closers = [];
try {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH', subjects: ['bench.>'], max_msgs_per_subject: 1 });
  const js = jetstream(nc);

  await jsm.streams.add({ name: 'BENCH_ACKS', subjects: ['benchack.>'] });

  // Raw consumers: each one counts the message it receives towards `rawWaiting`; a message of the
  // floor pipeline (`ack: true`) it acknowledges instead, with a JetStream publish of its own.
  let rawWaiting = null;
  async function addRawConsumer() {
    const k = rawConnections.length;
    const c = await stack.connectNats('admin', { name: `bench-raw-${k}` });
    rawConnections.push(c);
    const jsc = jetstream(c);
    const consumer = await jsc.consumers.get('BENCH', { filter_subjects: 'bench.>', deliver_policy: DeliverPolicy.New });
    const messages = await consumer.consume();
    void (async () => {
      for await (const m of messages) {
        const { i, ack } = JSON.parse(decoder.decode(m.data));
        if (ack) await jsc.publish(`benchack.raw-${k}`, encoder.encode(JSON.stringify({ runner_id: `raw-${k}`, version: i })));
        else if (rawWaiting && rawWaiting.i === i && ++rawWaiting.count === rawWaiting.of) rawWaiting.done(performance.now());
      }
    })().catch(() => undefined);
  }

  /**
   * The floor of PUT → all acks: the same hops with nothing else. A bare Fastify PUT route inserts a
   * row (one autocommitted statement on the stack's Postgres) and publishes to JetStream; each raw
   * consumer acknowledges with a JetStream publish; the clock stops when every ack was seen on the wire.
   */
  const db = new (requirePkg('pg').Client)({ connectionString: stack.pg.url });
  await db.connect();
  closers.push(() => db.end());
  await db.query('CREATE TABLE IF NOT EXISTS bench_put (id bigserial PRIMARY KEY, token text NOT NULL, at timestamptz NOT NULL DEFAULT now())');
  const bare = requirePkg('fastify')();
  bare.put('/settings', async (req) => {
    const { rows } = await db.query('INSERT INTO bench_put (token) VALUES ($1) RETURNING id', [req.body.token]);
    await js.publish('bench.global', encoder.encode(JSON.stringify({ i: req.body.i, ack: true })));
    return { version: Number(rows[0].id) };
  });
  const bareUrl = `${await bare.listen({ port: 0, host: '127.0.0.1' })}/settings`;
  closers.push(() => bare.close());
  /** @type {{ i: number, count: number, of: number, done: (t: number) => void } | null} */
  let floorWaiting = null;
  const floorAcks = nc.subscribe('benchack.>');
  void (async () => {
    for await (const m of floorAcks) {
      const { version } = JSON.parse(decoder.decode(m.data));
      if (floorWaiting && floorWaiting.i === version && ++floorWaiting.count === floorWaiting.of) floorWaiting.done(performance.now());
    }
  })();
  async function floorRound(n) {
    const times = [];
    for (let k = 0; k < UPDATES + 20; k++) {
      const i = ++rawSeq;
      const acked = new Promise((done) => (floorWaiting = { i, count: 0, of: n, done }));
      const t0 = performance.now();
      const res = await fetch(bareUrl, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ i, token: `hf_floor_${randomBytes(8).toString('hex')}` }),
      });
      await res.text();
      const t1 = await acked;
      if (k >= 20) times.push(t1 - t0); // the first 20 warm up
    }
    floorWaiting = null;
    return summary(times);
  }
  let rawSeq = 0;
  async function rawRound(n) {
    const times = [];
    for (let k = 0; k < UPDATES + 20; k++) {
      const i = ++rawSeq;
      const received = new Promise((done) => (rawWaiting = { i, count: 0, of: n, done }));
      const t0 = performance.now();
      await js.publish('bench.global', encoder.encode(JSON.stringify({ i })));
      const t1 = await received;
      if (k >= 20) times.push(t1 - t0); // the first 20 warm up
    }
    rawWaiting = null;
    return summary(times);
  }

  /**
   * CPU per message of a bare Node + NATS client process (its own connection and ordered consumer,
   * like a runner) while `count` messages arrive `gapMs` apart: receiving only; receiving and
   * publishing a small ack to a JetStream stream and waiting for its PubAck; and that plus what the
   * events contract asks of a runner for each message (docs/reference/security.md): check the
   * message's Ed25519 signature and open its AES-256-GCM sealed token, with node:crypto alone.
   */
  const contractKeys = generateKeyPairSync('ed25519');
  const contractAesKey = randomBytes(32);
  const bareConsumerScript = `
    const { connect, credsAuthenticator } = require('@nats-io/transport-node');
    const { jetstream, DeliverPolicy } = require('@nats-io/jetstream');
    const crypto = require('node:crypto');
    const contract = process.env.BENCH_CONTRACT === '1';
    const verifyKey = contract ? crypto.createPublicKey({ key: Buffer.from(process.env.BENCH_VERIFY_KEY, 'base64'), format: 'der', type: 'spki' }) : null;
    const aesKey = contract ? crypto.createSecretKey(Buffer.from(process.env.BENCH_AES_KEY, 'base64')) : null;
    (async () => {
      const creds = process.env.BENCH_CREDS ? credsAuthenticator(require('node:fs').readFileSync(process.env.BENCH_CREDS)) : undefined;
      const nc = await connect({ servers: process.env.BENCH_NATS, authenticator: creds });
      const js = jetstream(nc);
      const c = await js.consumers.get('BENCH', { filter_subjects: 'bench.>', deliver_policy: DeliverPolicy.New });
      const messages = await c.consume();
      process.stdout.write('ready\\n');
      const ack = process.env.BENCH_ACK === '1';
      for await (const m of messages) {
        const { i, token } = JSON.parse(new TextDecoder().decode(m.data));
        if (contract) {
          if (!crypto.verify(null, m.data, verifyKey, Buffer.from(m.headers.get('Bench-Signature'), 'base64'))) throw new Error('bad signature');
          const d = crypto.createDecipheriv('aes-256-gcm', aesKey, Buffer.from(token.iv, 'base64url'));
          d.setAuthTag(Buffer.from(token.tag, 'base64url'));
          Buffer.concat([d.update(Buffer.from(token.ct, 'base64url')), d.final()]);
        }
        if (ack) await js.publish('benchack.' + process.pid, new TextEncoder().encode(JSON.stringify({ runner_id: String(process.pid), scope: 'global', version: i })));
      }
    })();`;
  /** A message for the bare consumers: with `contract`, a sealed token and a signature header like a settings.updated event. */
  function bareMessage(contract) {
    const i = ++rawSeq;
    if (!contract) return [encoder.encode(JSON.stringify({ i }))];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', contractAesKey, iv);
    const ct = Buffer.concat([cipher.update(`hf_bench_${randomBytes(8).toString('hex')}`, 'utf8'), cipher.final()]);
    const token = { kid: 'bench', alg: 'A256GCM', iv: iv.toString('base64url'), ct: ct.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') };
    const data = encoder.encode(JSON.stringify({ type: 'settings.updated', schema: 1, scope: 'global', scope_id: null, version: i, i, token }));
    const h = headers();
    h.set('Bench-Signature', sign(null, data, contractKeys.privateKey).toString('base64'));
    return [data, { headers: h }];
  }
  async function bareConsumerCpu(ack, contract = false, count = UPDATES, gapMs = 10) {
    const child = spawnBareNodeProcess(stack, bareConsumerScript, {
      BENCH_ACK: ack ? '1' : '0',
      BENCH_CONTRACT: contract ? '1' : '0',
      BENCH_VERIFY_KEY: contractKeys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      BENCH_AES_KEY: contractAesKey.toString('base64'),
    });
    try {
      await new Promise((ok, fail) => {
        child.stdout.once('data', ok);
        child.once('exit', (code) => fail(new Error(`bare consumer exited ${code}`)));
      });
      await sleep(500);
      for (let k = 0; k < 20; k++) await js.publish('bench.global', ...bareMessage(contract)); // warm-up
      await sleep(500);
      const idle0 = cpuMs([child.pid]);
      await sleep(1000);
      const idlePerMs = (cpuMs([child.pid]) - idle0) / 1000;
      const cpu0 = cpuMs([child.pid]);
      const t0 = performance.now();
      for (let k = 0; k < count; k++) {
        await js.publish('bench.global', ...bareMessage(contract));
        await sleep(gapMs);
      }
      await sleep(200);
      // A consumer that died (a signature that did not verify, say) would report a floor of nothing.
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`bare consumer exited ${child.exitCode ?? child.signalCode} while measured`);
      return round((cpuMs([child.pid]) - cpu0 - idlePerMs * (performance.now() - t0)) / count, 3);
    } finally {
      child.kill();
    }
  }
  const bareConsumer = {
    receive: await bareConsumerCpu(false),
    receive_and_jetstream_ack: await bareConsumerCpu(true),
    receive_verify_open_and_ack: await bareConsumerCpu(true, true),
  };
  process.stderr.write(`[bench-settings] bare consumer CPU per message: ${JSON.stringify(bareConsumer)}\n`);

  // Every runner's ack for a version of the global scope, seen on the wire (single or batched form).
  const waiting = new Map();
  const sub = nc.subscribe('settings.applied.*');
  void (async () => {
    for await (const m of sub) {
      const ack = JSON.parse(decoder.decode(m.data));
      const acks = Array.isArray(ack.acks) ? ack.acks : [ack];
      for (const a of acks) {
        if (a.scope !== 'global') continue;
        const w = waiting.get(a.version);
        if (!w || w.runners.has(ack.runner_id)) continue;
        w.runners.add(ack.runner_id);
        if (w.runners.size === w.of) w.done(performance.now());
      }
    }
  })();
  await nc.flush();

  let version = 0;
  async function productRound(n) {
    const toAck = [];
    const toResponse = [];
    let cpu0 = 0;
    let roles0 = {};
    let tStart = 0;
    for (let k = 0; k < UPDATES + WARMUP; k++) {
      if (k === WARMUP) {
        cpu0 = cpuMs(stackRoots(stack));
        roles0 = cpuMsByRole(stackRolesRoots(stack));
        tStart = performance.now();
      }
      const v = ++version;
      const acked = new Promise((done) => waiting.set(v, { runners: new Set(), of: n, done }));
      const t0 = performance.now();
      const res = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: `hf_bench_${randomBytes(8).toString('hex')}` });
      const tResponse = performance.now();
      if (res.status !== 200 || res.body.version !== v) throw new Error(`PUT: ${res.status}, version ${res.body?.version}, wanted ${v}`);
      const tAck = await acked;
      waiting.delete(v);
      if (k >= WARMUP) {
        toResponse.push(tResponse - t0);
        toAck.push(tAck - t0);
      }
    }
    const cpu = cpuMs(stackRoots(stack)) - cpu0;
    const roles = cpuMsByRole(stackRolesRoots(stack));
    const byRole = Object.fromEntries(Object.entries(roles).map(([role, ms]) => [role, round((ms - roles0[role]) / UPDATES, 2)]));
    return { toAck: summary(toAck), toResponse: summary(toResponse), cpuMs: cpu, byRole, loopMs: performance.now() - tStart };
  }

  async function runnersList() {
    const times = [];
    const statuses = {};
    let rows = null;
    for (let k = 0; k < 12; k++) {
      const t0 = performance.now();
      const res = await stack.api('GET', '/api/v1/runners');
      if (k >= 2) times.push(performance.now() - t0);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      rows = Array.isArray(res.body) ? res.body.length : Array.isArray(res.body?.items) ? res.body.items.length : rows;
    }
    return { ...summary(times, 2), statuses, rows_in_first_page: rows };
  }

  // Every runner's NATS credentials in one go (one helix-nats-setup run, not one per runner).
  await stack.natsAuth?.addRunners(Array.from({ length: LEVELS.at(-1) }, (_, r) => `bench-${r}`));
  for (const n of LEVELS) {
    // Runners up to n, a few at a time (each waits for its /readyz).
    const t0 = performance.now();
    while (stack.runners.size < n) {
      const batch = Array.from({ length: Math.min(5, n - stack.runners.size) }, (_, b) => `bench-${stack.runners.size + b}`);
      await Promise.all(batch.map((id) => stack.startRunner({ id })));
    }
    while (rawConnections.length < n) await addRawConsumer();
    process.stderr.write(`[bench-settings] ${n} runners ready in ${Math.round(performance.now() - t0)} ms\n`);
    await sleep(1000);

    const raw = await rawRound(n);
    const floor = await floorRound(n);
    const idle0 = cpuMs(stackRoots(stack));
    await sleep(IDLE_MS);
    const idleMsPerS = ((cpuMs(stackRoots(stack)) - idle0) * 1000) / IDLE_MS;
    const product = await productRound(n);
    const gross = product.cpuMs / UPDATES;
    const net = Math.max(0, (product.cpuMs - (idleMsPerS * product.loopMs) / 1000) / UPDATES);
    const list = await runnersList();
    const row = {
      runners: n,
      raw_jetstream_publish_to_all_consumers: raw,
      put_response: product.toResponse,
      put_to_all_runner_acks: product.toAck,
      floor_put_to_all_acks: floor,
      p50_ratio: round(product.toAck.p50_ms / raw.p50_ms, 2),
      p50_ratio_vs_floor: round(product.toAck.p50_ms / floor.p50_ms, 2),
      p99_ratio: round(product.toAck.p99_ms / raw.p99_ms, 2),
      idle_cpu_ms_per_s: round(idleMsPerS, 1),
      cpu_ms_per_rotation_gross: round(gross, 2),
      cpu_ms_per_rotation_net: round(net, 2),
      cpu_ms_per_rotation_by_role_gross: product.byRole,
      get_runners: list,
    };
    levels.push(row);
    process.stderr.write(`[bench-settings] ${JSON.stringify(row)}\n`);
  }
  sub.unsubscribe();

  const first = levels[0];
  const last = levels.at(-1);
  const perRunner = (a, b) => (last.runners > first.runners ? round((b - a) / (last.runners - first.runners), 3) : null);
  const slope = (key) => perRunner(first[key], last[key]);
  const byRole = Object.fromEntries(
    Object.keys(first.cpu_ms_per_rotation_by_role_gross).map((role) => [
      role,
      perRunner(first.cpu_ms_per_rotation_by_role_gross[role], last.cpu_ms_per_rotation_by_role_gross[role]),
    ]),
  );
  const result = writeOut({
    benchmark: 'settings-fanout',
    machine: machine(),
    updates_per_level: UPDATES,
    bare_consumer_cpu_ms_per_message: bareConsumer,
    levels,
    cpu_ms_per_extra_runner_per_rotation: {
      net: slope('cpu_ms_per_rotation_net'),
      gross: slope('cpu_ms_per_rotation_gross'),
      by_role_gross: byRole,
      // Against the bare process that receives and acknowledges (the per-runner floor of the contract).
      net_vs_bare_consumer_ack: round(slope('cpu_ms_per_rotation_net') / bareConsumer.receive_and_jetstream_ack, 2),
      // Against the bare process that also checks the signature and opens the token, as runners must.
      net_vs_bare_consumer_contract: round(slope('cpu_ms_per_rotation_net') / bareConsumer.receive_verify_open_and_ack, 2),
      between: [first.runners, last.runners],
    },
  });
  console.log(JSON.stringify(result, null, 2));
} finally {
  await Promise.all(closers.map((close) => close().catch(() => undefined)));
  await Promise.all(rawConnections.map((c) => c.close().catch(() => undefined)));
  await nc.close().catch(() => undefined);
  await stack.stop();
}
