import type { EncryptedEnvelope, Scope } from '@helix/contracts';
import { Aad } from './aad';
import { EnvelopeKey, open, seal } from './envelope';
import type { Secret } from './secret';

/** Owns HELIX_ENCRYPTION_KEY: the stored copy of each scope's token (settings.hf_tokens.envelope). */
export class TokenAtRestCipher {
  private constructor(private readonly key: EnvelopeKey) {}

  /** `encryptionKey` is HELIX_ENCRYPTION_KEY (strict base64 of 32 bytes). */
  static fromBase64(encryptionKey: string): TokenAtRestCipher {
    return new TokenAtRestCipher(EnvelopeKey.fromBase64(encryptionKey));
  }

  seal(token: Secret, scope: Scope, scopeId: string | null): EncryptedEnvelope {
    return seal(this.key, token, Aad.atRest(scope, scopeId));
  }

  /** Throws EnvelopeError when the envelope is malformed or belongs to another scope or key. */
  open(envelope: unknown, scope: Scope, scopeId: string | null): Secret {
    return open(this.key, envelope, Aad.atRest(scope, scopeId));
  }

  toString(): string {
    return 'TokenAtRestCipher';
  }
}
