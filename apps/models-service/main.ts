import 'reflect-metadata';
import { loadConfigOrExit } from '@helix/config';
import { bootstrapService } from '@helix/bootstrap';
import { QueueGroups } from '@helix/contracts';
import { ModelsServiceConfig } from './src/config';
import { ModelsServiceModule } from './src/app.module';

const config = loadConfigOrExit(ModelsServiceConfig);
void bootstrapService({
  name: 'models-service',
  module: ModelsServiceModule.forRoot(config),
  queue: QueueGroups.models,
  config,
});
