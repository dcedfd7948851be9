import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimExclusive } from './claims';
import { repoRoot } from './repo';

describe('claimExclusive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claims-spec-'));

  it('refuses a key a live process holds, and gives it out again once released', () => {
    const release = claimExclusive(dir, 'a');
    expect(release).toBeTypeOf('function');
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe(String(process.pid));
    expect(claimExclusive(dir, 'a')).toBeNull();
    release!();
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(claimExclusive(dir, 'a')).toBeTypeOf('function');
  });

  it('takes over the claim of a process that is gone', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dir, 'b'), dead);
    expect(claimExclusive(dir, 'b')).toBeTypeOf('function');
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe(String(process.pid));
  });

  it("refuses the claim of another live process (the parent's, here)", () => {
    writeFileSync(join(dir, 'c'), String(process.ppid));
    expect(claimExclusive(dir, 'c')).toBeNull();
  });
});

// Compiled the way scripts/build.mjs compiles the libs (SWC, CommonJS) and run in a child process
// that a test runner ends with SIGTERM, as Vitest ends its workers (no 'exit' event then).
describe('claimExclusive in a process ended by a signal', () => {
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), 'claims-signal-spec-'));
  let outDir: string;
  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'helix-claims-build-'));
    execFileSync(
      join(root, 'node_modules/.bin/swc'),
      ['libs/local-infra/src', '-d', outDir, '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--quiet'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  });
  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  /** A child that claims `key`, prints "claimed" and waits; `ownHandler` gives it a SIGTERM handler of its own. */
  async function claimingChild(key: string, ownHandler: boolean) {
    const script = `
      const { claimExclusive } = require(${JSON.stringify(join(outDir, 'libs/local-infra/src/claims.js'))});
      if (!claimExclusive(${JSON.stringify(dir)}, ${JSON.stringify(key)})) process.exit(3);
      ${ownHandler ? "process.on('SIGTERM', () => { console.log('draining'); setTimeout(() => process.exit(0), 300); });" : ''}
      console.log('claimed');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    child.stdout!.on('data', (c) => lines.push(...String(c).split('\n').filter(Boolean)));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    while (!lines.includes('claimed')) {
      if (child.exitCode !== null) throw new Error(`the child exited ${child.exitCode} without claiming`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { child, lines, exited };
  }

  it('releases its claims on SIGTERM and still ends by it', async () => {
    const { child, exited } = await claimingChild('term', false);
    expect(readFileSync(join(dir, 'term'), 'utf8')).toBe(String(child.pid));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(existsSync(join(dir, 'term'))).toBe(false);
  });

  it('leaves the shutdown to a process that handles SIGTERM itself, and releases at its exit', async () => {
    const { child, lines, exited } = await claimingChild('own', true);
    child.kill('SIGTERM');
    while (!lines.includes('draining')) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(join(dir, 'own'))).toBe(true); // still running: still its port
    expect(await exited).toBe(0);
    expect(existsSync(join(dir, 'own'))).toBe(false);
  });
});
