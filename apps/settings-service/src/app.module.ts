import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/nats-core';
import { loggingModule } from '@helix/logging';
import { HealthModule, ReadinessRegistry } from '@helix/health';
import { connectNats, ensureSettingsStreams, natsSettingsFromEnv, trackConnection } from '@helix/nats';
import { isDatabaseReachable, openServiceDataSource, serviceDataSourceOptions } from '@helix/persistence';
import { DB_SCHEMA, SETTINGS_CONFIG, type SettingsServiceConfig } from './config';
import { SETTINGS_ENTITIES } from './entities';
import { SETTINGS_MIGRATIONS } from './migrations';
import { NATS_CONNECTION, NatsLifecycle, SettingsKeys } from './infrastructure';
import { SystemSettingsService } from './settings/system-settings.service';
import { SettingsController } from './settings/settings.controller';
import { OutboxPublisher } from './outbox/outbox.publisher';
import { AcksConsumer } from './acks/acks.consumer';

@Module({})
export class SettingsServiceModule {
  static forRoot(config: SettingsServiceConfig): DynamicModule {
    const natsProvider = {
      provide: NATS_CONNECTION,
      useFactory: async (): Promise<NatsConnection> => {
        const nc = await connectNats(natsSettingsFromEnv(), 'settings-service');
        await ensureSettingsStreams(nc);
        return nc;
      },
    };
    return {
      module: SettingsServiceModule,
      imports: [
        loggingModule('settings-service'),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...serviceDataSourceOptions({
              url: config.DATABASE_URL,
              schema: DB_SCHEMA,
              entities: SETTINGS_ENTITIES,
              migrations: SETTINGS_MIGRATIONS,
              applicationName: 'helix-settings-service',
            }),
            // Postgres may come up after us (Kubernetes start order is not guaranteed).
            retryAttempts: Number.MAX_SAFE_INTEGER,
            retryDelay: 1_000,
          }),
          dataSourceFactory: (options) => openServiceDataSource(options!, DB_SCHEMA),
        }),
        HealthModule.forRoot(),
      ],
      controllers: [SettingsController],
      providers: [
        { provide: SETTINGS_CONFIG, useValue: config },
        natsProvider,
        {
          provide: 'READINESS',
          inject: [ReadinessRegistry, NATS_CONNECTION, getDataSourceToken()],
          useFactory: (registry: ReadinessRegistry, nc: NatsConnection, db: DataSource) => {
            const nats = trackConnection(nc);
            registry.add({ name: 'nats', check: () => nats.connected() }, { name: 'postgres', check: () => isDatabaseReachable(db) });
          },
        },
        NatsLifecycle,
        SettingsKeys,
        OutboxPublisher,
        AcksConsumer,
        SystemSettingsService,
      ],
      exports: [NATS_CONNECTION],
    };
  }
}
