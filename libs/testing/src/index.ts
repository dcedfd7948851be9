// Test harness: real NATS / Postgres / app processes. Loaded by vitest suites and, compiled, by
// scripts/local-stack.mjs from dist/libs/testing/src/index.js, so it must not import vitest.
export { repoRoot } from './repo';
export { freePort, tcpAccepts } from './ports';
export { startNats, natsServerBin, type NatsProcess, type StartNatsOptions } from './nats';
export { startPostgres, postgresBinDir, postgresCanReach, type PostgresProcess, type StartPostgresOptions } from './postgres';
export { spawnApp, waitForHttp, capturedLogs, type AppProcess, type SpawnAppOptions } from './app';
export {
  scanForSecrets,
  assertNoSecrets,
  dumpPostgres,
  type SecretFinding,
  type SecretEncoding,
  type SecretSources,
} from './secrets-scan';
export { Stack, startStack, eventually, type StackOptions, type RunnerOptions, type ApiResponse } from './stack';
export { SEED_MODEL, SEED_MODEL_FILE, SEED_MODEL_VIEW, type SeedModel } from './fixtures';
