import { Module, type DynamicModule } from '@nestjs/common';
import { loggingModule } from '@helix/logging';
import { HealthModule, readinessChecks } from '@helix/health';
import { NatsModule, natsSettingsFromEnv } from '@helix/nats';
import { runnerInboxPrefix } from '@helix/contracts';
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
        loggingModule('runner', config.LOG_LEVEL),
        HealthModule.forRoot(),
        NatsModule.forRoot({
          name: `runner-${settings.runnerId}`,
          settings: { ...natsSettingsFromEnv(config), inboxPrefix: runnerInboxPrefix(settings.runnerId) },
        }),
      ],
      providers: [
        { provide: RUNNER_CONFIG, useValue: config },
        { provide: RUNNER_SETTINGS, useValue: settings },
        // The only place the runner keeps tokens: memory.
        { provide: TOKEN_STORE, useFactory: () => new TokenStore(config.HF_TOKEN ? Secret.of(config.HF_TOKEN) : null) },
        SettingsSyncService,
        HeartbeatService,
        readinessChecks([SettingsSyncService], (sync: SettingsSyncService) => [{ name: 'settings_replay', check: () => sync.replayComplete }]),
        ...slotProviders,
      ],
    };
  }
}
