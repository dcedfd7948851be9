import { HUB_VALIDATION_MODES, type HubValidationMode } from '@helix/contracts';
import { EnvInt, IsBase64Key32, IsIn, IsKeyList, IsStreamReplicas, IsUrl, MicroserviceConfig } from '@helix/config';

/** HELIX_HEALTH_PORT defaults to 8081 (MicroserviceConfig). */
export class SettingsServiceConfig extends MicroserviceConfig {
  /** Encrypts tokens at rest in Postgres (one key, or a key list while rotating). */
  @IsKeyList()
  HELIX_ENCRYPTION_KEY!: string;

  /** Encrypts tokens inside NATS messages (shared with the gateway and the runners; a key list while rotating). */
  @IsKeyList()
  HELIX_SETTINGS_KEY!: string;

  /** Signs every settings.updated event (Ed25519 seed, docs/reference/security.md): runners accept only what it signed. */
  @IsBase64Key32()
  HELIX_EVENT_SIGNING_KEY!: string;

  /** Replicas of the SETTINGS and SETTINGS_ACKS streams (docs/reference/security.md): 3 on a three-node NATS cluster. */
  @EnvInt()
  @IsStreamReplicas()
  HELIX_NATS_STREAM_REPLICAS = 1;

  /** The Hugging Face Hub that tokens are checked against (docs/reference/hub.md); e.g. bin/hf-hub-sim's URL. */
  @IsUrl({ protocols: ['http', 'https'] }, { message: 'HELIX_HF_ENDPOINT must be an http(s) URL' })
  HELIX_HF_ENDPOINT = 'https://huggingface.co';

  /** off: never ask the Hub; warn: store an invalid token anyway, and say so; strict: refuse it. */
  @IsIn(HUB_VALIDATION_MODES, { message: `HELIX_HF_VALIDATION must be one of ${HUB_VALIDATION_MODES.join(', ')}` })
  HELIX_HF_VALIDATION: HubValidationMode = 'warn';
}

export const SETTINGS_CONFIG = Symbol('SETTINGS_CONFIG');
export const DB_SCHEMA = 'settings';
