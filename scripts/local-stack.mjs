#!/usr/bin/env node
// `npm start`: the whole product on this machine. Installs what is missing, builds, then runs
// NATS (JetStream, under $HELIX_DATA_DIR unless HELIX_NATS_URL is set), an embedded Postgres
// (unless DATABASE_URL is set), settings-service, models-service, gateway and one runner (with the
// vLLM simulator when no `vllm` is installed). Ctrl-C stops everything, children included.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ensureInstalled, ensurePinnedNode, onPath, root, say } from './lib/prepare.mjs';

const dataDir = resolve(root, process.env.HELIX_DATA_DIR ?? '.helix');

// 1. Install what is missing, then run on the pinned Node 24.
ensureInstalled({ needNats: !process.env.HELIX_NATS_URL });
ensurePinnedNode();

const sh = (cmd, args) => {
  if (spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
};

// 2. Build.
say('building…');
sh(process.execPath, [join(root, 'scripts/build.mjs')]);

const require = createRequire(import.meta.url);
const { appEnv, setupNatsAuth, startNats, startPostgres, postgresCanReach, vllmSimulator } = require(join(root, 'dist/libs/local-infra/src/index.js'));

// 3. Keys and the admin API key, generated once, readable only by this user.
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
chmodSync(dataDir, 0o755); // the embedded Postgres runs as another user when we are root
function secretFile(name, make) {
  const file = join(dataDir, name);
  if (!existsSync(file)) writeFileSync(file, make(), { mode: 0o600 });
  chmodSync(file, 0o600);
  return { file, value: readFileSync(file, 'utf8').trim() };
}
const encryptionKey = secretFile('encryption.key', () => randomBytes(32).toString('base64'));
const settingsKey = secretFile('settings.key', () => randomBytes(32).toString('base64'));
const adminKey = secretFile('admin-api-key', () => `hl-${randomBytes(32).toString('base64url')}`);
// docs/reference/security.md: the settings-service signs settings.updated events with the seed; runners verify with the public key.
const { EventSigner, generateEventKeyPair } = require(join(root, 'dist/libs/secrets/src/index.js'));
const eventSigningKey = secretFile('event-signing.key', () => generateEventKeyPair().signingKey);
const eventVerifyKey = secretFile('event-verify.key', () => EventSigner.fromBase64(eventSigningKey.value).verifyKeyBase64());

function portFree(port) {
  return new Promise((ok) => {
    const srv = createServer()
      .once('error', () => ok(false))
      .listen(port, '127.0.0.1', () => srv.close(() => ok(true)));
  });
}
async function pickPort(preferred, what) {
  if (await portFree(preferred)) return preferred;
  for (let p = preferred + 1; p < preferred + 100; p++) {
    if (await portFree(p)) {
      say(`port ${preferred} is taken; ${what} uses ${p}`);
      return p;
    }
  }
  throw new Error(`no free port near ${preferred} for ${what}`);
}

const children = [];
let nats;
let pg;
let stopping = false;

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // Runner first (it stops its vLLM processes), then the services, then NATS and Postgres.
  for (const group of [children.filter((c) => c.name === 'runner'), children.filter((c) => c.name !== 'runner')]) {
    await Promise.all(group.map((c) => stopChild(c)));
  }
  await nats?.stop().catch(() => undefined);
  await pg?.stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

function stopChild(c) {
  if (c.proc.exitCode !== null || c.proc.signalCode) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => c.proc.kill('SIGKILL'), 12_000);
    c.proc.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    c.proc.kill('SIGTERM');
  });
}

function startApp(name, env) {
  const proc = spawn(process.execPath, [join(root, `dist/apps/${name}/main.js`)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const child = { name, proc };
  children.push(child);
  proc.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? `code ${code}`}); stopping the stack.`);
      void shutdown(1);
    }
  });
  return child;
}

async function waitReady(url, what, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready at ${url}`);
}

try {
  // 4. NATS and Postgres.
  const runnerId = process.env.HELIX_RUNNER_ID ?? `local-${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64);
  let natsUrl = process.env.HELIX_NATS_URL;
  let natsAuth;
  if (!natsUrl) {
    // docs/reference/security.md: our own NATS runs with per-process credentials (bin/helix-nats-setup, kept in the data dir).
    natsAuth = await setupNatsAuth({ dir: join(dataDir, 'nats-auth'), runners: [runnerId] });
    nats = await startNats({ port: await pickPort(4222, 'NATS'), storeDir: join(dataDir, 'nats'), configFile: natsAuth.config });
    natsUrl = nats.url;
    say(`NATS with JetStream at ${natsUrl} (store: ${join(dataDir, 'nats')}; credentials: ${join(dataDir, 'nats-auth')})`);
  }
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    // As root, Postgres runs as the "postgres" user, which cannot enter a private checkout (/root/…).
    let pgData = join(dataDir, 'postgres');
    if (!postgresCanReach(pgData)) {
      pgData = join('/var/lib/helix', createHash('sha256').update(dataDir).digest('hex').slice(0, 12), 'postgres');
      mkdirSync(dirname(pgData), { recursive: true, mode: 0o755 });
      say(`the postgres user cannot reach ${dataDir}; keeping the database in ${pgData}`);
    }
    pg = await startPostgres({ port: await pickPort(5433, 'Postgres'), dataDir: pgData, persistent: true });
    databaseUrl = pg.url;
    say(`embedded Postgres on port ${pg.port} (data: ${pgData})`);
  }

  // 5. Services.
  const env = {
    natsUrl,
    natsAuth,
    databaseUrl,
    encryptionKey: encryptionKey.value,
    settingsKey: settingsKey.value,
    eventSigningKey: eventSigningKey.value,
    eventVerifyKey: eventVerifyKey.value,
    adminKey: adminKey.value,
    logLevel: process.env.LOG_LEVEL ?? 'info',
  };
  const httpPort = Number(process.env.HELIX_HTTP_PORT ?? 8080);
  if (!(await portFree(httpPort))) throw new Error(`port ${httpPort} is taken: set HELIX_HTTP_PORT to another port`);
  const settingsPort = await pickPort(8081, 'settings-service health');
  const modelsPort = await pickPort(8082, 'models-service health');
  const runnerPort = await pickPort(Number(process.env.HELIX_RUNNER_HTTP_PORT ?? 8090), 'runner health');
  startApp('settings-service', appEnv.settingsService(env, settingsPort));
  startApp('models-service', appEnv.modelsService(env, modelsPort));
  await waitReady(`http://127.0.0.1:${settingsPort}/readyz`, 'settings-service');
  startApp('gateway', appEnv.gateway(env, httpPort));

  // 6. One runner: real vLLM when installed, else the simulator.
  let vllmBin = process.env.HELIX_VLLM_BIN;
  if (!vllmBin) {
    if (onPath('vllm')) vllmBin = 'vllm';
    else {
      vllmBin = vllmSimulator();
      say('no vllm on PATH: the runner uses the vLLM simulator (bin/vllm-sim)');
    }
  }
  let memory = process.env.HELIX_RUNNER_MEMORY;
  if (!memory && !onPath('nvidia-smi')) {
    memory = '80GB';
    say('no nvidia-smi: the runner offers HELIX_RUNNER_MEMORY=80GB (set it to change)');
  }
  startApp('runner', appEnv.runner(env, { id: runnerId, httpPort: runnerPort, vllmBin, memory }));

  const url = `http://localhost:${httpPort}`;
  await waitReady(`${url}/readyz`, 'gateway');
  await waitReady(`http://127.0.0.1:${runnerPort}/readyz`, 'runner');
  const rel = (f) => (f.startsWith(root) ? f.slice(root.length + 1) : f);
  process.stderr.write(
    [
      '',
      `[helix] ready: ${url}  (API docs: ${url}/api/docs)`,
      `[helix] web console: ${url}/console/  (sign in with the admin API key below)`,
      `[helix] admin API key: ${rel(adminKey.file)} (mode 0600); keys: ${rel(encryptionKey.file)}, ${rel(settingsKey.file)}, ${rel(eventSigningKey.file)}`,
      '[helix] try, in another terminal from the repo root:',
      `  export HELIX_URL=${url} HELIX_API_KEY=$(cat ${rel(adminKey.file)})`,
      '  printf %s "$HF_TOKEN" | npx helix system settings set --huggingface-token-stdin --wait',
      '  npx helix system settings get -o json',
      '[helix] Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
} catch (err) {
  say(`could not start the stack: ${err.message}`);
  await shutdown(1);
}
