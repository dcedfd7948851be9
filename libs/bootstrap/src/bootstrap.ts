import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { FastifyServerOptions } from 'fastify';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import type pino from 'pino';
import type { MicroserviceConfig } from '@helix/config';
import { createLogger } from '@helix/logging';
import { isAnonymous, natsConnectionOptions, natsSettingsFromEnv, type NatsEnv } from '@helix/nats';
import { DeadlineInterceptor, RpcErrorFilter } from '@helix/rpc';

const SHUTDOWN_LIMIT_MS = 10_000;

/**
 * Fastify for a process whose HTTP port serves only its probes and metrics (the services, the
 * runner): no route declares a schema, so Fastify's schema compilers (ajv, fast-json-stringify) are
 * never loaded. They cost about 50 ms of every start and their memory; a route that declares a
 * schema makes the start fail with this message instead of going unchecked.
 */
export function probeOnlyFastify(): FastifyServerOptions {
  const refuse = (): never => {
    throw new Error('this process serves no HTTP route with a schema (probeOnlyFastify)');
  };
  return { schemaController: { compilersFactory: { buildValidator: refuse, buildSerializer: refuse } } };
}

/**
 * A NATS microservice (queue group: replicas share the requests) that also serves /healthz,
 * /readyz and /metrics over HTTP (HELIX_HEALTH_PORT) for Kubernetes probes and Prometheus.
 */
export async function bootstrapService(options: {
  name: string;
  module: DynamicModule;
  queue: string;
  config: MicroserviceConfig;
  host?: string;
}): Promise<INestApplication> {
  const { name, config } = options;
  const log = createLogger(name, config.LOG_LEVEL);
  warnIfAnonymousNats(log, config);
  return runOrDie(log, name, async () => {
    const app = await NestFactory.create<NestFastifyApplication>(options.module, new FastifyAdapter(probeOnlyFastify()), {
      bufferLogs: true,
      abortOnError: false,
    });
    app.useLogger(app.get(Logger));
    // Deferred: NestJS builds the NATS handlers when the microservice starts listening, after the
    // interceptor and filter below are registered (otherwise it builds them here, without them).
    const microservice = app.connectMicroservice<MicroserviceOptions>(
      { transport: Transport.NATS, options: { ...natsConnectionOptions(natsSettingsFromEnv(config), name), queue: options.queue } },
      { inheritAppConfig: true, deferInitialization: true },
    );
    // The application's own init runs the lifecycle hooks once; the microservice must not run them again.
    (microservice as unknown as { setIsInitHookCalled(called: boolean): void }).setIsInitHookCalled(true);
    // Every request handler: refused after its deadline, and its errors in the docs/reference/rest.md shape (one place each).
    microservice.useGlobalInterceptors(new DeadlineInterceptor());
    microservice.useGlobalFilters(new RpcErrorFilter(name.replace('-', ' '), log));
    installShutdown(app, log);
    await app.startAllMicroservices();
    await app.listen(config.HELIX_HEALTH_PORT, options.host ?? '0.0.0.0');
    log.info({ health_url: await app.getUrl() }, `${name} started`);
    return app;
  });
}

/** docs/reference/security.md: connecting without HELIX_NATS_CREDS is for development only, and says so at start. */
export function warnIfAnonymousNats(log: pino.Logger, config: NatsEnv): void {
  if (isAnonymous(natsSettingsFromEnv(config)))
    log.warn('connecting to NATS without credentials (HELIX_NATS_CREDS is not set): for development only, any client on the bus can impersonate this process');
}

/** SIGTERM/SIGINT close the app (drain NATS, close DB, stop children); a hung close is cut at 10 s. */
export function installShutdown(app: INestApplication, log: pino.Logger): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    setTimeout(() => {
      log.error({ signal }, 'shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** A start-up failure is one JSON log line (with the stack) and exit code 1. */
export async function runOrDie<T>(log: pino.Logger, name: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    log.fatal({ err }, `${name} failed to start`);
    process.exit(1);
  }
}
