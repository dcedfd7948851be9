#!/usr/bin/env node
// Benchmark (not a test): a runner joining while the SETTINGS stream holds N scoped tokens — time to
// ready, and its replay alone — next to a bare ordered consumer replaying the same stream (last
// message per subject) in the same run on the same nats-server. Runs the built product (npm run build).
//   node scripts/bench-join.mjs [--scopes 1,10000,100000] [--rounds 3] [--profile]
// --profile writes each runner's CPU profile to .test-results/profiles.
// The events are sealed and signed exactly as the settings-service does it and published straight into the
// stream (setting 100,000 tokens through the API would measure the API, not the join).
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startStack } = require(join(root, 'dist/libs/testing/src/index.js'));
const { settingsSubject, SETTINGS_SIGNATURE_HEADER, SETTINGS_STREAM, SETTINGS_UPDATED_ALL } = require(join(root, 'dist/libs/contracts/src/index.js'));
const { EventSigner, Secret, SettingsBusCipher } = require(join(root, 'dist/libs/secrets/src/index.js'));
const { headers } = require('@nats-io/nats-core');
const { jetstream, jetstreamManager, DeliverPolicy } = require('@nats-io/jetstream');

const argList = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return (i === -1 ? dflt : process.argv[i + 1]).split(',').map(Number);
};
const SCOPES = argList('scopes', '1,10000,100000');
const [ROUNDS] = argList('rounds', '3');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
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
      inFlight.push(js.publish(subject, data, { headers: h }));
      if (inFlight.length >= 2_000) {
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

  /** A runner process from spawn to /readyz, and its replay as it logs it. */
  async function runnerJoin(round) {
    const id = `bench-join-${round}`;
    const t0 = performance.now();
    const profile = process.argv.includes('--profile') ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${join(root, '.test-results/profiles')}` } : {};
    const runner = await stack.startRunner({ id, env: { LOG_LEVEL: 'info', ...profile } });
    const readyMs = performance.now() - t0;
    const line = await runner.waitFor((l) => l.msg === 'settings replay complete');
    // After readiness the replayed events' signatures are checked in the background.
    const verified = await runner.waitFor((l) => l.msg === 'settings replay verified', 300_000);
    const rss = await fetch(`${stack.runnerHttp.get(id)}/metrics`)
      .then((r) => r.text())
      .then((t) => Number(/^process_resident_memory_bytes (\d+)/m.exec(t)?.[1] ?? NaN));
    await stack.stopRunner(id);
    return { readyMs, replayMs: line?.replay_ms ?? NaN, verifyMs: verified?.verify_ms ?? NaN, held: line?.scopes ?? NaN, rssMiB: rss / 2 ** 20 };
  }

  for (const n of SCOPES) {
    await fillTo(n);
    const info = await jsm.streams.info(SETTINGS_STREAM);
    const bare = [];
    const join = [];
    for (let r = 0; r < ROUNDS; r++) {
      bare.push(await bareReplay());
      join.push(await runnerJoin(`${n}-${r}`));
    }
    const row = {
      scopes: n,
      stream_messages: info.state.messages,
      bare_replay_ms: +median(bare.map((b) => b.ms)).toFixed(1),
      runner_replay_ms: +median(join.map((j) => j.replayMs)).toFixed(1),
      runner_spawn_to_ready_ms: +median(join.map((j) => j.readyMs)).toFixed(1),
      runner_background_verify_ms: +median(join.map((j) => j.verifyMs)).toFixed(1),
      runner_scopes_held: median(join.map((j) => j.held)),
      runner_rss_mib: +median(join.map((j) => j.rssMiB)).toFixed(1),
    };
    row.replay_ratio = +(row.runner_replay_ms / row.bare_replay_ms).toFixed(2);
    results.push(row);
    console.log(JSON.stringify(row));
  }
} finally {
  await nc.close();
  await stack.stop();
}
console.table(results);

function uuidOf(i) {
  const hex = i.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}
