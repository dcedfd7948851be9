import { EnvInt, IsLogLevel, IsNatsUrlList, IsPort, IsPostgresUrl, IsReadableFile, type LogLevel } from './decorators';
import { IsOptional, IsString, ValidateIf } from './validation';

/**
 * What every Helix process reads: how to reach NATS and how much to log. Apps extend these classes
 * with their own variables; a subclass may give an inherited variable another default by
 * re-declaring it with a new initialiser (the decorators are inherited).
 */
export class ServiceConfig {
  @IsNatsUrlList()
  HELIX_NATS_URL = 'nats://127.0.0.1:4222';

  /** User and password, when the NATS server requires them (HELIX_NATS_CREDS wins if both are set). */
  @IsOptional()
  @IsString()
  HELIX_NATS_USER?: string;

  @ValidateIf((config: ServiceConfig) => config.HELIX_NATS_USER !== undefined || config.HELIX_NATS_PASSWORD !== undefined)
  @IsString()
  HELIX_NATS_PASSWORD?: string;

  /** Path of a NATS .creds file (JWT and NKey seed). */
  @IsOptional()
  @IsReadableFile()
  HELIX_NATS_CREDS?: string;

  /** Path of the PEM CA bundle that signed the NATS servers' TLS certificates (a private CA); TLS is then required. */
  @IsOptional()
  @IsReadableFile()
  HELIX_NATS_TLS_CA?: string;

  @IsLogLevel()
  LOG_LEVEL: LogLevel = 'info';
}

/** A service that keeps its state in its own Postgres schema. */
export class DatabaseServiceConfig extends ServiceConfig {
  @IsPostgresUrl()
  DATABASE_URL!: string;
}

/** A NATS microservice with a database that serves /healthz, /readyz and /metrics on its own port. */
export class MicroserviceConfig extends DatabaseServiceConfig {
  /** 0 picks a free port. */
  @EnvInt()
  @IsPort()
  HELIX_HEALTH_PORT = 8081;
}
