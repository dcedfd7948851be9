import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { EnvelopeKey } from '@helix/secrets';
import { SETTINGS_CONFIG, type SettingsServiceConfig } from './config';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

/** The two AES-256-GCM keys: one for Postgres, one for the bus. */
@Injectable()
export class SettingsKeys {
  readonly atRest: EnvelopeKey;
  readonly onBus: EnvelopeKey;

  constructor(@Inject(SETTINGS_CONFIG) config: SettingsServiceConfig) {
    this.atRest = EnvelopeKey.fromBase64(config.HELIX_ENCRYPTION_KEY);
    this.onBus = EnvelopeKey.fromBase64(config.HELIX_SETTINGS_KEY);
  }
}

/** Drains the raw JetStream connection on shutdown (the Nest transport drains its own). */
@Injectable()
export class NatsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
  }
}
