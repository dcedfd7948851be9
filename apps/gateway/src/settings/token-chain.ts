import type { ModelView, SettingsView, TokenChainLevel, TokenChainView } from '@helix/contracts';
import type { ScopeTarget } from './settings.client';

/**
 * The levels that apply to a model, highest first (docs/reference/rest.md): its own token, its owner's user
 * token (only with `owner_id`), its org's token (only with `org_id`), the global token. The runner
 * resolves the same chain at start time, then falls back to its own HF_TOKEN.
 */
export function chainOf(model: Pick<ModelView, 'id' | 'owner_id' | 'org_id'>): ScopeTarget[] {
  const chain: ScopeTarget[] = [{ scope: 'model', scopeId: model.id }];
  if (model.owner_id) chain.push({ scope: 'user', scopeId: model.owner_id });
  if (model.org_id) chain.push({ scope: 'org', scopeId: model.org_id });
  chain.push({ scope: 'global', scopeId: null });
  return chain;
}

/** The explanation of docs/reference/rest.md: every level with whether it is set, and the first set one as `effective`. */
export async function tokenChain(
  model: Pick<ModelView, 'id' | 'owner_id' | 'org_id'>,
  read: (targets: ScopeTarget[]) => Promise<SettingsView[]>,
): Promise<TokenChainView> {
  const views = await read(chainOf(model));
  const chain: TokenChainLevel[] = views.map((v) =>
    v.huggingface_token_set && v.huggingface_token_fingerprint
      ? { scope: v.scope, scope_id: v.scope_id, set: true, fingerprint: v.huggingface_token_fingerprint, version: v.version }
      : { scope: v.scope, scope_id: v.scope_id, set: false },
  );
  const first = chain.find((level) => level.set);
  return {
    model_id: model.id,
    effective: first ? { scope: first.scope, scope_id: first.scope_id, fingerprint: first.fingerprint! } : null,
    chain,
  };
}
