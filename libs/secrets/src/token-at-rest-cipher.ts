import type { EncryptedEnvelope, Scope } from '@helix/contracts';
import { Aad } from './aad';
import { open, seal, type EnvelopeKey } from './envelope';
import { parseKeyList } from './key-list';
import type { Secret } from './secret';

/** Owns HELIX_ENCRYPTION_KEY: the stored copy of each scope's token (settings.hf_tokens.envelope). */
export class TokenAtRestCipher {
  private constructor(private readonly keys: readonly EnvelopeKey[]) {}

  /** `encryptionKey` is HELIX_ENCRYPTION_KEY: one base64 key or a key list (the first seals, all open). */
  static fromBase64(encryptionKey: string): TokenAtRestCipher {
    const { keys, raw } = parseKeyList(encryptionKey);
    for (const r of raw) r.bytes.fill(0);
    return new TokenAtRestCipher(keys);
  }

  /** The id of the key that seals (the first listed): a stored envelope with another kid is re-sealed. */
  get sealingKid(): string {
    return this.keys[0].kid;
  }

  /** True while HELIX_ENCRYPTION_KEY lists keys besides the sealing one (a rotation is under way). */
  get opensOlderKeys(): boolean {
    return this.keys.length > 1;
  }

  seal(token: Secret, scope: Scope, scopeId: string | null): EncryptedEnvelope {
    return seal(this.keys[0], token, Aad.atRest(scope, scopeId));
  }

  /** Throws EnvelopeError when the envelope is malformed or belongs to another scope or key. */
  open(envelope: unknown, scope: Scope, scopeId: string | null): Secret {
    return open(this.keys, envelope, Aad.atRest(scope, scopeId));
  }

  toString(): string {
    return 'TokenAtRestCipher';
  }
}
