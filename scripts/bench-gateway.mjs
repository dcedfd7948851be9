#!/usr/bin/env node
// Benchmark (not a test): authorized GET /api/v1/system/settings through the gateway against a bare
// Fastify route returning the same JSON, measured in the same run on the same machine with
// autocannon, at several connection counts. Prints req/s and the gateway ÷ bare ratio per count.
//   node scripts/bench-gateway.mjs [--seconds 5] [--connections 1,16,64] [--out file.json]
import { ensurePinnedNode } from './lib/prepare.mjs';
import { arg, listArg, machine, numArg, requireDist, requirePkg, round, writeOut } from './lib/bench-common.mjs';

ensurePinnedNode();
const { startStack } = requireDist('libs/testing/src/index.js');
const autocannon = requirePkg('autocannon');
const Fastify = requirePkg('fastify');

const SECONDS = numArg('seconds', 5);
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
  for (const c of CONNECTIONS) {
    const b = await load(bareUrl, {}, c);
    const g = await load(`${stack.url}/api/v1/system/settings`, { authorization: `Bearer ${stack.adminKey}` }, c);
    if (g.non2xx > 0) throw new Error(`the gateway answered ${g.non2xx} requests with a non-2xx status`);
    rows.push({
      connections: c,
      bare_fastify_rps: Math.round(b.requests.average),
      gateway_rps: Math.round(g.requests.average),
      ratio: round(g.requests.average / b.requests.average, 3),
      bare_fastify_p50_ms: b.latency.p50,
      gateway_p50_ms: g.latency.p50,
      gateway_p99_ms: g.latency.p99,
    });
    process.stderr.write(`[bench-gateway] ${JSON.stringify(rows.at(-1))}\n`);
  }
  const result = writeOut({ benchmark: 'gateway', machine: machine(), seconds: SECONDS, authorized_get_system_settings: rows });
  console.log(JSON.stringify(result, null, 2));
} finally {
  await bare.close();
  await stack.stop();
}
