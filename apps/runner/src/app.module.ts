import { Module, type DynamicModule } from '@nestjs/common';
import { loggingModule } from '@helix/logging';
import { HealthModule, readinessChecks } from '@helix/health';
import { NatsModule } from '@helix/nats';
import { Secret } from '@helix/secrets';
import { TokenStore } from '@helix/token-store';
import { RUNNER_CONFIG, RUNNER_SETTINGS, TOKEN_STORE, type RunnerConfig, type RunnerSettings } from './config';
import { SettingsSyncService } from './settings/settings-sync.service';
import { HeartbeatService } from './heartbeat/heartbeat.service';
import { slotProviders } from './slots';

@Module({})
export class RunnerModule {
  static forRoot(config: RunnerConfig, settings: RunnerSettings): DynamicModule {
    return {
      module: RunnerModule,
      imports: [
        loggingModule('runner'),
        HealthModule.forRoot(),
        NatsModule.forRoot({ name: `runner-${settings.runnerId}` }),
      ],
      providers: [
        { provide: RUNNER_CONFIG, useValue: config },
        { provide: RUNNER_SETTINGS, useValue: settings },
        // The only place the runner keeps tokens: memory.
        { provide: TOKEN_STORE, useFactory: () => new TokenStore(config.HF_TOKEN ? Secret.of(config.HF_TOKEN) : null) },
        // Until slots inject it with @InjectNats(): the same connection under the old token.
        SettingsSyncService,
        HeartbeatService,
        readinessChecks([SettingsSyncService], (sync: SettingsSyncService) => [{ name: 'settings_replay', check: () => sync.replayComplete }]),
        ...slotProviders,
      ],
    };
  }
}
