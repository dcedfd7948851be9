import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { loggingModule } from '@helix/logging';
import { HealthModule, readinessChecks } from '@helix/health';
import { connectNats, natsSettingsFromEnv, natsReadiness } from '@helix/nats';
import { Secret } from '@helix/secrets';
import { TokenStore } from '@helix/token-store';
import { NATS_CONNECTION, RUNNER_CONFIG, RUNNER_SETTINGS, TOKEN_STORE, type RunnerConfig, type RunnerSettings } from './config';
import { SettingsSyncService } from './settings/settings-sync.service';
import { HeartbeatService } from './heartbeat/heartbeat.service';
import { NatsLifecycle } from './nats-lifecycle';
import { slotProviders } from './slots';

@Module({})
export class RunnerModule {
  static forRoot(config: RunnerConfig, settings: RunnerSettings): DynamicModule {
    return {
      module: RunnerModule,
      imports: [
        loggingModule('runner', config.LOG_LEVEL),
        HealthModule.forRoot(),
      ],
      providers: [
        { provide: RUNNER_CONFIG, useValue: config },
        { provide: RUNNER_SETTINGS, useValue: settings },
        // The only place the runner keeps tokens: memory.
        { provide: TOKEN_STORE, useFactory: () => new TokenStore(config.HF_TOKEN ? Secret.of(config.HF_TOKEN) : null) },
        { provide: NATS_CONNECTION, useFactory: () => connectNats(natsSettingsFromEnv(config), `runner-${settings.runnerId}`) },
        NatsLifecycle,
        SettingsSyncService,
        HeartbeatService,
        readinessChecks([NATS_CONNECTION, SettingsSyncService], (nc: NatsConnection, sync: SettingsSyncService) => [
          natsReadiness(nc),
          { name: 'settings_replay', check: () => sync.replayComplete },
        ]),
        ...slotProviders,
      ],
    };
  }
}
