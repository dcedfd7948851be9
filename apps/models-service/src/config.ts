import { MicroserviceConfig } from '@helix/config';

export class ModelsServiceConfig extends MicroserviceConfig {
  override HELIX_HEALTH_PORT = 8082;
}

export const DB_SCHEMA = 'models';
