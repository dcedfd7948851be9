// Shared by the benchmarks (scripts/bench*.mjs): argument parsing, percentiles, the machine
// description, CPU accounting of a whole stack from /proc, and writing a result with --out.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `--name value` from argv, else `dflt`. */
export function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 || i + 1 >= process.argv.length ? dflt : process.argv[i + 1];
}
export const numArg = (name, dflt) => Number(arg(name, String(dflt)));
export const listArg = (name, dflt) => String(arg(name, dflt)).split(',').filter(Boolean).map(Number);
export const flag = (name) => process.argv.includes(`--${name}`);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (x, digits = 2) => (Number.isFinite(x) ? +x.toFixed(digits) : null);
export const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export function summary(xs, digits = 3) {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50_ms: round(pct(s, 50), digits), p99_ms: round(pct(s, 99), digits), max_ms: round(s.at(-1), digits) };
}

export function machine() {
  const c = cpus();
  return {
    cores: c.length,
    cpu_model: c[0]?.model ?? 'unknown',
    memory_gib: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: process.platform,
  };
}

/** Writes `result` as JSON to --out when given (the suite reads it there), and returns it. */
export function writeOut(result) {
  const out = arg('out', undefined);
  if (out) {
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(resolve(out), JSON.stringify(result, null, 2) + '\n');
  }
  return result;
}

/** A package of node_modules (CommonJS). */
export const requirePkg = createRequire(import.meta.url);
/** libs/testing and friends from dist/ (npm run build first), e.g. requireDist('libs/testing/src/index.js'). */
export const requireDist = (rel) => requirePkg(join(root, 'dist', rel));

/**
 * A bare Node process running `script` (node -e) next to a Stack (libs/testing): BENCH_NATS and
 * BENCH_CREDS (the admin credentials, empty without NATS auth) plus `env`; stdout piped, stderr inherited.
 */
export function spawnBareNodeProcess(stack, script, env = {}) {
  return spawn(process.execPath, ['-e', script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', BENCH_NATS: stack.nats.url, BENCH_CREDS: stack.natsAuth ? stack.natsAuth.creds('admin') : '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

const CLK_TCK = 100; // USER_HZ on Linux

/** utime+stime (+ reaped children's cutime+cstime) of one pid, in ticks; 0 when gone. */
function ticksOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): utime=14, stime=15, cutime=16, cstime=17 → f[11..14]
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  } catch {
    return 0;
  }
}

/** pid → parent pid for every process, read once. */
function parents() {
  const map = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      map.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  return map;
}

/**
 * Every process of a Stack (libs/testing): gateway(s), settings- and models-service replicas,
 * runners, nats-server and Postgres, each with its live descendants (Postgres backends, setpriv…).
 */
export function stackRoots(stack) {
  return Object.values(stackRolesRoots(stack)).flat();
}

/** The processes of stackRoots grouped by role, so a benchmark can say where CPU went. */
export function stackRolesRoots(stack) {
  const pids = (...apps) => apps.map((a) => a?.pid).filter((p) => typeof p === 'number' && p > 0);
  return {
    gateway: pids(stack.gateway, ...stack.extraGateways),
    settings_service: pids(...stack.settings),
    models_service: pids(stack.models, ...stack.extraModels),
    runners: pids(...stack.runners.values()),
    nats_server: pids(stack.nats),
    postgres: pids(stack.pg),
  };
}

/** cpuMs for each role of stackRolesRoots. */
export function cpuMsByRole(roles) {
  const ppid = parents();
  return Object.fromEntries(Object.entries(roles).map(([role, roots]) => [role, cpuMs(roots, ppid)]));
}

/** CPU milliseconds used so far by `roots` and all their descendants (reaped children included). */
export function cpuMs(roots, ppid = parents()) {
  const all = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of ppid) {
      if (!all.has(pid) && all.has(parent)) {
        all.add(pid);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of all) ticks += ticksOf(pid);
  return (ticks * 1000) / CLK_TCK;
}

/** Resident memory of one pid in MiB. */
export function rssMiB(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
}
