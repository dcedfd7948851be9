import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/nats-core';
import { loggingModule } from '@helix/logging';
import { HealthModule, readinessChecks } from '@helix/health';
import { connectNats, ensureSettingsStreams, natsSettingsFromEnv, natsReadiness } from '@helix/nats';
import { databaseReadiness, serviceTypeOrmModule } from '@helix/persistence';
import { DB_SCHEMA, SETTINGS_CONFIG, type SettingsServiceConfig } from './config';
import { SETTINGS_ENTITIES } from './entities';
import { SETTINGS_MIGRATIONS } from './migrations';
import { NATS_CONNECTION, NatsLifecycle, SettingsKeys } from './infrastructure';
import { SystemSettingsService } from './settings/system-settings.service';
import { SettingsController } from './settings/settings.controller';
import { OutboxPublisher } from './outbox/outbox.publisher';
import { AcksConsumer } from './acks/acks.consumer';
import { StreamRepair } from './outbox/stream-repair.service';

@Module({})
export class SettingsServiceModule {
  static forRoot(config: SettingsServiceConfig): DynamicModule {
    const natsProvider = {
      provide: NATS_CONNECTION,
      useFactory: async (): Promise<NatsConnection> => {
        const nc = await connectNats(natsSettingsFromEnv(config), 'settings-service');
        await ensureSettingsStreams(nc);
        return nc;
      },
    };
    return {
      module: SettingsServiceModule,
      imports: [
        loggingModule('settings-service', config.LOG_LEVEL),
        serviceTypeOrmModule({
          url: config.DATABASE_URL,
          schema: DB_SCHEMA,
          entities: SETTINGS_ENTITIES,
          migrations: SETTINGS_MIGRATIONS,
          applicationName: 'helix-settings-service',
        }),
        HealthModule.forRoot(),
      ],
      controllers: [SettingsController],
      providers: [
        { provide: SETTINGS_CONFIG, useValue: config },
        natsProvider,
        readinessChecks([NATS_CONNECTION, getDataSourceToken()], (nc: NatsConnection, db: DataSource) => [natsReadiness(nc), databaseReadiness(db)]),
        NatsLifecycle,
        SettingsKeys,
        OutboxPublisher,
        StreamRepair,
        AcksConsumer,
        SystemSettingsService,
      ],
      exports: [NATS_CONNECTION],
    };
  }
}
