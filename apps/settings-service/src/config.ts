import { IsOptional } from 'class-validator';
import { IsBase64Key32, IsLogLevel, IsNatsUrlList, IsPort, IsPostgresUrl } from '@helix/config';

export class SettingsServiceConfig {
  @IsPostgresUrl()
  DATABASE_URL!: string;

  @IsOptional()
  @IsNatsUrlList()
  HELIX_NATS_URL?: string;

  /** Encrypts tokens at rest in Postgres. */
  @IsBase64Key32()
  HELIX_ENCRYPTION_KEY!: string;

  /** Encrypts tokens inside NATS messages (shared with the gateway and the runners). */
  @IsBase64Key32()
  HELIX_SETTINGS_KEY!: string;

  /** /healthz, /readyz and /metrics; 0 picks a free port. */
  @IsOptional()
  @IsPort()
  HELIX_HEALTH_PORT?: string;

  @IsOptional()
  @IsLogLevel()
  LOG_LEVEL?: string;
}

export const SETTINGS_CONFIG = Symbol('SETTINGS_CONFIG');
export const DB_SCHEMA = 'settings';
