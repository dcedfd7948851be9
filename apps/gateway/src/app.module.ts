import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ClientsModule, Transport, type ClientProxy } from '@nestjs/microservices';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/nats-core';
import { loggingModule } from '@helix/logging';
import { HealthModule, readinessChecks } from '@helix/health';
import { NatsModule, natsConnectionOptions, natsSettingsFromEnv, natsReadiness, type NatsSettings } from '@helix/nats';
import { GATEWAY_INBOX_PREFIX } from '@helix/contracts';
import { databaseReadiness, serviceTypeOrmModule } from '@helix/persistence';
import { DB_SCHEMA, GATEWAY_CONFIG, type GatewayConfig } from './config';
import { UserEntity } from './users/user.entity';
import { ApiKeyEntity } from './users/api-key.entity';
import { Users1764230500000 } from './migrations/1764230500000-users';
import { Orgs1764230900000 } from './migrations/1764230900000-orgs';
import { MembershipEntity, OrgEntity } from './orgs/org.entity';
import { OrgRepository } from './orgs/org.repository';
import { MembershipRepository } from './orgs/membership.repository';
import { ORG_DELETION_STEPS, OrgsService, type OrgDeletionStep } from './orgs/orgs.service';
import { OrgsController } from './orgs/orgs.controller';
import { UserRepository } from './users/user.repository';
import { UsersService } from './users/users.service';
import { UsersController } from './users/users.controller';
import { ApiKeyRepository } from './users/api-key.repository';
import { ApiKeysService } from './users/api-keys.service';
import { ApiKeysController } from './users/api-keys.controller';
import { BootstrapAdminKey } from './users/bootstrap-admin-key';
import { ApiKeyGuard } from './auth/auth';
import { RouteAccessCheck } from './auth/route-access.check';
import { ErrorFilter } from './http/error.filter';
import { SERVICES_CLIENT, ServiceClient } from './services/service-client';
import { SystemSettingsController } from './settings/system-settings.controller';
import { ScopedSettingsController } from './settings/scoped-settings.controller';
import { SettingsClient } from './settings/settings.client';
import { ReadCaches } from './cache/read-caches';
import { ScopeAccess } from './settings/scope-access';
import { RunnersController } from './runners/runners.controller';
import { ModelsController } from './models/models.controller';
import { AuditLog1764231000000 } from './migrations/1764231000000-audit-log';
import { ApiKeys1764231200000 } from './migrations/1764231200000-api-keys';
import { AuditLogRepository } from './audit/audit-log.repository';
import { AuditService } from './audit/audit.service';
import { AuditConsumer } from './audit/audit.consumer';
import { AuditController } from './audit/audit.controller';
import { VersionController } from './version/version.controller';
import { RunnerMetrics } from './runners/runner-metrics';

/** The gateway's HTTP API (the probes come with HealthModule); openapi-document.ts documents the same list. */
// ScopedSettingsController before ModelsController: its `models/<id>/settings` routes are more specific than `models/*`.
export const GATEWAY_CONTROLLERS = [
  SystemSettingsController,
  ScopedSettingsController,
  UsersController,
  ApiKeysController,
  OrgsController,
  RunnersController,
  ModelsController,
  AuditController,
  VersionController,
];

const natsSettings = (config: GatewayConfig): NatsSettings => ({ ...natsSettingsFromEnv(config), inboxPrefix: GATEWAY_INBOX_PREFIX });

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        loggingModule('gateway', config.LOG_LEVEL),
        serviceTypeOrmModule({
          url: config.DATABASE_URL,
          schema: DB_SCHEMA,
          entities: [UserEntity, ApiKeyEntity, OrgEntity, MembershipEntity],
          migrations: [Users1764230500000, Orgs1764230900000, AuditLog1764231000000, ApiKeys1764231200000],
          applicationName: 'helix-gateway',
        }),
        // Both connections take their replies under the gateway's own inbox prefix (what its credentials may read).
        ClientsModule.register([{ name: SERVICES_CLIENT, transport: Transport.NATS, options: natsConnectionOptions(natsSettings(config), 'gateway') }]),
        HealthModule.forRoot(),
        // JetStream (the AUDIT stream); the Nest transport above keeps its own connection for requests.
        NatsModule.forRoot({ name: 'gateway', settings: natsSettings(config) }),
        DiscoveryModule,
      ],
      controllers: GATEWAY_CONTROLLERS,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        UserRepository,
        ApiKeyRepository,
        UsersService,
        ApiKeysService,
        BootstrapAdminKey,
        AuditLogRepository,
        AuditService,
        AuditConsumer,
        OrgRepository,
        MembershipRepository,
        SettingsClient,
        ReadCaches,
        ScopeAccess,
        {
          provide: ORG_DELETION_STEPS,
          inject: [SettingsClient],
          useFactory: (settings: SettingsClient): OrgDeletionStep[] => [
            { name: 'clear the org token', run: async (orgId, actor) => void (await settings.clearScope('org', orgId, actor.id)) },
          ],
        },
        OrgsService,
        readinessChecks([SERVICES_CLIENT, getDataSourceToken()], (client: ClientProxy, db: DataSource) => {
          let nats: { check(): boolean } | undefined;
          void client.connect().then(() => (nats = natsReadiness(client.unwrap<NatsConnection>())));
          return [{ name: 'nats', check: () => nats?.check() ?? false }, databaseReadiness(db)];
        }),
        ServiceClient,
        RunnerMetrics,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        RouteAccessCheck,
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
