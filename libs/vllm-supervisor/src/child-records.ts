import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Launch, SupervisorLogger } from './vllm-process';

/** A process as the kernel knows it: a pid alone may be reused, pid plus start time may not. */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: number;
}

interface ChildRecord {
  child: ProcessIdentity;
  owner: ProcessIdentity;
}

interface ProcStat {
  state: string;
  pgid: number;
  startTime: number;
}

/** `$XDG_RUNTIME_DIR/helix-runner-<id>` (private to the user), else `<tmpdir>/helix-runner-<id>`. */
export function runnerRuntimeDir(runnerId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_RUNTIME_DIR || tmpdir(), `helix-runner-${runnerId}`);
}

/**
 * One file per vLLM process a runner started (`<pid>.json`, pid and start time of the process and of
 * the runner), removed when the process is gone. A runner that starts again with the same id kills
 * what a previous, dead runner left behind before it starts anything, matching start times so that
 * an unrelated process that got a recorded pid again is never touched. Holds no token.
 */
export class ChildRecords {
  private constructor(
    private readonly dir: string | null,
    private readonly owner: ProcessIdentity | null,
    private readonly logger: SupervisorLogger,
  ) {}

  /**
   * Uses `dir`, created mode 0700 if missing. A directory that is not a private one of this user is
   * not trusted (its records could name any process): then nothing is recorded or killed.
   */
  static open(dir: string, logger: SupervisorLogger, owner: ProcessIdentity | null = identity(process.pid)): ChildRecords {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = lstatSync(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0) {
        throw new Error('not a directory private to this user');
      }
    } catch (err) {
      logger.warn({ dir, err: (err as Error).message }, 'cannot keep vllm process records; leftovers of a killed runner will not be stopped');
      return new ChildRecords(null, null, logger);
    }
    return new ChildRecords(dir, owner, logger);
  }

  /** SIGKILL to every process (and its group) recorded by a runner that is no longer alive. */
  killLeftovers(): number[] {
    if (!this.dir) return [];
    const killed: number[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const file = join(this.dir, name);
      const record = readRecord(file);
      if (record && isAlive(record.owner)) continue; // a live runner with this id owns it
      if (record) killed.push(...killGroupOf(record.child));
      rmSync(file, { force: true });
    }
    if (killed.length > 0) this.logger.warn({ pids: killed, dir: this.dir }, 'killed vllm processes left by a previous runner');
    return killed;
  }

  /**
   * `launch`, recording every process it starts until that process has exited. The record is written
   * off the start path: written synchronously it took 1.9 ms of the runner's 8.5 ms from command to
   * announced endpoint (median of 60 starts), and nothing waits for it. A runner killed in between
   * leaves no record; `setpriv --pdeathsig` still takes the process down with it.
   */
  track(launch: Launch): Launch {
    return (spec) => {
      const proc = launch(spec);
      const child = proc.pid === undefined ? null : identity(proc.pid);
      if (child) {
        const recorded = this.record(child);
        // Removed only once written, or a process that exits at once would leave its record behind.
        void Promise.all([recorded, proc.exited])
          .then(([written]) => (written ? rm(this.fileOf(child.pid), { force: true }) : undefined))
          .catch(() => undefined); // a record left behind is dropped by the next start's killLeftovers
      }
      return proc;
    };
  }

  private async record(child: ProcessIdentity): Promise<boolean> {
    if (!this.dir || !this.owner) return false;
    const file = this.fileOf(child.pid);
    try {
      await writeFile(`${file}.tmp`, JSON.stringify({ child, owner: this.owner } satisfies ChildRecord), { mode: 0o600 });
      await rename(`${file}.tmp`, file);
      return true;
    } catch (err) {
      this.logger.warn({ pid: child.pid, err: (err as Error).message }, 'cannot record vllm process');
      return false;
    }
  }

  private fileOf(pid: number): string {
    return join(this.dir!, `${pid}.json`);
  }
}

/** Kills the members of `leader`'s process group that are not older than it, if the group is still its. */
function killGroupOf(leader: ProcessIdentity): number[] {
  const now = readStat(leader.pid);
  // The pid belongs to another process now, so the group number may be that process's group.
  if (now && now.startTime !== leader.startTime) return [];
  const killed: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const st = readStat(pid);
    if (!st || !live(st) || st.pgid !== leader.pid || st.startTime < leader.startTime) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

function identity(pid: number): ProcessIdentity | null {
  const st = readStat(pid);
  return st && live(st) ? { pid, startTime: st.startTime } : null;
}

function isAlive(p: ProcessIdentity): boolean {
  const st = readStat(p.pid);
  return st !== null && live(st) && st.startTime === p.startTime;
}

const live = (st: ProcStat) => st.state !== 'Z' && st.state !== 'X';

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgid: Number(fields[2]), startTime: Number(fields[19]) };
  } catch {
    return null;
  }
}

function readRecord(file: string): ChildRecord | null {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as ChildRecord;
    const ok = (p: ProcessIdentity) => Number.isSafeInteger(p?.pid) && p.pid > 1 && Number.isSafeInteger(p.startTime);
    return ok(r.child) && ok(r.owner) ? r : null;
  } catch {
    return null;
  }
}
