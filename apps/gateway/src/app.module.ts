import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ClientsModule, Transport, type ClientProxy } from '@nestjs/microservices';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/nats-core';
import { loggingModule } from '@helix/logging';
import { HealthModule, ReadinessRegistry } from '@helix/health';
import { natsConnectionOptions, natsSettingsFromEnv, trackConnection } from '@helix/nats';
import { isDatabaseReachable, openServiceDataSource, serviceDataSourceOptions } from '@helix/persistence';
import { DB_SCHEMA, GATEWAY_CONFIG, type GatewayConfig } from './config';
import { UserEntity } from './users/user.entity';
import { Users1764230500000 } from './migrations/1764230500000-users';
import { UsersService } from './users/users.service';
import { UsersController } from './users/users.controller';
import { ApiKeyGuard } from './auth/auth';
import { ErrorFilter } from './http/errors';
import { SERVICES_CLIENT, ServiceClient } from './services/service-client';
import { SystemSettingsController } from './settings/system-settings.controller';
import { RunnersController } from './runners/runners.controller';
import { ModelsController } from './models/models.controller';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        loggingModule('gateway'),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...serviceDataSourceOptions({
              url: config.DATABASE_URL,
              schema: DB_SCHEMA,
              entities: [UserEntity],
              migrations: [Users1764230500000],
              applicationName: 'helix-gateway',
            }),
            retryAttempts: Number.MAX_SAFE_INTEGER,
            retryDelay: 1_000,
          }),
          dataSourceFactory: (options) => openServiceDataSource(options!, DB_SCHEMA),
        }),
        ClientsModule.register([
          { name: SERVICES_CLIENT, transport: Transport.NATS, options: natsConnectionOptions(natsSettingsFromEnv(), 'gateway') },
        ]),
        HealthModule.forRoot(),
      ],
      controllers: [SystemSettingsController, UsersController, RunnersController, ModelsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        UsersService,
        {
          provide: 'READINESS',
          inject: [ReadinessRegistry, SERVICES_CLIENT, getDataSourceToken()],
          useFactory: (registry: ReadinessRegistry, client: ClientProxy, db: DataSource) => {
            let nats: { connected(): boolean } | undefined;
            void client.connect().then(() => (nats = trackConnection(client.unwrap<NatsConnection>())));
            registry.add({ name: 'nats', check: () => nats?.connected() ?? false }, { name: 'postgres', check: () => isDatabaseReachable(db) });
          },
        },
        ServiceClient,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
