import { IsOptional } from 'class-validator';
import { IsLogLevel, IsNatsUrlList, IsPort, IsPostgresUrl } from '@helix/config';

export class ModelsServiceConfig {
  @IsPostgresUrl()
  DATABASE_URL!: string;

  @IsOptional()
  @IsNatsUrlList()
  HELIX_NATS_URL?: string;

  /** /healthz, /readyz and /metrics; 0 picks a free port. */
  @IsOptional()
  @IsPort()
  HELIX_HEALTH_PORT?: string;

  @IsOptional()
  @IsLogLevel()
  LOG_LEVEL?: string;
}

export const DB_SCHEMA = 'models';
