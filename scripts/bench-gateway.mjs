#!/usr/bin/env node
// Benchmark (not a test): authorized GET /api/v1/system/settings through the gateway against a bare
// Fastify route returning the same JSON, measured in the same run on the same machine with
// autocannon, at several connection counts. Prints req/s and the gateway ÷ bare ratio per count.
//   node scripts/bench-gateway.mjs [--seconds 5] [--connections 1,16,64]
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startStack } = require(join(root, 'dist/libs/testing/src/index.js'));
const autocannon = require('autocannon');
const Fastify = require('fastify');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const SECONDS = Number(arg('seconds', '5'));
const CONNECTIONS = arg('connections', '1,16,64').split(',').map(Number);

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
      ratio: +(g.requests.average / b.requests.average).toFixed(3),
      gateway_p99_ms: g.latency.p99,
    });
  }
  console.log(JSON.stringify({ machine: `${(await import('node:os')).cpus().length} cores`, seconds: SECONDS, authorized_get_system_settings: rows }, null, 2));
} finally {
  await bare.close();
  await stack.stop();
}
