#!/usr/bin/env node
// The whole test suite: build (the end-to-end suites run dist/), then every unit, integration and
// end-to-end test with Vitest. Ends with the plain line "N passed, N failed" that CI reads.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureInstalled, ensurePinnedNode, root } from './lib/prepare.mjs';

// A fresh machine: install npm dependencies, nats-server and promtool, then run on the pinned Node 24.
ensureInstalled({ needNats: true, needPromtool: true });
ensurePinnedNode();
const bin = (name) => resolve(root, 'node_modules/.bin', name);
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env }).status ?? 1;

if (run(process.execPath, [resolve(root, 'scripts/build.mjs')]) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

mkdirSync(resolve(root, '.test-results'), { recursive: true });
const report = resolve(root, '.test-results/vitest.json');
const status = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);

let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed = results.numPassedTests;
  failed =
    results.numFailedTests + (results.numTotalTestSuites && results.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length);
} catch {
  failed = Math.max(failed, 1);
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
