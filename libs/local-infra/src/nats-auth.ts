import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { trackTempDir } from './cleanup';
import { repoRoot } from './repo';

/** The roles `bin/helix-nats-setup` issues credentials for (runners as `runner-<id>`). */
export type NatsRole = 'gateway' | 'settings-service' | 'models-service' | 'admin' | `runner-${string}`;

/** NATS operator-mode credentials in one directory (docs/reference/security.md), as `npm start` and the tests use them. */
export interface NatsAuth {
  readonly dir: string;
  /** `nats-server -c <config>` */
  readonly config: string;
  /** Path of the role's credentials file (HELIX_NATS_CREDS). */
  creds(role: NatsRole): string;
  /** Issues `runner-<id>.creds` for ids that have none yet (the running server needs no restart). */
  addRunners(ids: string[]): Promise<void>;
  /** Removes the directory when setupNatsAuth created it (a temp dir); keeps a given one. */
  dispose(): void;
}

const run = promisify(execFile);

/**
 * Runs the shipped `bin/helix-nats-setup` (built: `npm run build` first) into `dir` (default: a
 * new temp dir): keys kept
 * there are reused, so an existing data dir keeps its server configuration. `admin` also issues
 * `admin.creds` (every subject), for tests and benchmarks that inspect or tamper with the bus.
 */
export async function setupNatsAuth(options: { dir?: string; runners?: string[]; admin?: boolean } = {}): Promise<NatsAuth> {
  const owned = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'helix-nats-auth-'));
  const untrack = owned ? trackTempDir(dir) : undefined;
  const setup = async (runners: string[]) => {
    const args = [join(repoRoot(), 'bin/helix-nats-setup'), dir, ...runners.flatMap((id) => ['--runner', id]), ...(options.admin ? ['--admin'] : [])];
    await run(process.execPath, args, { timeout: 30_000 });
  };
  await setup(options.runners ?? []);
  const creds = (role: NatsRole) => join(dir, `${role}.creds`);
  return {
    dir,
    config: join(dir, 'nats.conf'),
    creds,
    addRunners: async (ids) => {
      const missing = ids.filter((id) => !existsSync(creds(`runner-${id}`)));
      if (missing.length > 0) await setup(missing);
    },
    dispose: () => {
      if (!owned) return;
      rmSync(dir, { recursive: true, force: true });
      untrack?.();
    },
  };
}
