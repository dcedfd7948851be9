import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, repoRoot, tcpAccepts } from './index';

// Compiles this lib the way scripts/build.mjs compiles the others (SWC, CommonJS), then runs it in a
// child process the way scripts/local-stack.mjs would, and checks that whatever the child started
// does not outlive it, however it ends.
const root = repoRoot();
let outDir: string;
let runner: string;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

interface Started {
  natsPid: number;
  natsPort: number;
  natsDir: string;
  pgPid: number;
  pgPort: number;
  pgDir: string;
  appPid: number;
}

function runChild(mode: 'exit' | 'wait'): Promise<{ child: ReturnType<typeof spawn>; started: Started }> {
  const child = spawn(process.execPath, [runner, mode], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', NODE_PATH: join(root, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.startsWith('STARTED '));
      if (line) resolve({ child, started: JSON.parse(line.slice('STARTED '.length)) as Started });
    });
    child.once('exit', (code) => {
      if (!out.includes('STARTED ')) reject(new Error(`child exited ${code} before starting: ${err}`));
    });
  });
}

async function expectAllGone(s: Started): Promise<void> {
  expect(await eventually(() => !alive(s.natsPid) && !alive(s.pgPid) && !alive(s.appPid))).toBe(true);
  expect(await tcpAccepts(s.natsPort)).toBe(false);
  expect(await tcpAccepts(s.pgPort)).toBe(false);
}

describe('child processes never outlive the process that started them (compiled CommonJS build)', () => {
  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'helix-testing-build-'));
    execFileSync(
      join(root, 'node_modules/.bin/swc'),
      ['libs/local-infra/src', 'libs/testing/src', 'libs/secrets/src', '-d', outDir, '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--quiet'],
      { cwd: root, stdio: 'pipe' },
    );
    runner = join(outDir, 'runner.cjs');
    writeFileSync(
      runner,
      `
const h = require(${JSON.stringify(join(outDir, 'libs/testing/src/index.js'))});
(async () => {
  const nats = await h.startNats();
  const db = await h.startPostgres();
  const app = h.spawnApp('sleeper', {}, { entry: ${JSON.stringify(join(outDir, 'sleeper.cjs'))} });
  await app.waitFor((l) => l.msg === 'up');
  console.log('STARTED ' + JSON.stringify({ natsPid: nats.pid, natsPort: nats.port, natsDir: nats.storeDir,
    pgPid: db.pid, pgPort: db.port, pgDir: db.dataDir, appPid: app.pid }));
  if (process.argv[2] === 'exit') setTimeout(() => process.exit(0), 100);
  else setInterval(() => {}, 1000);
})().catch((e) => { console.error(e); process.exit(1); });
`,
    );
    writeFileSync(join(outDir, 'sleeper.cjs'), `process.on('SIGTERM', () => {}); console.log('{"msg":"up"}'); setInterval(() => {}, 1000);`);
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('process.exit() without dispose: children killed and temp dirs removed', async () => {
    const { started } = await runChild('exit');
    await expectAllGone(started);
    expect(await eventually(() => !existsSync(started.natsDir) && !existsSync(started.pgDir))).toBe(true);
  });

  it('SIGTERM with no handler of its own: children killed', async () => {
    const { child, started } = await runChild('wait');
    child.kill('SIGTERM');
    await expectAllGone(started);
    expect(await eventually(() => !existsSync(started.natsDir) && !existsSync(started.pgDir))).toBe(true);
  });

  it('SIGKILL (no chance to clean up): watchdogs kill the children', async () => {
    const { child, started } = await runChild('wait');
    child.kill('SIGKILL');
    await expectAllGone(started);
    expect(await eventually(() => !existsSync(started.natsDir) && !existsSync(started.pgDir))).toBe(true);
  });
});

describe('freePort', () => {
  it('returns distinct bindable ports outside the ephemeral range', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(1024);
      expect(await tcpAccepts(p)).toBe(false);
    }
  });
});
