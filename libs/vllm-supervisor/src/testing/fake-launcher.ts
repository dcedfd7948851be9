// A stand-in for real vLLM processes, driven by the test, for the supervisor's policy specs.
import { redact } from '@helix/secrets';
import type { ExitInfo, Launch, LaunchSpec, VllmProcessHandle } from '../vllm-process';

export class FakeProcess implements VllmProcessHandle {
  readonly ready: Promise<void>;
  readonly exited: Promise<ExitInfo>;
  /** Grace periods terminate() was called with. */
  readonly terminations: number[] = [];
  killedNow = false;
  private markReady!: () => void;
  private markExited!: (exit: ExitInfo) => void;
  private gone = false;

  constructor(
    readonly spec: LaunchSpec,
    readonly pid: number | undefined,
  ) {
    this.ready = new Promise((r) => (this.markReady = r));
    this.exited = new Promise((r) => (this.markExited = r));
  }

  /** GET /health answers 200 from now on. */
  becomeReady(): void {
    if (!this.gone) this.markReady();
  }

  /** A line of output, redacted as the real process does. */
  print(line: string, stream: 'stdout' | 'stderr' = 'stderr'): void {
    this.spec.onLine(stream, redact(line, this.spec.secrets()));
  }

  exit(code: number | null = 1, signal: NodeJS.Signals | null = null, spawnError: string | null = null): void {
    if (this.gone) return;
    this.gone = true;
    this.markExited({ code, signal, spawnError });
  }

  /** Exits on SIGTERM at once. */
  terminate(graceMs: number): Promise<ExitInfo> {
    this.terminations.push(graceMs);
    this.exit(null, 'SIGTERM');
    return this.exited;
  }

  killNow(): void {
    this.killedNow = true;
    this.exit(null, 'SIGKILL');
  }

  get alive(): boolean {
    return !this.gone;
  }
}

/** Records every launch; `failNext` makes the next launch throw like an unusable command line. */
export class FakeLauncher {
  readonly processes: FakeProcess[] = [];
  failNext: Error | null = null;

  readonly launch: Launch = (spec) => {
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      throw err;
    }
    const proc = new FakeProcess(spec, 10_000 + this.processes.length);
    this.processes.push(proc);
    return proc;
  };

  get last(): FakeProcess {
    const last = this.processes.at(-1);
    if (!last) throw new Error('nothing was launched');
    return last;
  }
}
