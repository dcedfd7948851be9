// Test harness: the whole product on real processes (Stack), output capture and secret scans.
// Loaded by the vitest suites and the benchmarks; it must not import vitest.
export { repoRoot, freePort, tcpAccepts, startNats, natsServerBin, startPostgres, postgresBinDir, postgresCanReach } from '@helix/local-infra';
export type { NatsProcess, StartNatsOptions, PostgresProcess, StartPostgresOptions } from '@helix/local-infra';
export { spawnApp, waitForHttp, capturedLogs, type AppProcess, type SpawnAppOptions } from './app';
export { scanForSecrets, assertNoSecrets, dumpPostgres, type SecretFinding, type SecretEncoding, type SecretSources } from './secrets-scan';
export { Stack, startStack, eventually, type StackOptions, type RunnerOptions, type ApiResponse } from './stack';
export { SEED_MODEL, SEED_MODEL_FILE, SEED_MODEL_VIEW, type SeedModel } from './fixtures';
export { claimVllmPorts, ClaimedPorts, type VllmPortClaim } from './vllm-ports';
