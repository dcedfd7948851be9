import { readFileSync } from 'node:fs';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { credsAuthenticator } from './creds-authenticator';

/** How every Helix process reaches NATS (HELIX_NATS_URL, HELIX_NATS_USER/PASSWORD or HELIX_NATS_CREDS, HELIX_NATS_TLS_CA). */
export interface NatsSettings {
  servers: string[];
  user?: string;
  password?: string;
  credsFile?: string;
  /** PEM CA bundle for the servers' TLS certificates: TLS is required when set. */
  tlsCaFile?: string;
  /** Prefix of reply inboxes (a runner's own, so its credentials need no access to anyone else's). */
  inboxPrefix?: string;
}

/** The NATS variables of a validated service configuration (ServiceConfig in @helix/config). */
export interface NatsEnv {
  HELIX_NATS_URL: string;
  HELIX_NATS_USER?: string;
  HELIX_NATS_PASSWORD?: string;
  HELIX_NATS_CREDS?: string;
  HELIX_NATS_TLS_CA?: string;
}

export function natsSettingsFromEnv(env: NatsEnv): NatsSettings {
  return {
    servers: env.HELIX_NATS_URL.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    user: env.HELIX_NATS_USER,
    password: env.HELIX_NATS_PASSWORD,
    credsFile: env.HELIX_NATS_CREDS,
    tlsCaFile: env.HELIX_NATS_TLS_CA,
  };
}

/**
 * Options shared by raw connections and the NestJS NATS transport. Services must outlive a NATS
 * outage, so they wait for the first connection and reconnect forever.
 */
export function natsConnectionOptions(settings: NatsSettings, name: string): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers: settings.servers,
    name,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 10_000,
    // Otherwise every request and JetStream publish builds an Error for its stack, in case it times
    // out: about 5% of a runner's CPU per applied token. Timeouts still say what timed out.
    noAsyncTraces: true,
  };
  if (settings.inboxPrefix) options.inboxPrefix = settings.inboxPrefix;
  // A server that requires TLS is always met with TLS (system CAs); a private CA is given here.
  if (settings.tlsCaFile) options.tls = { caFile: settings.tlsCaFile };
  if (settings.credsFile) {
    options.authenticator = credsAuthenticator(readFileSync(settings.credsFile));
  } else if (settings.user) {
    options.user = settings.user;
    options.pass = settings.password;
  }
  return options;
}

/** True when the process connects without credentials (docs/reference/security.md: development only, warned at start). */
export function isAnonymous(settings: NatsSettings): boolean {
  return !settings.credsFile && !settings.user;
}

export function connectNats(settings: NatsSettings, name: string): Promise<NatsConnection> {
  return connect(natsConnectionOptions(settings, name));
}
