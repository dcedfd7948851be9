import type { DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { openServiceDataSource, serviceDataSourceOptions, type ServiceDataSourceInput } from './data-source';

/**
 * TypeORM for one service: its own schema, migrations applied at start under an advisory lock, and
 * retries forever while Postgres is not up yet (Kubernetes start order is not guaranteed).
 */
export function serviceTypeOrmModule(input: ServiceDataSourceInput): DynamicModule {
  return TypeOrmModule.forRootAsync({
    useFactory: () => ({ ...serviceDataSourceOptions(input), retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1_000 }),
    dataSourceFactory: (options) => openServiceDataSource(options!, input.schema),
  });
}
