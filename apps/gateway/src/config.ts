import { IsOptional, IsString, Matches } from 'class-validator';
import { IsBase64Key32, IsLogLevel, IsNatsUrlList, IsPort, IsPostgresUrl } from '@helix/config';

export class GatewayConfig {
  @IsPostgresUrl()
  DATABASE_URL!: string;

  @IsOptional()
  @IsNatsUrlList()
  HELIX_NATS_URL?: string;

  @IsOptional()
  @IsPort()
  HELIX_HTTP_PORT?: string;

  /** When set, an admin user owning this key is ensured at start-up. */
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7E]{1,512}$/, { message: 'HELIX_ADMIN_API_KEY must be 1 to 512 printable characters without white space' })
  HELIX_ADMIN_API_KEY?: string;

  /** The gateway encrypts tokens before they travel to the settings-service over NATS. */
  @IsBase64Key32()
  HELIX_SETTINGS_KEY!: string;

  @IsOptional()
  @IsLogLevel()
  LOG_LEVEL?: string;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const DB_SCHEMA = 'gateway';
