import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { loggingModule } from '@helix/logging';
import { HealthModule, readinessChecks } from '@helix/health';
import { NatsModule, natsSettingsFromEnv } from '@helix/nats';
import { databaseReadiness, serviceTypeOrmModule } from '@helix/persistence';
import { EventSigner, EventVerifier, RequestAuthenticator, SettingsBusCipher, TokenAtRestCipher } from '@helix/secrets';
import { RequestNonceRepository } from './requests/request-nonce.repository';
import { DB_SCHEMA, SETTINGS_CONFIG, type SettingsServiceConfig } from './config';
import { SETTINGS_ENTITIES } from './entities';
import { SETTINGS_MIGRATIONS } from './migrations';
import { HfTokenRepository } from './tokens/hf-token.repository';
import { TokenReseal } from './tokens/token-reseal.service';
import { HubValidation } from './hub/hub-validation';
import { SettingsStreams } from './streams/settings-streams';
import { SettingsEventFactory } from './settings/settings-event.factory';
import { SettingsService } from './settings/settings.service';
import { SettingsController } from './settings/settings.controller';
import { OutboxRepository } from './outbox/outbox.repository';
import { VerifiedHeadRepository } from './outbox/verified-head.repository';
import { OutboxPublisher } from './outbox/outbox.publisher';
import { StreamRepairScheduler } from './outbox/stream-repair.service';
import { RunnerAckRepository } from './acks/runner-ack.repository';
import { AcksConsumer } from './acks/acks.consumer';
import { SyncStatusService } from './acks/sync-status.service';
import { SettingsMetrics } from './settings/settings-metrics';

@Module({})
export class SettingsServiceModule {
  static forRoot(config: SettingsServiceConfig): DynamicModule {
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
        NatsModule.forRoot({ name: 'settings-service', settings: natsSettingsFromEnv(config) }),
      ],
      controllers: [SettingsController],
      providers: [
        { provide: SETTINGS_CONFIG, useValue: config },
        readinessChecks([getDataSourceToken()], (db: DataSource) => [databaseReadiness(db)]),
        // The only holders of the two keys: HELIX_SETTINGS_KEY for the bus, HELIX_ENCRYPTION_KEY for Postgres.
        { provide: SettingsBusCipher, useFactory: () => SettingsBusCipher.fromBase64(config.HELIX_SETTINGS_KEY) },
        { provide: TokenAtRestCipher, useFactory: () => TokenAtRestCipher.fromBase64(config.HELIX_ENCRYPTION_KEY) },
        { provide: RequestAuthenticator, useFactory: () => RequestAuthenticator.fromBase64(config.HELIX_SETTINGS_KEY) },
        RequestNonceRepository,
        // HELIX_EVENT_SIGNING_KEY: only this service can issue settings.updated events runners accept.
        { provide: EventSigner, useFactory: () => EventSigner.fromBase64(config.HELIX_EVENT_SIGNING_KEY) },
        { provide: EventVerifier, inject: [EventSigner], useFactory: (signer: EventSigner) => EventVerifier.fromBase64(signer.verifyKeyBase64()) },
        HfTokenRepository,
        OutboxRepository,
        VerifiedHeadRepository,
        SettingsMetrics,
        RunnerAckRepository,
        SettingsStreams,
        SettingsEventFactory,
        OutboxPublisher,
        StreamRepairScheduler,
        AcksConsumer,
        SettingsService,
        SyncStatusService,
        TokenReseal,
        HubValidation,
      ],
    };
  }
}
