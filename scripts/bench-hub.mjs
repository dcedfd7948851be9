#!/usr/bin/env node
// Benchmark (not a test): what the Hugging Face Hub check adds to a PUT (docs/reference/hub.md). Two stacks in the
// same run against the same bin/hf-hub-sim: HELIX_HF_VALIDATION=off and =warn; p50/p99 of
// PUT /api/v1/system/settings over N sequential updates, and the ratio.
//   node scripts/bench-hub.mjs [--updates 100]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startStack, freePort } = require(join(root, 'dist/libs/testing/src/index.js'));

const i = process.argv.indexOf('--updates');
const UPDATES = i === -1 ? 100 : Number(process.argv[i + 1]);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50_ms: +pct(s, 50).toFixed(2), p99_ms: +pct(s, 99).toFixed(2) };
};

const tokens = Array.from({ length: UPDATES + 10 }, () => `hf_benchHub${randomBytes(8).toString('hex')}`);
const port = await freePort();
const hub = spawn(process.execPath, [join(root, 'bin/hf-hub-sim'), '--port', String(port)], {
  env: { PATH: process.env.PATH ?? '', HF_SIM_TOKENS: tokens.map((t) => `${t}:bench:read`).join(',') },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((ok) => hub.stdout.on('data', (c) => String(c).includes('listening on') && ok()));

async function measure(mode) {
  const stack = await startStack({ env: { LOG_LEVEL: 'warn', HELIX_HF_ENDPOINT: `http://127.0.0.1:${port}`, HELIX_HF_VALIDATION: mode } });
  try {
    const times = [];
    for (let n = 0; n < tokens.length; n++) {
      const t0 = performance.now();
      const res = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: tokens[n] });
      if (res.status !== 200) throw new Error(`PUT failed: ${res.status} ${res.text}`);
      if (mode === 'warn' && res.body.huggingface_token_status !== 'valid') throw new Error(`expected valid, got ${res.body.huggingface_token_status}`);
      if (n >= 10) times.push(performance.now() - t0); // the first 10 warm up
    }
    return summary(times);
  } finally {
    await stack.stop();
  }
}

try {
  const off = await measure('off');
  const warn = await measure('warn');
  console.log(
    JSON.stringify(
      {
        machine: `${(await import('node:os')).cpus().length} cores`,
        put_validation_off: off,
        put_validation_warn: warn,
        p50_ratio: +(warn.p50_ms / off.p50_ms).toFixed(2),
      },
      null,
      2,
    ),
  );
} finally {
  hub.kill('SIGTERM');
}
