import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/nats-core';
import { loggingModule } from '@helix/logging';
import { HealthModule, ReadinessRegistry } from '@helix/health';
import { connectNats, natsSettingsFromEnv, trackConnection } from '@helix/nats';
import { isDatabaseReachable, openServiceDataSource, serviceDataSourceOptions } from '@helix/persistence';
import { DB_SCHEMA, MODELS_CONFIG, NATS_CONNECTION, type ModelsServiceConfig } from './config';
import { RunnerEntity } from './runners/runner.entity';
import { Runners1764230600000 } from './migrations/1764230600000-runners';
import { RunnersService } from './runners/runners.service';
import { RunnersController } from './runners/runners.controller';
import { NatsLifecycle } from './nats-lifecycle';
import { Models1764230700000 } from './migrations/1764230700000-models';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { Scheduler } from './scheduling/scheduler.service';
import { Reconciler } from './scheduling/reconciler.service';
import { RunnerCommands } from './slots/runner-commands';
import { SlotTracker } from './slots/slot-tracker.service';
import { SlotStatusSubscriber } from './slots/slot-status.subscriber';

@Module({})
export class ModelsServiceModule {
  static forRoot(config: ModelsServiceConfig): DynamicModule {
    return {
      module: ModelsServiceModule,
      imports: [
        loggingModule('models-service'),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...serviceDataSourceOptions({
              url: config.DATABASE_URL,
              schema: DB_SCHEMA,
              entities: [RunnerEntity],
              migrations: [Runners1764230600000, Models1764230700000],
              applicationName: 'helix-models-service',
            }),
            retryAttempts: Number.MAX_SAFE_INTEGER,
            retryDelay: 1_000,
          }),
          dataSourceFactory: (options) => openServiceDataSource(options!, DB_SCHEMA),
        }),
        HealthModule.forRoot(),
      ],
      controllers: [RunnersController, ModelsController],
      providers: [
        { provide: MODELS_CONFIG, useValue: config },
        { provide: NATS_CONNECTION, useFactory: () => connectNats(natsSettingsFromEnv(), 'models-service') },
        NatsLifecycle,
        {
          provide: 'READINESS',
          inject: [ReadinessRegistry, NATS_CONNECTION, getDataSourceToken()],
          useFactory: (registry: ReadinessRegistry, nc: NatsConnection, db: DataSource) => {
            const nats = trackConnection(nc);
            registry.add({ name: 'nats', check: () => nats.connected() }, { name: 'postgres', check: () => isDatabaseReachable(db) });
          },
        },
        RunnersService,
        RunnerCommands,
        Scheduler,
        SlotTracker,
        SlotStatusSubscriber,
        Reconciler,
        ModelsService,
      ],
    };
  }
}
