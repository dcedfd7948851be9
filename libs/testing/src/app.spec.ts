import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capturedLogs, freePort, repoRoot, spawnApp, waitForHttp, type AppProcess } from './index';

const dir = mkdtempSync(join(tmpdir(), 'helix-app-'));
const script = (name: string, body: string) => {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
};

const LOGGER = script(
  'logger.js',
  `
const log = (o) => process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), ...o }) + '\\n');
log({ msg: 'booting', env_keys: Object.keys(process.env).sort(), greeting: process.env.GREETING, cwd: process.cwd() });
process.stderr.write('plain stderr line\\n');
let n = 0;
const t = setInterval(() => { n++; log({ msg: 'tick', n }); }, 30);
process.on('SIGTERM', () => { clearInterval(t); log({ msg: 'shutting down' }); setTimeout(() => process.exit(3), 20); });
`,
);
const STUBBORN = script(
  'stubborn.js',
  `process.on('SIGTERM', () => console.log('{"msg":"ignoring SIGTERM"}')); setInterval(() => {}, 1000); console.log('{"msg":"up"}');`,
);
const QUICK_EXIT = script('quick.js', `console.log('{"msg":"only line"}'); process.stdout.write('partial-no-newline'); process.exit(7);`);

const apps: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop('SIGKILL', 1000).catch(() => undefined)));
  rmSync(dir, { recursive: true, force: true });
});

describe('spawnApp', () => {
  it('runs node <entry> with a minimal env and captures JSON lines; waitFor sees past and future lines', async () => {
    const app = spawnApp('logger', { GREETING: 'hi' }, { entry: LOGGER });
    apps.push(app);
    expect(app.pid).toBeGreaterThan(0);
    const boot = await app.waitFor((l) => l.msg === 'booting');
    expect(boot.greeting).toBe('hi');
    expect(boot.cwd).toBe(repoRoot());
    expect(boot.env_keys.filter((k: string) => !['PATH', 'HOME', 'LANG', 'GREETING'].includes(k))).toEqual([]);
    expect((await app.waitFor((l) => l.msg === 'tick' && l.n >= 3)).n).toBeGreaterThanOrEqual(3);
    // already-seen line resolves immediately
    expect((await app.waitFor((l) => l.msg === 'booting', 10)).greeting).toBe('hi');
    expect(app.lines).toContain('plain stderr line');
    expect(app.json().every((o) => typeof o === 'object')).toBe(true);
    expect(app.json().some((o) => o.msg === 'booting')).toBe(true);

    expect(await app.stop()).toBe(3);
    expect(app.exited).toBe(true);
    expect(app.json().at(-1).msg).toBe('shutting down');
    expect(capturedLogs().some((l) => l.label.startsWith('logger[') && l.text.includes('shutting down'))).toBe(true);
  });

  it('waitFor rejects on timeout with the last lines, and throwing predicates count as no match', async () => {
    const app = spawnApp('logger', {}, { entry: LOGGER });
    apps.push(app);
    await app.waitFor((l) => l.msg === 'tick');
    const err = await app.waitFor((l) => l.nope.deeper === 1, 300).catch((e: Error) => e);
    expect(String(err)).toMatch(/no matching log line within 300 ms; last 30 lines:\n[\s\S]*"msg":"tick"/);
    await app.stop();
  });

  it('waitFor rejects as soon as the process exits without a match; waitForExit gives the code', async () => {
    const app = spawnApp('quick', {}, { entry: QUICK_EXIT });
    apps.push(app);
    await expect(app.waitFor((l) => l.msg === 'never', 10_000)).rejects.toThrow(/exited \(code 7\)[\s\S]*only line/);
    expect(await app.waitForExit(5000)).toBe(7);
    expect(app.lines).toEqual(['{"msg":"only line"}', 'partial-no-newline']);
    expect(app.exitCode).toBe(7);
  });

  it('stop() escalates to SIGKILL when the app ignores the signal', async () => {
    const app = spawnApp('stubborn', {}, { entry: STUBBORN });
    apps.push(app);
    await app.waitFor((l) => l.msg === 'up');
    expect(await app.stop('SIGTERM', 500)).toBeNull();
    expect(app.signalCode).toBe('SIGKILL');
    expect(app.lines).toContain('{"msg":"ignoring SIGTERM"}');
  });

  it('waitForExit rejects on timeout; kill() ends it', async () => {
    const app = spawnApp('stubborn', {}, { entry: STUBBORN });
    apps.push(app);
    await app.waitFor((l) => l.msg === 'up');
    await expect(app.waitForExit(200)).rejects.toThrow(/did not exit within 200 ms/);
    app.kill();
    expect(await app.waitForExit(5000)).toBeNull();
  });

  it('defaults the entry to dist/apps/<name>/main.js', async () => {
    const app = spawnApp('no-such-app', {});
    apps.push(app);
    await app.waitForExit(10_000);
    expect(app.exitCode).not.toBe(0);
    expect(app.lines.join('\n')).toContain(join(repoRoot(), 'dist', 'apps', 'no-such-app', 'main.js'));
  });
});

describe('waitForHttp', () => {
  it('polls until the URL answers 200, and times out otherwise', async () => {
    const port = await freePort();
    let ready = false;
    const server = createServer((_req, res) => {
      res.statusCode = ready ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      await expect(waitForHttp(`http://127.0.0.1:${port}/health`, 300)).rejects.toThrow(/HTTP 503/);
      setTimeout(() => (ready = true), 200);
      await expect(waitForHttp(`http://127.0.0.1:${port}/health`, 5000)).resolves.toBeUndefined();
    } finally {
      server.close();
    }
  });
});
