import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';

export interface ServiceDataSourceInput {
  url: string;
  /** Each service owns one Postgres schema; its tables and migration history live there. */
  schema: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  applicationName: string;
}

export function serviceDataSourceOptions(input: ServiceDataSourceInput): DataSourceOptions {
  return {
    type: 'postgres',
    url: input.url,
    schema: input.schema,
    entities: input.entities,
    migrations: input.migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    applicationName: input.applicationName,
    extra: { max: 10, connectionTimeoutMillis: 3_000, idleTimeoutMillis: 30_000 },
  };
}

/**
 * Runs pending migrations under a Postgres advisory lock, so that replicas starting together
 * neither race on DDL nor apply a migration twice.
 */
export async function runMigrationsLocked(dataSource: DataSource, schema: string): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`helix-migrations:${schema}`]);
    try {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`helix-migrations:${schema}`]);
    }
  } finally {
    await runner.release();
  }
}

/** Opens a data source and brings its schema up to date: the factory every service uses. */
export async function openServiceDataSource(options: DataSourceOptions, schema: string): Promise<DataSource> {
  const dataSource = new DataSource(options);
  await dataSource.initialize();
  await runMigrationsLocked(dataSource, schema);
  return dataSource;
}

/** True when Postgres answers (for /readyz). */
export async function isDatabaseReachable(dataSource: DataSource | undefined): Promise<boolean> {
  if (!dataSource?.isInitialized) return false;
  try {
    await dataSource.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

/** The named check /readyz uses for Postgres. */
export function databaseReadiness(dataSource: DataSource): { name: string; check(): Promise<boolean> } {
  return { name: 'postgres', check: () => isDatabaseReachable(dataSource) };
}
