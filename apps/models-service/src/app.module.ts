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
import { Runners1764230600000 } from './migrations/1764230600000-runners';
import { RunnersService } from './runners/runners.service';
import { RunnersController } from './runners/runners.controller';
import { Models1764230700000 } from './migrations/1764230700000-models';
import { RunnersDropHeartbeatCopies1764230800000 } from './migrations/1764230800000-runners-drop-heartbeat-copies';
import { ModelOwnership1764230900000 } from './migrations/1764230900000-model-ownership';
import { RunnersSettingsProgress1764231100000 } from './migrations/1764231100000-runners-settings-progress';
import { Gpus1764231300000 } from './migrations/1764231300000-gpus';
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
          migrations: [
            Runners1764230600000,
            Models1764230700000,
            RunnersDropHeartbeatCopies1764230800000,
            ModelOwnership1764230900000,
            RunnersSettingsProgress1764231100000,
            Gpus1764231300000,
          ],
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
