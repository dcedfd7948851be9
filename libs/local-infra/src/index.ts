// Local infrastructure: real nats-server and Postgres processes on free ports, child-process
// cleanup, and the environment of each app. Used by `npm start` (compiled, from
// dist/libs/local-infra/src/index.js) and by the test harness; never by the apps.
export { repoRoot } from './repo';
export { freePort, tcpAccepts } from './ports';
export { claimExclusive } from './claims';
export { startNats, natsServerBin, type NatsProcess, type StartNatsOptions } from './nats';
export { setupNatsAuth, type NatsAuth, type NatsRole } from './nats-auth';
export { startNatsCluster, type NatsCluster, type NatsClusterNode, type StartNatsClusterOptions } from './nats-cluster';
export { startPostgres, postgresBinDir, postgresCanReach, type PostgresProcess, type StartPostgresOptions } from './postgres';
export { trackChild, waitChildExit } from './cleanup';
export { onLines, sleep } from './util';
export { appEnv, RUNNER_NODE_OPTIONS, vllmSimulator, type StackEnv } from './app-env';
