// A runner killed with SIGKILL must not leave vLLM processes behind: each holds a token that may
// since have been rotated. With setpriv they die with the runner; without it, the runner's next life
// kills them before it starts anything.
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack, type AppProcess, type Stack } from '@helix/testing';
import { runnerRuntimeDir } from '@helix/vllm-supervisor';

const stamp = Date.now().toString(36);
/** Runner ids are unique per run: their records live in a directory named after the id. */
const WITH_SETPRIV = `orphans-a-${stamp}`;
const WITHOUT_SETPRIV = `orphans-b-${stamp}`;
const model = (id: string) => ({ id, name: id, type: 'chat', runtime: 'vllm', memory: '1GB', context_length: 2048 });
const simPids: number[] = [];

/** Alive and not a zombie (a zombie's parent has not reaped it yet; it no longer runs). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** The pid of the vLLM process the runner started last. */
async function vllmPid(runner: AppProcess): Promise<number> {
  const started = await runner.waitFor((l) => l.msg === 'vllm process started', 30_000);
  await runner.waitFor((l) => l.msg === 'vllm ready' && l.slot_id === started.slot_id, 30_000);
  simPids.push(started.pid);
  return started.pid;
}

/** SIGKILL to the runner process only: its process group (with the vLLM children) is not signalled. */
async function killRunnerOnly(runner: AppProcess): Promise<void> {
  process.kill(runner.pid, 'SIGKILL');
  await runner.waitForExit(10_000);
}

describe('vLLM processes of a runner killed with SIGKILL', () => {
  let stack: Stack;
  let pathWithoutSetpriv: string;

  beforeAll(async () => {
    // A PATH with node (vllm-sim runs on it) and nothing else, so setpriv is not found.
    pathWithoutSetpriv = mkdtempSync(join(tmpdir(), 'no-setpriv-'));
    symlinkSync(process.execPath, join(pathWithoutSetpriv, 'node'));
    // Each runner has room for one model, so each gets one of the two.
    stack = await startStack({
      runners: [
        { id: WITH_SETPRIV, memory: '1GB' },
        { id: WITHOUT_SETPRIV, memory: '1GB', env: { PATH: pathWithoutSetpriv } },
      ],
    });
    for (const id of ['acme/orphan-a', 'acme/orphan-b']) expect((await stack.api('POST', '/api/v1/models', model(id))).status).toBe(201);
  });

  afterAll(async () => {
    for (const pid of simPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await stack?.stop();
    rmSync(pathWithoutSetpriv, { recursive: true, force: true });
    for (const id of [WITH_SETPRIV, WITHOUT_SETPRIV]) rmSync(runnerRuntimeDir(id, {}), { recursive: true, force: true });
  });

  it('die with the runner (parent-death signal)', async () => {
    const runner = stack.runners.get(WITH_SETPRIV)!;
    const pid = await vllmPid(runner);
    expect(runner.json().some((l) => l.msg.startsWith('setpriv with --pdeathsig is not available'))).toBe(false);
    await killRunnerOnly(runner);
    await eventually(() => !isAlive(pid), 5_000, `vllm-sim ${pid} to die with its runner`);
  });

  it('are killed by the restarted runner (same id) before it starts anything, when setpriv is missing', async () => {
    const first = stack.runners.get(WITHOUT_SETPRIV)!;
    await first.waitFor((l) => l.msg === 'setpriv with --pdeathsig is not available; vllm processes outlive a runner that is killed with SIGKILL');
    const pid = await vllmPid(first);
    await killRunnerOnly(first);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(isAlive(pid)).toBe(true); // nothing else stops it: this is the leftover

    const second = await stack.startRunner({ id: WITHOUT_SETPRIV, memory: '1GB' });
    const line = await second.waitFor((l) => l.msg === 'killed vllm processes left by a previous runner');
    expect(line.pids).toContain(pid);
    await eventually(() => !isAlive(pid), 5_000, `leftover vllm-sim ${pid} to be killed`);
    const before = second.json().slice(0, second.json().indexOf(line));
    expect(before.some((l) => l.msg === 'vllm process started')).toBe(false); // nothing new ran before the cleanup
  });
});
