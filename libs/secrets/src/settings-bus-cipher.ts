import type { EncryptedEnvelope, Scope } from '@helix/contracts';
import { Aad } from './aad';
import { EnvelopeKey, open, seal } from './envelope';
import type { Secret } from './secret';

/**
 * Owns HELIX_SETTINGS_KEY: every token that crosses NATS is sealed and opened here, and each seal
 * sits next to the open that must use the same additional authenticated data, so an envelope
 * copied into another message, scope or version does not open.
 */
export class SettingsBusCipher {
  private constructor(private readonly key: EnvelopeKey) {}

  /** `settingsKey` is HELIX_SETTINGS_KEY (strict base64 of 32 bytes). */
  static fromBase64(settingsKey: string): SettingsBusCipher {
    return new SettingsBusCipher(EnvelopeKey.fromBase64(settingsKey));
  }

  /** Gateway → settings-service: the token of a PUT. */
  sealUpdateRequest(token: Secret, scope: Scope = 'global', scopeId: string | null = null): EncryptedEnvelope {
    return seal(this.key, token, Aad.updateRequest(scope, scopeId));
  }

  /** Throws EnvelopeError when the envelope is malformed or was sealed with another key or context. */
  openUpdateRequest(envelope: unknown, scope: Scope = 'global', scopeId: string | null = null): Secret {
    return open(this.key, envelope, Aad.updateRequest(scope, scopeId));
  }

  /** Settings-service → runners: the token inside `settings.updated` of this scope and version. */
  sealEvent(token: Secret, scope: Scope, scopeId: string | null, version: number): EncryptedEnvelope {
    return seal(this.key, token, Aad.event(scope, scopeId, version));
  }

  /** Throws EnvelopeError when the envelope is malformed or was sealed with another key or context. */
  openEvent(envelope: unknown, scope: Scope, scopeId: string | null, version: number): Secret {
    return open(this.key, envelope, Aad.event(scope, scopeId, version));
  }

  toString(): string {
    return 'SettingsBusCipher';
  }
}
