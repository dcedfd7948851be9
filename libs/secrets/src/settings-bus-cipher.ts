import type { EncryptedEnvelope, Scope } from '@helix/contracts';
import { Aad } from './aad';
import { open, seal, type EnvelopeKey } from './envelope';
import { parseKeyList } from './key-list';
import type { Secret } from './secret';

/**
 * Owns HELIX_SETTINGS_KEY: every token that crosses NATS is sealed and opened here, and each seal
 * sits next to the open that must use the same additional authenticated data, so an envelope
 * copied into another message, scope or version does not open.
 */
export class SettingsBusCipher {
  private constructor(private readonly keys: readonly EnvelopeKey[]) {}

  /** `settingsKey` is HELIX_SETTINGS_KEY: one base64 key or a key list (the first seals, all open). */
  static fromBase64(settingsKey: string): SettingsBusCipher {
    const { keys, raw } = parseKeyList(settingsKey);
    for (const r of raw) r.bytes.fill(0);
    return new SettingsBusCipher(keys);
  }

  /** The id of the key that seals (the first listed). */
  get sealingKid(): string {
    return this.keys[0].kid;
  }

  private get key(): EnvelopeKey {
    return this.keys[0];
  }

  /** Gateway → settings-service: the token of a PUT. */
  sealUpdateRequest(token: Secret, scope: Scope = 'global', scopeId: string | null = null): EncryptedEnvelope {
    return seal(this.key, token, Aad.updateRequest(scope, scopeId));
  }

  /** Throws EnvelopeError when the envelope is malformed or was sealed with another key or context. */
  openUpdateRequest(envelope: unknown, scope: Scope = 'global', scopeId: string | null = null): Secret {
    return open(this.keys, envelope, Aad.updateRequest(scope, scopeId));
  }

  /** Settings-service → runners: the token inside `settings.updated` of this scope and version. */
  sealEvent(token: Secret, scope: Scope, scopeId: string | null, version: number): EncryptedEnvelope {
    return seal(this.key, token, Aad.event(scope, scopeId, version));
  }

  /** Throws EnvelopeError when the envelope is malformed or was sealed with another key or context. */
  openEvent(envelope: unknown, scope: Scope, scopeId: string | null, version: number): Secret {
    return open(this.keys, envelope, Aad.event(scope, scopeId, version));
  }

  toString(): string {
    return 'SettingsBusCipher';
  }
}
