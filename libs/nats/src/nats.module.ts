import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { readinessChecks } from '@helix/health';
import { connectNats, type NatsSettings } from './connection';
import { NatsConnectionStatus } from './connection-status';

/** The injection token of the process's raw NATS connection (JetStream, core pub/sub). */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

/** Injects the process's NATS connection: `constructor(@InjectNats() nc: NatsConnection)`. */
export const InjectNats = (): ParameterDecorator & PropertyDecorator => Inject(NATS_CONNECTION);

/** Connection state and reconnect notifications for the process's connection; drains it on shutdown. */
@Injectable()
export class NatsLink extends NatsConnectionStatus implements OnApplicationShutdown {
  constructor(@InjectNats() private readonly connection: NatsConnection) {
    super(connection);
  }

  /** Pending publishes (acks, heartbeats, outbox events) are flushed before the connection closes. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.connection.isClosed()) await this.connection.drain().catch(() => undefined);
  }
}

export interface NatsModuleOptions {
  /** The connection name the server shows (e.g. `runner-gpu-1`). */
  name: string;
  /** Defaults to HELIX_NATS_URL, HELIX_NATS_USER/PASSWORD or HELIX_NATS_CREDS. */
  settings: NatsSettings;
}

/**
 * One raw NATS connection per process: `@InjectNats()` for the connection, `NatsLink` for
 * `onReconnect(fn)`, a `nats` check on /readyz, and a drain on shutdown. The Nest NATS transport
 * (request/reply with the gateway) keeps its own connection.
 */
@Global()
@Module({})
export class NatsModule {
  static forRoot(options: NatsModuleOptions): DynamicModule {
    return {
      module: NatsModule,
      providers: [
        { provide: NATS_CONNECTION, useFactory: () => connectNats(options.settings, options.name) },
        NatsLink,
        readinessChecks([NatsLink], (link: NatsLink) => [{ name: 'nats', check: () => link.connected }]),
      ],
      exports: [NATS_CONNECTION, NatsLink],
    };
  }
}
