// Shared by `npm start` and `npm test`: make a fresh machine ready (npm dependencies, nats-server)
// and make sure the script runs on the Node 24 the project pins (the `node` npm package).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const say = (line) => process.stderr.write(`[helix] ${line}\n`);

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    say(`"${cmd} ${args.join(' ')}" failed (exit ${r.status}).`);
    process.exit(1);
  }
}

export const onPath = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

/** Installs npm dependencies and (when needed and possible) nats-server and promtool. */
export function ensureInstalled({ needNats, needPromtool = false }) {
  if (!existsSync(join(root, 'node_modules/.bin/swc'))) {
    say('installing npm dependencies (npm ci)…');
    sh('npm', ['ci', '--no-audit', '--no-fund']);
  }
  if (needNats && !onPath('nats-server') && !existsSync('/usr/sbin/nats-server')) {
    if (process.getuid?.() === 0 && onPath('apt-get')) {
      say('installing nats-server (apt-get)…');
      sh('apt-get', ['update', '-qq']);
      sh('apt-get', ['install', '-y', '-qq', 'nats-server']);
    } else {
      say('nats-server is not installed: install it (e.g. "sudo apt-get install nats-server") or set HELIX_NATS_URL.');
      process.exit(1);
    }
  }
  // promtool (Debian package `prometheus`) checks the alert rules; without it that test fails and says so.
  if (needPromtool && !onPath('promtool') && process.getuid?.() === 0 && onPath('apt-get')) {
    say('installing promtool (apt-get install prometheus)…');
    sh('apt-get', ['update', '-qq']);
    sh('apt-get', ['install', '-y', '-qq', 'prometheus']);
  }
}

/**
 * Re-runs the current script on the pinned Node 24 when started on another version (a first run
 * on a fresh machine starts on the system's node). Ctrl-C reaches both processes (same process
 * group); the child does the work and the stopping.
 */
export function ensurePinnedNode() {
  const pinned = join(root, 'node_modules/node/bin/node');
  if (!existsSync(pinned) || process.version.startsWith('v24.')) return;
  say(`re-running on the pinned Node 24 (this shell has ${process.version})`);
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const r = spawnSync(pinned, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH ?? ''}` },
  });
  process.exit(r.status ?? 1);
}
