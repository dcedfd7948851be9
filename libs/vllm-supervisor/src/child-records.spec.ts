// ChildRecords against real processes: what a restarted runner may and may not kill.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Secret } from '@helix/secrets';
import { ClaimedPorts } from '@helix/testing';
import { buildVllmEnv, ChildRecords, runnerRuntimeDir, VllmProcess, type LaunchSpec, type ProcessIdentity, type VllmProcessHandle } from './index';
import { captureLogger, eventually, isAlive, SIM } from './testing/helpers';

const root = mkdtempSync(join(tmpdir(), 'child-records-'));
const started: number[] = [];
const ports = new ClaimedPorts(); // a port some other suite's process holds would make vllm-sim exit
let nextDir = 0;

/** A runner that is gone: this pid with a start time it never had. */
const deadOwner: ProcessIdentity = { pid: process.pid, startTime: 1 };

function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function freshDir(): string {
  return join(root, `runner-${nextDir++}`);
}

/** vllm-sim with a worker in its process group, the way the runner starts it (no wrapper here). */
async function simWithWorker(records: ChildRecords): Promise<{ proc: VllmProcessHandle; worker: number }> {
  const lines: string[] = [];
  const spec: LaunchSpec = {
    bin: SIM,
    args: ['serve', 'org/model', '--host', '127.0.0.1', '--port', String(ports.one())],
    env: { ...buildVllmEnv({ PATH: process.env.PATH, VLLM_SIM_SPAWN_CHILD: '1', VLLM_SIM_STARTUP_MS: '10' }, Secret.of('hf_recordsToken_1')) },
    healthHost: '127.0.0.1',
    port: 0,
    healthIntervalMs: 50,
    secrets: () => [],
    onLine: (_stream, line) => lines.push(line),
    logger: captureLogger(),
    logFields: {},
  };
  const proc = records.track((s) => VllmProcess.start(s))(spec);
  started.push(proc.pid!);
  await eventually(() => lines.some((l) => /worker_pid=\d+/.test(l)), 10_000, 'the worker');
  const worker = Number(/worker_pid=(\d+)/.exec(lines.join('\n'))![1]);
  started.push(worker);
  return { proc, worker };
}

afterEach(() => {
  for (const pid of started.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ChildRecords', () => {
  it('records each process in a private directory and kills the whole group once its runner is dead', async () => {
    const dir = freshDir();
    const { proc, worker } = await simWithWorker(ChildRecords.open(dir, captureLogger(), deadOwner));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const file = join(dir, `${proc.pid}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain('hf_recordsToken_1');

    const logger = captureLogger();
    const killed = ChildRecords.open(dir, logger).killLeftovers();
    expect(killed.sort()).toEqual([proc.pid, worker].sort());
    await eventually(() => !isAlive(proc.pid!) && !isAlive(worker), 3_000, 'the leftovers to die');
    expect(readdirSync(dir)).toEqual([]);
    expect(logger.entries.find((e) => e.msg === 'killed vllm processes left by a previous runner')?.obj.pids).toEqual(killed);
  });

  it('leaves the processes of a runner that is still alive alone', async () => {
    const dir = freshDir();
    const { proc } = await simWithWorker(ChildRecords.open(dir, captureLogger()));
    expect(ChildRecords.open(dir, captureLogger()).killLeftovers()).toEqual([]);
    expect(isAlive(proc.pid!)).toBe(true);
    expect(readdirSync(dir)).toEqual([`${proc.pid}.json`]);
  });

  it('never kills a process that merely has a recorded pid (another start time)', async () => {
    const dir = freshDir();
    mkdirSync(dir, { mode: 0o700 });
    const other = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    started.push(other.pid!);
    const child = { pid: other.pid!, startTime: startTime(other.pid!) - 1 };
    writeFileSync(join(dir, `${other.pid}.json`), JSON.stringify({ child, owner: deadOwner }));
    expect(ChildRecords.open(dir, captureLogger()).killLeftovers()).toEqual([]);
    expect(isAlive(other.pid!)).toBe(true);
    expect(readdirSync(dir)).toEqual([]); // the stale record is gone
  });

  it('forgets a process once it has exited', async () => {
    const dir = freshDir();
    const { proc } = await simWithWorker(ChildRecords.open(dir, captureLogger(), deadOwner));
    await proc.terminate(1_000);
    await eventually(() => readdirSync(dir).length === 0, 3_000, 'the record to go'); // removed asynchronously
  });

  it('removes the record of a process that exited before its record was written', async () => {
    const dir = freshDir();
    const other = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    started.push(other.pid!);
    // The record is written asynchronously; here the exit is already known when the launch returns.
    const exitedAtOnce: VllmProcessHandle = {
      pid: other.pid,
      ready: new Promise(() => undefined),
      exited: Promise.resolve({ code: 0, signal: null } as never),
      terminate: () => Promise.resolve({ code: 0, signal: null } as never),
      killNow: () => undefined,
    };
    ChildRecords.open(dir, captureLogger(), deadOwner).track(() => exitedAtOnce)({} as LaunchSpec);
    await eventually(() => readdirSync(dir).length === 0, 3_000, 'the record to go');
  });

  it('trusts no directory that others may write to: nothing is recorded or killed', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const logger = captureLogger();
    const records = ChildRecords.open(dir, logger, deadOwner);
    expect(logger.entries.some((e) => e.level === 'warn' && e.msg.startsWith('cannot keep vllm process records'))).toBe(true);
    const { proc } = await simWithWorker(records);
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(join(dir, `${proc.pid}.json`), JSON.stringify({ child: { pid: proc.pid, startTime: startTime(proc.pid!) }, owner: deadOwner }));
    expect(records.killLeftovers()).toEqual([]);
    expect(isAlive(proc.pid!)).toBe(true);
  });

  it('lives in $XDG_RUNTIME_DIR when there is one, else in the temp dir', () => {
    expect(runnerRuntimeDir('gpu-1', { XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/helix-runner-gpu-1');
    expect(runnerRuntimeDir('gpu-1', {})).toBe(join(tmpdir(), 'helix-runner-gpu-1'));
  });
});
