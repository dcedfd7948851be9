import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { generateEventKeyPair } from '@helix/secrets';
import { credsAuthenticator, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  appEnv,
  freePort,
  repoRoot,
  setupNatsAuth,
  startNats,
  startPostgres,
  type NatsAuth,
  type NatsProcess,
  type NatsRole,
  type PostgresProcess,
  type StackEnv,
} from '@helix/local-infra';
import { capturedLogs, spawnApp, waitForHttp, type AppProcess } from './app';
import { claimVllmPorts, type VllmPortClaim } from './vllm-ports';

export interface RunnerOptions {
  id: string;
  memory?: string;
  /** Extra environment (HF_TOKEN, VLLM_SIM_* knobs…). */
  env?: Record<string, string>;
  /** Wait for /readyz (settings replay done). Default true. */
  waitReady?: boolean;
}

export interface StackOptions {
  runners?: RunnerOptions[];
  /** Settings-service replicas (default 1). */
  settingsReplicas?: number;
  /** Models-service replicas (default 1); `models` is the first, `extraModels` the others. */
  modelsReplicas?: number;
  /** Extra environment for every process. */
  env?: Record<string, string>;
  /** Run NATS without authentication, processes without HELIX_NATS_CREDS (default: operator mode with per-role credentials, docs/reference/security.md). */
  anonymousNats?: boolean;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
}

/**
 * The whole product from dist/, on real processes: a private nats-server and Postgres on random
 * ports, settings-service, models-service, gateway and runners. Used by the end-to-end suites and
 * the benchmarks. Requires `npm run build` first (the test script does it).
 */
export class Stack {
  /** HELIX_ADMIN_API_KEY of the gateway; `restartGateway({ adminKey })` changes it. */
  adminKey = `hl-test-admin-${randomBytes(12).toString('hex')}`;
  /** HELIX_ENCRYPTION_KEY / HELIX_SETTINGS_KEY of the next process started: a key list while rotating. */
  encryptionKey = randomBytes(32).toString('base64');
  settingsKey = randomBytes(32).toString('base64');
  /** The Ed25519 pair of docs/reference/security.md: `signingKey` for the settings-service, `verifyKey` for runners. */
  readonly eventKeys = generateEventKeyPair();
  readonly runners = new Map<string, AppProcess>();
  readonly runnerHttp = new Map<string, string>();
  /** Each runner's block of vLLM ports, released when it stops. */
  private readonly vllmPorts = new Map<string, VllmPortClaim>();
  settings: AppProcess[] = [];
  settingsHealth: string[] = [];
  models!: AppProcess;
  modelsHealth!: string;
  readonly extraModels: AppProcess[] = [];
  gateway!: AppProcess;
  /** Gateways beyond the first started by `restartGateway({ replicas })`. */
  readonly extraGateways: AppProcess[] = [];
  url!: string;
  /** The base URL of every running gateway, the first one's (`url`) first. */
  gatewayUrls: string[] = [];

  private constructor(
    readonly nats: NatsProcess,
    readonly pg: PostgresProcess,
    private readonly extraEnv: Record<string, string>,
    /** The credentials of every role, `admin` included (undefined with `anonymousNats`). */
    readonly natsAuth: NatsAuth | undefined,
  ) {}

  static async start(options: StackOptions = {}): Promise<Stack> {
    const natsAuth = options.anonymousNats ? undefined : await setupNatsAuth({ runners: options.runners?.map((r) => r.id), admin: true });
    const [nats, pg] = await Promise.all([startNats({ configFile: natsAuth?.config }), startPostgres()]);
    // docs/reference/hub.md: tests never reach the real Hub; a closed local port answers at once (`unverified`). Suites pass bin/hf-hub-sim's URL.
    const stack = new Stack(nats, pg, { HELIX_HF_ENDPOINT: 'http://127.0.0.1:9', ...options.env }, natsAuth);
    try {
      for (let i = 0; i < (options.settingsReplicas ?? 1); i++) await stack.startSettingsService();
      await Promise.all([stack.startModelsService(), stack.startGateway()]);
      for (let i = 1; i < (options.modelsReplicas ?? 1); i++) stack.extraModels.push(await stack.spawnModelsService().then((r) => r.app));
      for (const runner of options.runners ?? []) await stack.startRunner(runner);
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  private get env(): StackEnv {
    return {
      natsUrl: this.nats.url,
      natsAuth: this.natsAuth,
      databaseUrl: this.pg.url,
      encryptionKey: this.encryptionKey,
      settingsKey: this.settingsKey,
      eventSigningKey: this.eventKeys.signingKey,
      eventVerifyKey: this.eventKeys.verifyKey,
      adminKey: this.adminKey,
      logLevel: 'debug',
    };
  }

  async startSettingsService(): Promise<AppProcess> {
    const port = await freePort();
    const app = spawnApp('settings-service', { ...appEnv.settingsService(this.env, port), ...this.extraEnv });
    this.settings.push(app);
    this.settingsHealth.push(`http://127.0.0.1:${port}`);
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
    return app;
  }

  /** Stops settings-service replica `index` and starts a new one with the current keys and env. */
  async restartSettingsService(index = 0): Promise<AppProcess> {
    await this.settings[index].stop();
    const port = await freePort();
    const app = spawnApp('settings-service', { ...appEnv.settingsService(this.env, port), ...this.extraEnv });
    this.settings[index] = app;
    this.settingsHealth[index] = `http://127.0.0.1:${port}`;
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
    return app;
  }

  async startModelsService(): Promise<AppProcess> {
    const { app, health } = await this.spawnModelsService();
    this.models = app;
    this.modelsHealth = health;
    return app;
  }

  private async spawnModelsService(): Promise<{ app: AppProcess; health: string }> {
    const port = await freePort();
    const app = spawnApp('models-service', { ...appEnv.modelsService(this.env, port), ...this.extraEnv });
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
    return { app, health: `http://127.0.0.1:${port}` };
  }

  async startGateway(): Promise<AppProcess> {
    const { app, url } = await this.spawnGateway();
    this.url = url;
    this.gatewayUrls = [url];
    this.gateway = app;
    return app;
  }

  private async spawnGateway(): Promise<{ app: AppProcess; url: string }> {
    const port = await freePort();
    const app = spawnApp('gateway', { ...appEnv.gateway(this.env, port), ...this.extraEnv });
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
    return { app, url: `http://127.0.0.1:${port}` };
  }

  /**
   * Stops every gateway and starts `replicas` (default 1) at once, e.g. with a new
   * HELIX_ADMIN_API_KEY (`adminKey`, then also the key `api()` sends). `url` is the first one's.
   */
  async restartGateway(options: { adminKey?: string; replicas?: number } = {}): Promise<AppProcess[]> {
    await Promise.all([this.gateway, ...this.extraGateways].filter(Boolean).map((g) => g.stop()));
    this.extraGateways.length = 0;
    if (options.adminKey !== undefined) this.adminKey = options.adminKey;
    const started = await Promise.all(Array.from({ length: options.replicas ?? 1 }, () => this.spawnGateway()));
    [{ app: this.gateway, url: this.url }] = started;
    this.gatewayUrls = started.map((s) => s.url);
    this.extraGateways.push(...started.slice(1).map((s) => s.app));
    return started.map((s) => s.app);
  }

  async startRunner(options: RunnerOptions): Promise<AppProcess> {
    await this.natsAuth?.addRunners([options.id]);
    const port = await freePort();
    this.vllmPorts.get(options.id)?.release();
    const claim = claimVllmPorts();
    this.vllmPorts.set(options.id, claim);
    const [vllmLow, vllmHigh] = claim.range;
    const app = spawnApp(
      `runner-${options.id}`,
      {
        ...appEnv.runner(this.env, { id: options.id, httpPort: port, memory: options.memory ?? '80GB' }),
        ...this.extraEnv,
        HELIX_VLLM_PORT_RANGE: `${vllmLow}-${vllmHigh}`,
        HELIX_VLLM_BACKOFF_INITIAL_MS: '200',
        HELIX_VLLM_START_TIMEOUT_MS: '20000',
        ...options.env,
      },
      { entry: join(repoRoot(), 'dist/apps/runner/main.js') },
    );
    this.runners.set(options.id, app);
    this.runnerHttp.set(options.id, `http://127.0.0.1:${port}`);
    if (options.waitReady !== false) await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
    return app;
  }

  /** Stops the runner and starts it again with the same id and options, with the current keys. */
  async restartRunner(options: RunnerOptions): Promise<AppProcess> {
    await this.stopRunner(options.id);
    return this.startRunner(options);
  }

  async stopRunner(id: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const app = this.runners.get(id);
    if (!app) return null;
    const code = await app.stop(signal);
    this.runners.delete(id);
    this.vllmPorts.get(id)?.release();
    this.vllmPorts.delete(id);
    return code;
  }

  /**
   * A NATS connection of the stack's bus as `role` (default `admin`, allowed every subject: for
   * inspecting and tampering in tests); anonymous when the stack runs without NATS auth.
   */
  connectNats(role: NatsRole = 'admin', options: { name?: string; inboxPrefix?: string } = {}): Promise<NatsConnection> {
    const authenticator = this.natsAuth ? credsAuthenticator(readFileSync(this.natsAuth.creds(role))) : undefined;
    return connect({ servers: this.nats.url, name: options.name ?? `test-${role}`, authenticator, inboxPrefix: options.inboxPrefix });
  }

  /** A JSON request to the gateway; `key` defaults to the admin key, `null` sends none. */
  async api<T = any>(method: string, path: string, body?: unknown, key: string | null = this.adminKey): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: any = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    this.responses.push({ label: `${method} ${path} → ${res.status}`, text });
    return { status: res.status, body: parsed, text };
  }

  /**
   * Like api(), with the request target sent byte for byte: fetch would resolve "..", "%2e" and other
   * spellings an attacker uses. The body is parsed when it is JSON (undefined otherwise).
   */
  raw<T = any>(method: string, target: string, body?: unknown, key: string | null = this.adminKey): Promise<ApiResponse<T>> {
    const url = new URL(this.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, method, path: target, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any = undefined;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          this.responses.push({ label: `${method} ${target} → ${res.statusCode}`, text });
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Every HTTP body this stack returned (for secret scans). */
  readonly responses: Array<{ label: string; text: string }> = [];

  /** Every log line of every process and every HTTP body, for secret scans. */
  texts(): Array<{ label: string; text: string }> {
    return [...capturedLogs(), ...this.responses];
  }

  async stop(): Promise<void> {
    const apps = [...this.runners.values(), this.gateway, ...this.extraGateways, this.models, ...this.extraModels, ...this.settings].filter(Boolean);
    await Promise.all(apps.map((a) => a.stop().catch(() => undefined)));
    for (const claim of this.vllmPorts.values()) claim.release();
    this.vllmPorts.clear();
    await Promise.all([this.nats.dispose(), this.pg.dispose()]);
    this.natsAuth?.dispose();
  }
}

export const startStack = (options?: StackOptions): Promise<Stack> => Stack.start(options);

/** Polls `probe` until it returns a truthy value. */
export async function eventually<T>(probe: () => Promise<T> | T, timeoutMs = 20_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
