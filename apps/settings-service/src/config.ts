import { IsBase64Key32, MicroserviceConfig } from '@helix/config';

/** HELIX_HEALTH_PORT defaults to 8081 (MicroserviceConfig). */
export class SettingsServiceConfig extends MicroserviceConfig {
  /** Encrypts tokens at rest in Postgres. */
  @IsBase64Key32()
  HELIX_ENCRYPTION_KEY!: string;

  /** Encrypts tokens inside NATS messages (shared with the gateway and the runners). */
  @IsBase64Key32()
  HELIX_SETTINGS_KEY!: string;

  /** Signs every settings.updated event (Ed25519 seed, SPEC §15): runners accept only what it signed. */
  @IsBase64Key32()
  HELIX_EVENT_SIGNING_KEY!: string;
}

export const SETTINGS_CONFIG = Symbol('SETTINGS_CONFIG');
export const DB_SCHEMA = 'settings';
