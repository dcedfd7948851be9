#!/usr/bin/env node
// Benchmark (not a test): authorized GET /api/v1/system/settings through the gateway against a bare
// Fastify route returning the same JSON, measured in the same run on the same machine with
// autocannon, at several connection counts. Prints req/s and the gateway ÷ bare ratio per count.
// The two alternate in `--rounds` pairs of `--seconds` each, so a noisy neighbour slows both alike
// (one 5 s run of each, one after the other, gave 0.41–0.69 for the same code); req/s are the means
// over the rounds, and each round's ratio is kept. An untimed round of each comes first (warm-up:
// without it the first round's ratio was 0.42–0.48 against 0.50–0.73 for the later ones).
//   node scripts/bench-gateway.mjs [--seconds 2] [--rounds 5] [--connections 1,16,64] [--out file.json]
import { ensurePinnedNode } from './lib/prepare.mjs';
import { arg, listArg, machine, median, numArg, requireDist, requirePkg, round, writeOut } from './lib/bench-common.mjs';

ensurePinnedNode();
const { startStack } = requireDist('libs/testing/src/index.js');
const autocannon = requirePkg('autocannon');
const Fastify = requirePkg('fastify');

const SECONDS = numArg('seconds', 2);
const ROUNDS = numArg('rounds', 5);
const CONNECTIONS = listArg('connections', arg('c', '1,16,64'));

const load = (url, headers, connections) =>
  new Promise((ok, fail) => autocannon({ url, connections, duration: SECONDS, headers }, (err, result) => (err ? fail(err) : ok(result))));

const stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
const bare = Fastify();
try {
  const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: `hf_benchGateway${Date.now()}` });
  if (put.status !== 200) throw new Error(`PUT failed: ${put.status}`);
  const body = (await stack.api('GET', '/api/v1/system/settings')).body;
  bare.get('/api/v1/system/settings', async () => body);
  const bareUrl = `${await bare.listen({ port: 0, host: '127.0.0.1' })}/api/v1/system/settings`;
  const rows = [];
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const c of CONNECTIONS) {
    const bareRuns = [];
    const gatewayRuns = [];
    // One untimed round of each first: both servers' code is optimised by V8 before it is measured.
    await load(bareUrl, {}, c);
    await load(`${stack.url}/api/v1/system/settings`, { authorization: `Bearer ${stack.adminKey}` }, c);
    for (let r = 0; r < ROUNDS; r++) {
      bareRuns.push(await load(bareUrl, {}, c));
      const g = await load(`${stack.url}/api/v1/system/settings`, { authorization: `Bearer ${stack.adminKey}` }, c);
      if (g.non2xx > 0) throw new Error(`the gateway answered ${g.non2xx} requests with a non-2xx status`);
      gatewayRuns.push(g);
    }
    const bareRps = mean(bareRuns.map((b) => b.requests.average));
    const gatewayRps = mean(gatewayRuns.map((g) => g.requests.average));
    rows.push({
      connections: c,
      rounds: ROUNDS,
      bare_fastify_rps: Math.round(bareRps),
      gateway_rps: Math.round(gatewayRps),
      ratio: round(gatewayRps / bareRps, 3),
      round_ratios: gatewayRuns.map((g, r) => round(g.requests.average / bareRuns[r].requests.average, 3)),
      bare_fastify_p50_ms: median(bareRuns.map((b) => b.latency.p50)),
      gateway_p50_ms: median(gatewayRuns.map((g) => g.latency.p50)),
      gateway_p99_ms: median(gatewayRuns.map((g) => g.latency.p99)),
    });
    process.stderr.write(`[bench-gateway] ${JSON.stringify(rows.at(-1))}\n`);
  }
  const result = writeOut({ benchmark: 'gateway', machine: machine(), seconds: SECONDS, rounds: ROUNDS, authorized_get_system_settings: rows });
  console.log(JSON.stringify(result, null, 2));
} finally {
  await bare.close();
  await stack.stop();
}
