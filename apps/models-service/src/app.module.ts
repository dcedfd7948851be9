import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/nats-core';
import { loggingModule } from '@helix/logging';
import { HealthModule, readinessChecks } from '@helix/health';
import { connectNats, natsSettingsFromEnv, natsReadiness } from '@helix/nats';
import { databaseReadiness, serviceTypeOrmModule } from '@helix/persistence';
import { DB_SCHEMA, NATS_CONNECTION, type ModelsServiceConfig } from './config';
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
        loggingModule('models-service', config.LOG_LEVEL),
        serviceTypeOrmModule({
          url: config.DATABASE_URL,
          schema: DB_SCHEMA,
          entities: [RunnerEntity],
          migrations: [Runners1764230600000, Models1764230700000],
          applicationName: 'helix-models-service',
        }),
        HealthModule.forRoot(),
      ],
      controllers: [RunnersController, ModelsController],
      providers: [
        { provide: NATS_CONNECTION, useFactory: () => connectNats(natsSettingsFromEnv(config), 'models-service') },
        NatsLifecycle,
        readinessChecks([NATS_CONNECTION, getDataSourceToken()], (nc: NatsConnection, db: DataSource) => [natsReadiness(nc), databaseReadiness(db)]),
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
