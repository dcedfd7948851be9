import { DatabaseServiceConfig, EnvInt, IsKeyList, IsOptional, IsPort, IsStreamReplicas, IsString, Matches } from '@helix/config';

export class GatewayConfig extends DatabaseServiceConfig {
  /** The REST API, /healthz, /readyz and /metrics. */
  @EnvInt()
  @IsPort()
  HELIX_HTTP_PORT = 8080;

  /** When set, an admin user owning this key is ensured at start-up. */
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7E]{1,512}$/, { message: 'HELIX_ADMIN_API_KEY must be 1 to 512 printable characters without white space' })
  HELIX_ADMIN_API_KEY?: string;

  /** The gateway encrypts tokens before they travel to the settings-service over NATS. */
  @IsKeyList()
  HELIX_SETTINGS_KEY!: string;

  /** Replicas of the AUDIT stream the gateway owns: the same variable as the settings-service's. */
  @EnvInt()
  @IsStreamReplicas()
  HELIX_NATS_STREAM_REPLICAS = 1;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const DB_SCHEMA = 'gateway';
