import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { terminate, trackChild, trackTempDir } from './cleanup';
import { natsServerBin } from './nats';
import { freePort, tcpAccepts } from './ports';
import { LogBuffer, onLines, sleep } from './util';

export interface StartNatsClusterOptions {
  /** Number of nats-server processes, at least 2 (default 3: JetStream R3 survives the loss of one). */
  nodes?: number;
  /** `cluster { name }` (default `helix`). */
  name?: string;
  /**
   * A NATS configuration file that every node's configuration includes (e.g. the `nats.conf` of
   * `bin/helix-nats-setup`: operator, system account, resolver). It is included first, so the
   * node's own listen addresses, store dir and cluster block win over anything it also sets.
   * Default: none (no authentication).
   */
  include?: string;
  /** Path of nats-server; default as startNats (HELIX_NATS_SERVER_BIN, PATH, /usr/sbin). */
  bin?: string;
  /** Also append each node's log to `<logDir>/<server name>.log`. */
  logDir?: string;
  /** How long start() and restarts wait for readiness (default 30 s). */
  readyTimeoutMs?: number;
}

/** One nats-server of the cluster. */
export interface NatsClusterNode {
  readonly index: number;
  /** `server_name`: n0, n1, … (what JetStream reports as leader and peer names). */
  readonly name: string;
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Route port (`cluster { listen }`). */
  readonly clusterPort: number;
  /** HTTP monitoring endpoint (http://127.0.0.1:<port>). */
  readonly monitorUrl: string;
  readonly storeDir: string;
  readonly configFile: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGSTOPped by pause() and not yet resumed. */
  readonly paused: boolean;
  /** Captured server log lines (all runs). */
  readonly logs: string[];
}

export interface NatsCluster {
  readonly nodes: readonly NatsClusterNode[];
  /** Every node's client URL, comma-separated (HELIX_NATS_URL). */
  readonly url: string;
  /** Every node's client URL with node `i` first (see the note on client randomisation in the docs). */
  urlFrom(i: number): string;
  /** Abrupt end of node i (default SIGKILL); waits for the process to exit. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM (then SIGKILL after 5 s) of node i. */
  stop(i: number): Promise<void>;
  /** (Re)start node i on the same ports and store dir; waits until it serves and its JetStream is current. */
  start(i: number): Promise<void>;
  /** SIGSTOP node i: its sockets stay open but nothing answers (a partition, as its peers and clients see it). */
  pause(i: number): void;
  /** SIGCONT node i. */
  resume(i: number): void;
  /** The JetStream meta leader's server name, once every running node agrees on one. */
  waitForMetaLeader(timeoutMs?: number): Promise<string>;
  /**
   * The server name of the current leader of `stream` (any account), as the running nodes'
   * monitoring endpoints report it, or undefined when none reports one.
   */
  streamLeader(stream: string): Promise<string | undefined>;
  /** Node index of a server name (n0 → 0). */
  indexOf(serverName: string): number;
  /** Stop every node and remove the temp dir. */
  dispose(): Promise<void>;
}

async function getJson(url: string, timeoutMs = 2000): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) {
    await res.arrayBuffer().catch(() => undefined);
    throw new Error(`${url}: HTTP ${res.status}`);
  }
  return res.json();
}

class ClusterNode implements NatsClusterNode {
  private child: ChildProcess | undefined;
  private untrack: (() => void) | undefined;
  private readonly log = new LogBuffer();
  paused = false;

  constructor(
    readonly index: number,
    readonly name: string,
    readonly port: number,
    readonly clusterPort: number,
    readonly monitorPort: number,
    readonly storeDir: string,
    readonly configFile: string,
    private readonly bin: string,
    private readonly logFile: string | undefined,
    private readonly readyTimeoutMs: number,
    private readonly ownedDir: string,
  ) {}

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

  /** Spawns the process and waits until it accepts clients (not yet until JetStream is current: see waitHealthy). */
  async spawn(): Promise<void> {
    if (this.running) return;
    const child = spawn(this.bin, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { PATH: process.env['PATH'] ?? '' } });
    this.child = child;
    this.paused = false;
    let ready = false;
    let spawnError: Error | undefined;
    child.on('error', (err) => (spawnError = err));
    const onLine = (line: string) => {
      this.record(line);
      if (line.includes('Server is ready')) ready = true;
    };
    onLines(child.stdout, onLine);
    onLines(child.stderr, onLine);
    this.untrack = trackChild(child, { group: false, signal: 'SIGKILL', orphanDir: this.index === 0 ? this.ownedDir : undefined });
    child.once('exit', () => this.untrack?.());
    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      if (spawnError) throw this.failure(`failed to spawn: ${spawnError.message}`);
      if (!this.running) throw this.failure(`exited with ${child.exitCode ?? child.signalCode} during start`);
      if (ready && (await tcpAccepts(this.port))) return;
      if (Date.now() > deadline) {
        await this.kill('SIGKILL');
        throw this.failure(`not ready after ${this.readyTimeoutMs} ms`);
      }
      await sleep(50);
    }
  }

  /** /healthz answers 200 once JetStream is enabled and current with the meta leader and its streams. */
  async waitHealthy(deadline: number): Promise<void> {
    for (;;) {
      if (!this.running) throw this.failure('exited while waiting for /healthz');
      try {
        const res = await fetch(`${this.monitorUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw this.failure('/healthz not 200 in time');
      await sleep(100);
    }
  }

  failure(why: string): Error {
    return new Error(`nats-server ${this.name} ${why} (port ${this.port}, cluster port ${this.clusterPort}); last log lines:\n${this.log.tail(30)}`);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    this.child?.kill(signal);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (this.paused && signal !== 'SIGKILL') this.signal('SIGCONT');
    await terminate(child, [
      { signal, waitMs: 5000 },
      { signal: 'SIGKILL', waitMs: 5000 },
    ]);
    this.paused = false;
    this.untrack?.();
  }
}

function nodeConfig(opts: {
  name: string;
  cluster: string;
  port: number;
  monitorPort: number;
  clusterPort: number;
  routes: number[];
  storeDir: string;
  include?: string;
}): string {
  const lines = [
    `# Written by startNatsCluster (libs/local-infra/src/nats-cluster.ts).`,
    // First, so that the settings below win over anything the included file also sets.
    ...(opts.include ? [`include ${JSON.stringify(opts.include)}`] : []),
    `server_name: ${opts.name}`,
    `listen: "127.0.0.1:${opts.port}"`,
    `http: "127.0.0.1:${opts.monitorPort}"`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(opts.storeDir)}`,
    `}`,
    `cluster {`,
    `  name: ${opts.cluster}`,
    `  listen: "127.0.0.1:${opts.clusterPort}"`,
    `  routes: [`,
    ...opts.routes.map((p) => `    "nats-route://127.0.0.1:${p}"`),
    `  ]`,
    `}`,
  ];
  return lines.join('\n') + '\n';
}

class Cluster implements NatsCluster {
  constructor(
    readonly nodes: ClusterNode[],
    private readonly dir: string,
    private readonly untrackDir: () => void,
    private readonly readyTimeoutMs: number,
  ) {}

  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  urlFrom(i: number): string {
    return [this.nodes[i], ...this.nodes.filter((_, j) => j !== i)].map((n) => n.url).join(',');
  }

  private node(i: number): ClusterNode {
    const node = this.nodes[i];
    if (!node) throw new Error(`no node ${i} in a cluster of ${this.nodes.length}`);
    return node;
  }

  indexOf(serverName: string): number {
    return this.nodes.findIndex((n) => n.name === serverName);
  }

  kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.node(i).kill(signal);
  }

  stop(i: number): Promise<void> {
    return this.node(i).kill('SIGTERM');
  }

  async start(i: number): Promise<void> {
    const node = this.node(i);
    await node.spawn();
    await node.waitHealthy(Date.now() + this.readyTimeoutMs);
  }

  pause(i: number): void {
    const node = this.node(i);
    node.signal('SIGSTOP');
    node.paused = true;
  }

  resume(i: number): void {
    const node = this.node(i);
    node.signal('SIGCONT');
    node.paused = false;
  }

  async waitForMetaLeader(timeoutMs = this.readyTimeoutMs): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    for (;;) {
      const live = this.nodes.filter((n) => n.running && !n.paused);
      try {
        const leaders = await Promise.all(live.map(async (n) => String((await getJson(`${n.monitorUrl}/jsz`))?.meta_cluster?.leader ?? '')));
        last = JSON.stringify(leaders);
        if (leaders.length > 0 && leaders[0] !== '' && leaders.every((l) => l === leaders[0])) return leaders[0];
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`no JetStream meta leader within ${timeoutMs} ms (last: ${last})`);
      await sleep(100);
    }
  }

  async streamLeader(stream: string): Promise<string | undefined> {
    for (const n of this.nodes.filter((x) => x.running && !x.paused)) {
      try {
        const jsz = await getJson(`${n.monitorUrl}/jsz?accounts=true&streams=true`);
        for (const account of jsz?.account_details ?? []) {
          for (const s of account?.stream_detail ?? []) {
            if (s?.name === stream && s?.cluster?.leader) return String(s.cluster.leader);
          }
        }
      } catch {
        /* try the next node */
      }
    }
    return undefined;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill('SIGTERM').catch(() => n.kill('SIGKILL'))));
    rmSync(this.dir, { recursive: true, force: true });
    this.untrackDir();
  }
}

/**
 * Starts a JetStream cluster of `nodes` nats-server processes on 127.0.0.1 (random client, route
 * and monitoring ports; one store dir and one config file per node, all in one temp dir), and
 * waits until every node is healthy and they agree on a meta leader. All nodes share the loopback
 * interface: a partition is simulated by pausing (SIGSTOP) or killing a node, not by network
 * namespaces.
 */
export async function startNatsCluster(opts: StartNatsClusterOptions = {}): Promise<NatsCluster> {
  const count = opts.nodes ?? 3;
  // nats-server refuses a JetStream cluster without routes: one server is startNats.
  if (!Number.isInteger(count) || count < 2) throw new Error(`startNatsCluster: nodes must be an integer of at least 2, got ${count}`);
  const bin = opts.bin ?? natsServerBin();
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const include = opts.include === undefined ? undefined : resolve(opts.include);
  if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'helix-nats-cluster-'));
    const untrackDir = trackTempDir(dir);
    const ports: Array<{ port: number; clusterPort: number; monitorPort: number }> = [];
    for (let i = 0; i < count; i++) ports.push({ port: await freePort(), clusterPort: await freePort(), monitorPort: await freePort() });
    const nodes = ports.map((p, i) => {
      const name = `n${i}`;
      const nodeDir = join(dir, name);
      const storeDir = join(nodeDir, 'store');
      mkdirSync(storeDir, { recursive: true });
      const configFile = join(nodeDir, 'nats.conf');
      // NATS resolves `include` relative to the including file (an absolute path does not work).
      const includePath = include === undefined ? undefined : relative(nodeDir, include);
      if (includePath !== undefined && isAbsolute(includePath)) throw new Error(`startNatsCluster: cannot include ${include} from ${nodeDir}`);
      const routes = ports.filter((_, j) => j !== i).map((q) => q.clusterPort);
      writeFileSync(configFile, nodeConfig({ name, cluster: opts.name ?? 'helix', ...p, routes, storeDir, include: includePath }));
      const logFile = opts.logDir ? join(opts.logDir, `${name}.log`) : undefined;
      return new ClusterNode(i, name, p.port, p.clusterPort, p.monitorPort, storeDir, configFile, bin, logFile, readyTimeoutMs, dir);
    });
    const cluster = new Cluster(nodes, dir, untrackDir, readyTimeoutMs);
    try {
      await Promise.all(nodes.map((n) => n.spawn()));
      const deadline = Date.now() + readyTimeoutMs;
      await Promise.all(nodes.map((n) => n.waitHealthy(deadline)));
      await cluster.waitForMetaLeader();
      return cluster;
    } catch (err) {
      await cluster.dispose().catch(() => undefined);
      if (!/address already in use/i.test((err as Error).message) || attempt >= 3) throw err;
    }
  }
}
