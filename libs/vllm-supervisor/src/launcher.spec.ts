import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClaimedPorts } from '@helix/testing';
import { resolveExecutable } from './executable';
import { parentDeathWrapper, vllmLauncher } from './launcher';
import { captureLogger, cmdline, eventually, isAlive, SIM } from './testing/helpers';
import type { LaunchSpec } from './vllm-process';

const ports = new ClaimedPorts();

const tmp = mkdtempSync(join(tmpdir(), 'launcher-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('resolveExecutable', () => {
  it('finds a bare name on PATH and takes a path as given, like execvp', () => {
    expect(resolveExecutable('sh', `/nonexistent:${process.env.PATH}`)).toMatch(/^\/.*\/sh$/);
    expect(resolveExecutable(SIM, undefined)).toBe(SIM);
  });

  it('fails like a spawn would: ENOENT when missing, EACCES when not executable', () => {
    expect(() => resolveExecutable('no-such-vllm', process.env.PATH)).toThrow('spawn no-such-vllm ENOENT');
    const plain = join(tmp, 'not-executable');
    writeFileSync(plain, '#!/bin/sh\n');
    chmodSync(plain, 0o644);
    expect(() => resolveExecutable(plain, undefined)).toThrow(`spawn ${plain} EACCES`);
  });
});

describe('vllmLauncher', () => {
  it('wraps vLLM in setpriv --pdeathsig KILL when setpriv is on PATH', () => {
    const wrapper = parentDeathWrapper(process.env.PATH);
    expect(wrapper).toEqual([expect.stringMatching(/\/setpriv$/), '--pdeathsig', 'KILL', '--']);
  });

  it('falls back to a direct start, saying so once, when setpriv is missing', async () => {
    expect(parentDeathWrapper('/nonexistent')).toBe(null);
    const logger = captureLogger();
    const launch = vllmLauncher(logger, '/nonexistent');
    expect(logger.entries.filter((e) => e.level === 'warn').map((e) => e.msg)).toEqual([
      'setpriv with --pdeathsig is not available; vllm processes outlive a runner that is killed with SIGKILL',
    ]);
    // Still starts vLLM, as itself.
    const port = ports.one();
    const spec: LaunchSpec = {
      bin: SIM,
      args: ['serve', 'org/model', '--port', String(port)],
      env: { PATH: process.env.PATH ?? '' },
      healthHost: '127.0.0.1',
      port,
      healthIntervalMs: 50,
      secrets: () => [],
      onLine: () => undefined,
      logger,
      logFields: {},
    };
    const proc = launch(spec);
    await proc.ready;
    expect(cmdline(proc.pid!)).toContain('serve org/model');
    await proc.terminate(1_000);
    expect(isAlive(proc.pid!)).toBe(false);
  });

  it('through setpriv, the process is vLLM itself (same pid, its own command line) in its own group', async () => {
    const launch = vllmLauncher(captureLogger());
    const port = ports.one();
    const proc = launch({
      bin: SIM,
      args: ['serve', 'org/model', '--port', String(port)],
      env: { PATH: process.env.PATH ?? '' },
      healthHost: '127.0.0.1',
      port,
      healthIntervalMs: 50,
      secrets: () => [],
      onLine: () => undefined,
      logger: captureLogger(),
      logFields: {},
    });
    await proc.ready;
    await eventually(() => !cmdline(proc.pid!).includes('setpriv'), 3_000, 'the exec');
    expect(cmdline(proc.pid!)).toContain(`serve org/model --port ${port}`);
    const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(proc.pid); // group leader
    const exit = await proc.terminate(1_000);
    expect(exit).toEqual({ code: 0, signal: null, spawnError: null });
  });
});
