import type { Scope } from '@helix/contracts';

/**
 * Additional authenticated data for the token envelopes: binds a ciphertext to where it belongs, so
 * an envelope copied into another scope, version or message does not decrypt.
 */
export const Aad = {
  event: (scope: Scope, scopeId: string | null, version: number): string => `settings.updated|${scope}|${scopeId ?? ''}|${version}`,
  updateRequest: (scope: Scope, scopeId: string | null): string => `settings.update|${scope}|${scopeId ?? ''}`,
  atRest: (scope: Scope, scopeId: string | null): string => `hf_tokens|${scope}|${scopeId ?? ''}`,
} as const;
