import { join } from 'node:path';
import { repoRoot } from './repo';
import type { NatsAuth, NatsRole } from './nats-auth';

/** What every process of one stack shares: the backbone and the generated keys. */
export interface StackEnv {
  natsUrl: string;
  /** Credentials of each role (docs/reference/security.md); absent: anonymous (development only). */
  natsAuth?: NatsAuth;
  databaseUrl: string;
  encryptionKey: string;
  settingsKey: string;
  /** Ed25519 pair of docs/reference/security.md (base64): the seed for the settings-service, the public key for runners. */
  eventSigningKey: string;
  eventVerifyKey: string;
  adminKey: string;
  logLevel: string;
}

/**
 * V8 options of the runner: one per GPU node, mostly idle between rotations, so memory matters more
 * than allocation throughput. 1 MiB semi-spaces (the default grows to 16) keep the young generation
 * from reserving ~30 MiB it rarely uses; the cost is more frequent, shorter scavenges. The runner
 * image sets the same (deploy/docker/runner.Dockerfile).
 */
export const RUNNER_NODE_OPTIONS = '--max-semi-space-size=1';

/**
 * The environment each app needs, in one place for `npm start` and the test harness alike (a
 * variable added to an app is added here once, not in two launchers).
 */
export const appEnv = {
  settingsService: (s: StackEnv, healthPort: number): Record<string, string> => ({
    ...common(s, 'settings-service'),
    DATABASE_URL: s.databaseUrl,
    HELIX_ENCRYPTION_KEY: s.encryptionKey,
    HELIX_SETTINGS_KEY: s.settingsKey,
    HELIX_EVENT_SIGNING_KEY: s.eventSigningKey,
    HELIX_HEALTH_PORT: String(healthPort),
  }),
  modelsService: (s: StackEnv, healthPort: number): Record<string, string> => ({
    ...common(s, 'models-service'),
    DATABASE_URL: s.databaseUrl,
    HELIX_HEALTH_PORT: String(healthPort),
  }),
  gateway: (s: StackEnv, httpPort: number): Record<string, string> => ({
    ...common(s, 'gateway'),
    DATABASE_URL: s.databaseUrl,
    HELIX_HTTP_PORT: String(httpPort),
    HELIX_ADMIN_API_KEY: s.adminKey,
    HELIX_SETTINGS_KEY: s.settingsKey,
  }),
  runner: (s: StackEnv, runner: { id: string; httpPort: number; vllmBin?: string; memory?: string }): Record<string, string> => ({
    ...common(s, `runner-${runner.id}`),
    NODE_OPTIONS: RUNNER_NODE_OPTIONS,
    HELIX_SETTINGS_KEY: s.settingsKey,
    HELIX_EVENT_VERIFY_KEY: s.eventVerifyKey,
    HELIX_RUNNER_ID: runner.id,
    HELIX_RUNNER_HTTP_PORT: String(runner.httpPort),
    HELIX_VLLM_BIN: runner.vllmBin ?? vllmSimulator(),
    ...(runner.memory ? { HELIX_RUNNER_MEMORY: runner.memory } : {}),
  }),
};

/** The vLLM simulator shipped in the repository (bin/vllm-sim). */
export function vllmSimulator(): string {
  return join(repoRoot(), 'bin/vllm-sim');
}

function common(s: StackEnv, role: NatsRole): Record<string, string> {
  return { HELIX_NATS_URL: s.natsUrl, LOG_LEVEL: s.logLevel, ...(s.natsAuth ? { HELIX_NATS_CREDS: s.natsAuth.creds(role) } : {}) };
}
