#!/usr/bin/env node
// Benchmark (not a test): a runner joining while the SETTINGS stream holds N scoped tokens — spawn to
// /readyz, and its replay alone — next to a bare ordered consumer replaying the same stream (last
// message per subject) in the same run on the same nats-server: in this process (against the runner's
// logged replay), and from a freshly spawned bare Node + NATS client process (against spawn → ready).
// Also GET /api/v1/runners latency once the runner acknowledged. Runs the built product (npm run build).
//   node scripts/bench-join.mjs [--scopes 1,10000,100000] [--rounds 3] [--big-rounds 1] [--timeout-s 240] [--profile] [--out file.json]
// --big-rounds: rounds at 100,000 scopes and more; --timeout-s: a runner not ready by then is recorded as
// timed out (ready ≥ the timeout). --profile writes each runner's CPU profile to .test-results/profiles.
// The events are sealed and signed exactly as the settings-service does it and published straight into the
// stream (setting 100,000 tokens through the API would measure the API, not the join).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensurePinnedNode } from './lib/prepare.mjs';
import { listArg, machine, median, numArg, requireDist, requirePkg, root, round, sleep, spawnBareNodeProcess, summary, writeOut } from './lib/bench-common.mjs';

ensurePinnedNode();
const { startStack } = requireDist('libs/testing/src/index.js');
const { settingsSubject, SETTINGS_SIGNATURE_HEADER, SETTINGS_STREAM, SETTINGS_UPDATED_ALL } = requireDist('libs/contracts/src/index.js');
const { EventSigner, Secret, SettingsBusCipher } = requireDist('libs/secrets/src/index.js');
const { headers } = requirePkg('@nats-io/nats-core');
const { jetstream, jetstreamManager, DeliverPolicy } = requirePkg('@nats-io/jetstream');

const SCOPES = listArg('scopes', '1,10000,100000');
const ROUNDS = numArg('rounds', 3);
const BIG_ROUNDS = numArg('big-rounds', 1);
const TIMEOUT_MS = numArg('timeout-s', 240) * 1000;
const encoder = new TextEncoder();

const stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
const nc = await stack.connectNats();
const cipher = SettingsBusCipher.fromBase64(stack.settingsKey);
const signer = EventSigner.fromBase64(stack.eventKeys.signingKey);
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);
const results = [];
try {
  let published = 0;
  /** A loaded machine can miss the publish ack's timeout: retried (a duplicate is harmless, the replay keeps the last per subject). */
  async function publishRetrying(subject, data, h) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await js.publish(subject, data, { headers: h, timeout: 30_000 });
      } catch (err) {
        if (attempt === 5) throw err;
        await sleep(500 * attempt);
      }
    }
  }
  /** Tops the stream up to `n` scopes: orgs, users and models in turn, each with its own sealed token. */
  async function fillTo(n) {
    const kinds = ['org', 'user', 'model'];
    let inFlight = [];
    for (; published < n; published++) {
      const scope = kinds[published % 3];
      const scopeId = scope === 'user' ? uuidOf(published) : scope === 'model' ? `bench/model-${published}` : `org-${published}`;
      const token = Secret.of(`hf_bench${randomBytes(12).toString('hex')}`);
      const event = {
        type: 'settings.updated',
        schema: 1,
        scope,
        scope_id: scopeId,
        version: 1,
        huggingface_token: cipher.sealEvent(token, scope, scopeId, 1),
        fingerprint: token.fingerprint,
        updated_at: new Date().toISOString(),
        updated_by: null,
      };
      const subject = settingsSubject(scope, scopeId);
      const data = encoder.encode(JSON.stringify(event));
      const h = headers();
      h.set(SETTINGS_SIGNATURE_HEADER, signer.sign(subject, data));
      inFlight.push(publishRetrying(subject, data, h));
      if (inFlight.length >= 500) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
  }

  /** A bare ordered consumer: last message per subject, until none is pending. */
  async function bareReplay() {
    const t0 = performance.now();
    const consumer = await js.consumers.get(SETTINGS_STREAM, { filter_subjects: SETTINGS_UPDATED_ALL, deliver_policy: DeliverPolicy.LastPerSubject });
    const messages = await consumer.consume();
    let n = 0;
    for await (const m of messages) {
      n++;
      if (m.info.pending === 0) break;
    }
    const ms = performance.now() - t0;
    void messages.close();
    return { ms, n };
  }

  /**
   * The same replay from a fresh process, as a runner does it: spawn a bare Node process that connects
   * with the NATS client and replays the stream with an ordered consumer (last per subject), until it exits.
   */
  const bareProcessScript = `
    const { connect, credsAuthenticator } = require('@nats-io/transport-node');
    const { jetstream, DeliverPolicy } = require('@nats-io/jetstream');
    (async () => {
      const creds = process.env.BENCH_CREDS ? credsAuthenticator(require('node:fs').readFileSync(process.env.BENCH_CREDS)) : undefined;
      const nc = await connect({ servers: process.env.BENCH_NATS, authenticator: creds });
      const c = await jetstream(nc).consumers.get(process.env.BENCH_STREAM, { filter_subjects: process.env.BENCH_FILTER, deliver_policy: DeliverPolicy.LastPerSubject });
      const messages = await c.consume();
      let n = 0;
      for await (const m of messages) { n++; if (m.info.pending === 0) break; }
      process.stdout.write(String(n));
      process.exit(0);
    })();`;
  async function bareProcessReplay() {
    const t0 = performance.now();
    const child = spawnBareNodeProcess(stack, bareProcessScript, { BENCH_STREAM: SETTINGS_STREAM, BENCH_FILTER: SETTINGS_UPDATED_ALL });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const code = await new Promise((ok) => child.once('exit', ok));
    if (code !== 0) throw new Error(`bare replay process exited ${code}`);
    return { ms: performance.now() - t0, n: Number(out) };
  }

  /** GET /api/v1/runners: p50 of 5 after one warm-up, and the statuses seen. */
  async function runnersList() {
    const times = [];
    const statuses = {};
    for (let k = 0; k < 6; k++) {
      const t1 = performance.now();
      const res = await stack.api('GET', '/api/v1/runners');
      if (k >= 1) times.push(performance.now() - t1);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
    return { ...summary(times, 2), statuses };
  }

  /** A runner process from spawn to /readyz (or the timeout), its replay as it logs it, and GET /api/v1/runners after. */
  async function runnerJoin(round) {
    const id = `bench-join-${round}`;
    // Its NATS credentials exist before it starts, as in a deployment (helix-nats-setup is not the join).
    await stack.natsAuth?.addRunners([id]);
    const t0 = performance.now();
    const profile = process.argv.includes('--profile') ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${join(root, '.test-results/profiles')}` } : {};
    const runner = await stack.startRunner({ id, env: { LOG_LEVEL: 'info', ...profile }, waitReady: false });
    const url = stack.runnerHttp.get(id);
    let readyMs = null;
    while (performance.now() - t0 < TIMEOUT_MS && !runner.exited) {
      const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        readyMs = performance.now() - t0;
        break;
      }
      await sleep(10); // polled often: the interval is a measurement error the bare process (timed to its exit) does not have
    }
    if (readyMs === null) {
      process.stderr.write(`[bench-join] ${id}: not ready after ${TIMEOUT_MS / 1000} s\n`);
      const list = await runnersList(); // with the acks that made it so far
      await stack.stopRunner(id);
      return { readyMs: null, replayMs: null, verifyMs: null, held: null, rssMiB: null, list };
    }
    const line = await runner.waitFor((l) => l.msg === 'settings replay complete', 5_000).catch(() => null);
    // After readiness the replayed events' signatures are checked in the background.
    const verified = await runner.waitFor((l) => l.msg === 'settings replay verified', Math.max(10_000, TIMEOUT_MS - readyMs)).catch(() => null);
    const rss = await fetch(`${url}/metrics`)
      .then((r) => r.text())
      .then((t) => Number(/^process_resident_memory_bytes (\d+)/m.exec(t)?.[1] ?? NaN));
    await sleep(1_000); // the acks of the replay reach the settings-service
    const list = await runnersList();
    await stack.stopRunner(id);
    return {
      readyMs,
      replayMs: line?.replay_ms ?? null,
      verifyMs: verified?.verify_ms ?? null,
      held: line?.scopes ?? null,
      rssMiB: rss / 2 ** 20,
      list,
    };
  }

  const med = (xs, digits = 1) => {
    const known = xs.filter((x) => x !== null && Number.isFinite(x));
    return known.length === 0 ? null : round(median(known), digits);
  };
  for (const n of SCOPES) {
    const t0 = performance.now();
    await fillTo(n);
    process.stderr.write(`[bench-join] ${n} scopes published in ${Math.round(performance.now() - t0)} ms\n`);
    const info = await jsm.streams.info(SETTINGS_STREAM);
    const bare = [];
    const bareProc = [];
    const joins = [];
    const rounds = n >= 100_000 ? BIG_ROUNDS : ROUNDS;
    for (let r = 0; r < rounds; r++) {
      bare.push(await bareReplay());
      bareProc.push(await bareProcessReplay());
      joins.push(await runnerJoin(`${n}-${r}`));
    }
    const timedOut = joins.filter((j) => j.readyMs === null).length;
    const row = {
      scopes: n,
      stream_messages: info.state.messages,
      rounds,
      bare_replay_ms: med(bare.map((b) => b.ms)),
      bare_replay_messages: median(bare.map((b) => b.n)),
      bare_process_spawn_to_replayed_ms: med(bareProc.map((b) => b.ms)),
      runner_spawn_to_ready_ms: timedOut > rounds / 2 ? null : round(median(joins.map((j) => j.readyMs ?? Infinity)), 1),
      runner_timed_out_rounds: timedOut,
      ready_timeout_ms: TIMEOUT_MS,
      runner_replay_ms: med(joins.map((j) => j.replayMs)),
      runner_background_verify_ms: med(joins.map((j) => j.verifyMs)),
      runner_scopes_held: med(
        joins.map((j) => j.held),
        0,
      ),
      runner_rss_mib: med(joins.map((j) => j.rssMiB)),
      get_runners_p50_ms: med(
        joins.map((j) => j.list?.p50_ms ?? null),
        2,
      ),
      get_runners_statuses: joins.map((j) => j.list?.statuses ?? null),
    };
    // Spawn → ready against spawn → replayed of a bare process; timed out: a lower bound (the timeout ÷ the bare replay).
    row.ready_ratio = round((row.runner_spawn_to_ready_ms ?? TIMEOUT_MS) / row.bare_process_spawn_to_replayed_ms, 2);
    row.ready_ratio_is_lower_bound = row.runner_spawn_to_ready_ms === null;
    row.replay_ratio = row.runner_replay_ms === null ? null : round(row.runner_replay_ms / row.bare_replay_ms, 2);
    results.push(row);
    process.stderr.write(`[bench-join] ${JSON.stringify(row)}\n`);
  }
  writeOut({ benchmark: 'join', machine: machine(), levels: results });
} finally {
  await nc.close();
  await stack.stop();
}
console.log(JSON.stringify({ levels: results }, null, 2));

function uuidOf(i) {
  const hex = i.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}
