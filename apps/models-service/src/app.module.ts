import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { loggingModule } from '@helix/logging';
import { HealthModule, readinessChecks } from '@helix/health';
import { NatsModule, natsSettingsFromEnv } from '@helix/nats';
import { ModelAudit } from './models/model-audit';
import { databaseReadiness, serviceTypeOrmModule } from '@helix/persistence';
import { DB_SCHEMA, type ModelsServiceConfig } from './config';
import { RunnerEntity } from './runners/runner.entity';
import { RunnersService } from './runners/runners.service';
import { RunnersController } from './runners/runners.controller';
import { MODELS_MIGRATIONS } from './migrations';
import { ModelRepository } from './models/model.repository';
import { RunnerRepository } from './runners/runner.repository';
import { SlotRepository } from './slots/slot.repository';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { Scheduler } from './scheduling/scheduler.service';
import { Reconciler } from './scheduling/reconciler.service';
import { RunnerCommands } from './slots/runner-commands';
import { SlotTracker } from './slots/slot-tracker.service';
import { SlotStatusSubscriber } from './slots/slot-status.subscriber';
import { ModelsMetrics } from './metrics';

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
          migrations: MODELS_MIGRATIONS,
          applicationName: 'helix-models-service',
        }),
        HealthModule.forRoot(),
        NatsModule.forRoot({ name: 'models-service', settings: natsSettingsFromEnv(config) }),
      ],
      controllers: [RunnersController, ModelsController],
      providers: [
        readinessChecks([getDataSourceToken()], (db: DataSource) => [databaseReadiness(db)]),
        ModelRepository,
        RunnerRepository,
        SlotRepository,
        RunnersService,
        RunnerCommands,
        Scheduler,
        SlotTracker,
        SlotStatusSubscriber,
        Reconciler,
        ModelsService,
        ModelAudit,
        ModelsMetrics,
      ],
    };
  }
}
