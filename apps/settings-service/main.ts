import 'reflect-metadata';
import { loadConfigOrExit } from '@helix/config';
import { bootstrapService } from '@helix/bootstrap';
import { SettingsServiceConfig } from './src/config';
import { SettingsServiceModule } from './src/app.module';
import { QueueGroups } from '@helix/contracts';

const config = loadConfigOrExit(SettingsServiceConfig);
void bootstrapService({
  name: 'settings-service',
  module: SettingsServiceModule.forRoot(config),
  queue: QueueGroups.settings,
  config,
});
