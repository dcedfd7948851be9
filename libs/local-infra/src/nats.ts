import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, appendFileSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { terminate, trackChild, trackTempDir } from './cleanup';
import { freePort, tcpAccepts } from './ports';
import { LogBuffer, onLines, sleep } from './util';

export interface StartNatsOptions {
  /** Client port; default: a free random port. */
  port?: number;
  /** JetStream store dir (-sd). If given it is kept on dispose(); default: a temp dir that dispose() removes. */
  storeDir?: string;
  /** Also append the server log to this file. */
  logFile?: string;
  /** Path of nats-server; default $HELIX_NATS_SERVER_BIN, then PATH, then /usr/sbin/nats-server. */
  bin?: string;
  /** How long start()/restart wait for readiness (default 30 s). */
  readyTimeoutMs?: number;
  /** A configuration file (`-c`), e.g. the operator-mode nats.conf of `bin/helix-nats-setup`. */
  configFile?: string;
}

export interface NatsProcess {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** HTTP monitoring endpoint (http://127.0.0.1:<monitorPort>). */
  readonly monitorUrl: string;
  readonly storeDir: string;
  /** Server pid while running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Captured server log lines (all runs). */
  readonly logs: string[];
  /** SIGTERM, wait for exit, SIGKILL after 5 s. No-op when stopped. */
  stop(): Promise<void>;
  /** Abrupt end for fault tests (default SIGKILL); waits for exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** (Re)start on the same port and store dir; waits until JetStream is ready. */
  start(): Promise<void>;
  /** stop() and remove the temp dir (unless the caller passed storeDir). */
  dispose(): Promise<void>;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function natsServerBin(): string {
  const fromEnv = process.env['HELIX_NATS_SERVER_BIN'];
  if (fromEnv) return fromEnv;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  for (const p of ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server']) {
    if (isExecutable(p)) return p;
  }
  throw new Error('nats-server not found: set HELIX_NATS_SERVER_BIN, put nats-server on PATH, or apt-get install nats-server');
}

class NatsServer implements NatsProcess {
  private child: ChildProcess | undefined;
  private untrack: (() => void) | undefined;
  private readonly log = new LogBuffer();
  private readonly untrackDir: (() => void) | undefined;

  constructor(
    readonly port: number,
    private monitorPort: number,
    readonly storeDir: string,
    private readonly ownedDir: string | undefined,
    private readonly bin: string,
    private readonly logFile: string | undefined,
    private readonly readyTimeoutMs: number,
    private readonly configFile: string | undefined,
  ) {
    if (ownedDir) this.untrackDir = trackTempDir(ownedDir);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
  get monitorUrl(): string {
    return `http://127.0.0.1:${this.monitorPort}`;
  }
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
  get logs(): string[] {
    return this.log.lines;
  }

  private record(line: string): void {
    this.log.push(line);
    if (this.logFile) {
      try {
        appendFileSync(this.logFile, line + '\n');
      } catch {
        /* ignore */
      }
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    const args = [
      ...(this.configFile ? ['-c', this.configFile] : []),
      '-a',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-m',
      String(this.monitorPort),
      '-js',
      '-sd',
      this.storeDir,
    ];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { PATH: process.env['PATH'] ?? '' } });
    this.child = child;
    let ready = false;
    let spawnError: Error | undefined;
    child.on('error', (err) => (spawnError = err));
    const onLine = (line: string) => {
      this.record(line);
      if (line.includes('Server is ready')) ready = true;
    };
    onLines(child.stdout, onLine);
    onLines(child.stderr, onLine);
    this.untrack = trackChild(child, { group: false, signal: 'SIGKILL', orphanDir: this.ownedDir });
    child.once('exit', () => this.untrack?.());

    const deadline = Date.now() + this.readyTimeoutMs;
    const fail = (why: string) => new Error(`nats-server ${why} (port ${this.port}, store ${this.storeDir}); last log lines:\n${this.log.tail(30)}`);
    for (;;) {
      if (spawnError) throw fail(`failed to spawn: ${spawnError.message}`);
      if (!this.running) throw fail(`exited with ${child.exitCode ?? child.signalCode} during start`);
      if (ready && (await tcpAccepts(this.port)) && (await this.healthy())) return;
      if (Date.now() > deadline) {
        await this.kill('SIGKILL');
        throw fail(`not ready after ${this.readyTimeoutMs} ms`);
      }
      await sleep(50);
    }
  }

  /** /healthz (JetStream enabled and, after a restart, streams recovered). */
  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.monitorUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await terminate(child, [
      { signal: 'SIGTERM', waitMs: 5000 },
      { signal: 'SIGKILL', waitMs: 5000 },
    ]);
    this.untrack?.();
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    await terminate(child, [
      { signal, waitMs: 5000 },
      { signal: 'SIGKILL', waitMs: 5000 },
    ]);
    this.untrack?.();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownedDir) {
      rmSync(this.ownedDir, { recursive: true, force: true });
      this.untrackDir?.();
    }
  }

  /** Used only for the first start when we chose the ports: retry with fresh ones if they got taken. */
  async repickPorts(): Promise<void> {
    (this as { port: number }).port = await freePort();
    this.monitorPort = await freePort();
  }
}

/** Starts `nats-server -a 127.0.0.1 -p <port> -m <monitor> -js -sd <storeDir>` and waits until JetStream is ready. */
export async function startNats(opts: StartNatsOptions = {}): Promise<NatsProcess> {
  const bin = opts.bin ?? natsServerBin();
  let ownedDir: string | undefined;
  let storeDir: string;
  if (opts.storeDir) {
    storeDir = resolve(opts.storeDir);
    mkdirSync(storeDir, { recursive: true });
  } else {
    ownedDir = mkdtempSync(join(tmpdir(), 'helix-nats-'));
    storeDir = ownedDir;
  }
  const server = new NatsServer(
    opts.port ?? (await freePort()),
    await freePort(),
    storeDir,
    ownedDir,
    bin,
    opts.logFile,
    opts.readyTimeoutMs ?? 30_000,
    opts.configFile,
  );
  const attempts = opts.port ? 1 : 3;
  for (let i = 1; ; i++) {
    try {
      await server.start();
      return server;
    } catch (err) {
      const inUse = /address already in use/i.test(String((err as Error).message));
      if (!inUse || i >= attempts) {
        await server.dispose();
        throw err;
      }
      await server.repickPorts();
    }
  }
}
