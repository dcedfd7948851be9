#!/usr/bin/env node
// The benchmark suite (`npm run bench`, not a test): builds, runs every benchmark with its baseline in
// the same run — settings fan-out (scripts/bench-settings.mjs), runner join (bench-join.mjs), gateway
// vs bare Fastify (bench-gateway.mjs), model create → spawn and runner RSS (bench-models.mjs) — one
// after the other (each starts its own stack), then writes every raw number and each goal of the scale
// issue (product, baseline, ratio, goal, met) to bench-results/<date>.json and draws the ratios as
// bench-results/ratios.svg (and a dated copy).
//   node scripts/bench.mjs [--quick] [--only settings,join,gateway,models] [--merge] [--no-build]
// --merge (with --only): the benchmarks not run keep their numbers from today's report.
// --quick: a small version (N = 1, 2, 10 runners, 1k/10k scopes once, 2 alternating rounds of 1 s per gateway level, 20 creates)
// written to bench-results/<date>-quick.{json,svg} (git-ignored).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensurePinnedNode, say } from './lib/prepare.mjs';
import { arg, flag, machine, root } from './lib/bench-common.mjs';
import { evaluateGoals, renderSvg } from './lib/bench-report.mjs';

ensurePinnedNode();
const QUICK = flag('quick');
const ONLY = arg('only', 'settings,join,gateway,models').split(',');

const plan = {
  settings: {
    script: 'bench-settings.mjs',
    args: QUICK ? ['--runners', '1,2,10', '--updates', '30', '--idle-ms', '1000'] : ['--runners', '1,2,10,50,100', '--updates', '200'],
  },
  join: {
    script: 'bench-join.mjs',
    args: QUICK
      ? ['--scopes', '1000,10000', '--rounds', '1', '--timeout-s', '30']
      : ['--scopes', '1000,10000,100000', '--rounds', '3', '--big-rounds', '1', '--timeout-s', '240'],
  },
  gateway: { script: 'bench-gateway.mjs', args: ['--seconds', QUICK ? '1' : '2', '--rounds', QUICK ? '2' : '5', '--connections', '1,16,64'] },
  models: { script: 'bench-models.mjs', args: QUICK ? ['--creates', '20', '--settle-ms', '1000'] : ['--creates', '120'] },
};

if (!flag('no-build')) {
  say('building (npm run build)…');
  const b = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const dir = join(root, 'bench-results');
const base = `${new Date().toISOString().slice(0, 10)}${QUICK ? '-quick' : ''}`;
const previous = flag('merge') && existsSync(join(dir, `${base}.json`)) ? JSON.parse(readFileSync(join(dir, `${base}.json`), 'utf8')) : null;

const tmp = mkdtempSync(join(tmpdir(), 'helix-bench-'));
const started = new Date();
const results = {};
const failures = [];
try {
  for (const [name, { script, args }] of Object.entries(plan)) {
    if (!ONLY.includes(name)) {
      if (previous?.benchmarks?.[name])
        results[name] = {
          ...previous.benchmarks[name],
          merged_from_run_started_at: previous.benchmarks[name].merged_from_run_started_at ?? previous.started_at,
        };
      continue;
    }
    const out = join(tmp, `${name}.json`);
    say(`${name}: node scripts/${script} ${args.join(' ')}`);
    const t0 = performance.now();
    // The script's own JSON on stdout is a copy of --out: shown on stderr, not parsed.
    const r = spawnSync(process.execPath, [join(root, 'scripts', script), ...args, '--out', out], { cwd: root, stdio: ['ignore', 2, 2] });
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    if (r.status !== 0) {
      failures.push(name);
      say(`${name} failed (exit ${r.status ?? r.signal}) after ${seconds} s`);
      results[name] = { error: `exit ${r.status ?? r.signal}`, seconds };
      continue;
    }
    results[name] = { ...JSON.parse(readFileSync(out, 'utf8')), seconds, command: `node scripts/${script} ${args.join(' ')}` };
    say(`${name}: done in ${seconds} s`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const date = base.slice(0, 10);
const goals = evaluateGoals(results);
const report = {
  date,
  started_at: started.toISOString(),
  finished_at: new Date().toISOString(),
  quick: QUICK,
  machine: machine(),
  note: 'Product and baseline are measured in the same run on the same machine; ratios are product ÷ baseline. The machine may be shared, so absolute numbers are noisy.',
  goals,
  benchmarks: results,
};
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `${base}.json`), JSON.stringify(report, null, 2) + '\n');
const svg = renderSvg(report);
writeFileSync(join(dir, `${base}.svg`), svg);
if (!QUICK) writeFileSync(join(dir, 'ratios.svg'), svg);

console.log('');
console.table(
  goals.map((g) => ({
    goal: g.label,
    product: g.product === null ? '—' : `${g.product} ${g.unit}`,
    baseline: g.baseline === null ? '—' : `${g.baseline} ${g.unit}`,
    ratio: g.ratio === null ? '—' : `${g.ratio_is_lower_bound ? '≥ ' : ''}${g.ratio}`,
    target: g.goal.text,
    met: g.met === null ? 'not measured' : g.met ? 'yes' : 'NO',
  })),
);
say(`wrote bench-results/${base}.json and bench-results/${base}.svg${QUICK ? '' : ' (and ratios.svg)'}`);
if (failures.length > 0) {
  say(`failed: ${failures.join(', ')}`);
  process.exit(1);
}
