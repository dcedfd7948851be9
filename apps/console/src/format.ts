import type { Scope, SettingsView, SlotView, TokenChainView, TokenSource } from '@helix/contracts';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Bytes in decimal units, as the API's `memory` strings (docs/reference/rest.md). */
export function bytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${UNITS[i]}`;
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** How a scope is named for people: "global", "org acme", "user alice", "model x/y". */
export function scopeLabel(scope: Scope | TokenSource, scopeId?: string | null): string {
  switch (scope) {
    case 'global':
      return 'the global token';
    case 'org':
      return `the token of org ${scopeId ?? ''}`.trim();
    case 'user':
      return `the token of user ${scopeId ?? ''}`.trim();
    case 'model':
      return `the token of model ${scopeId ?? ''}`.trim();
    case 'env':
      return "the runner's own HF_TOKEN";
    case 'none':
      return 'no token';
  }
}

/** The Hub's verdict on a token (docs/reference/hub.md), or null when the API does not report one. */
export function hubStatus(view: Pick<SettingsView, 'huggingface_token_status' | 'huggingface_token_owner' | 'huggingface_token_role'>): string | null {
  const status = view.huggingface_token_status;
  if (!status) return null;
  const owner = view.huggingface_token_owner ? `, account ${view.huggingface_token_owner}` : '';
  const role = view.huggingface_token_role ? `, role ${view.huggingface_token_role}` : '';
  return `${status}${owner}${role}`;
}

/**
 * What an operator should do about a slot's error (docs/reference/rest.md): for `hf_auth`, which token to set or
 * fix: the level the process used, else the most specific level of the model's chain.
 */
export function slotAdvice(slot: SlotView, chain: TokenChainView | undefined): string | null {
  const error = slot.error;
  if (!error) return null;
  switch (error.code) {
    case 'hf_auth': {
      const used = slot.hf_token_source;
      if (used && used !== 'none') {
        const level = chain?.chain.find((l) => l.scope === used);
        return `Hugging Face refused ${scopeLabel(used, level?.scope_id ?? null)}. Fix or replace it (Tokens), or set a token at a more specific level; make sure its account was granted access to ${slot.model_id} on huggingface.co. The slot starts again by itself when the new token reaches its runner.`;
      }
      const first = chain?.chain[0];
      const where = first ? `${scopeLabel(first.scope, first.scope_id)} or the global token` : 'the global token (or a token for this model)';
      return `No Hugging Face token was available for this gated or private model. Set ${where} on the Tokens screen, with an account that was granted access to ${slot.model_id}. The slot starts again by itself when the token reaches its runner.`;
    }
    case 'oom':
      return 'The model ran out of GPU memory: lower its memory needs (runtime args) or give it a runner with more memory.';
    case 'crash':
      return 'The vLLM process keeps exiting: check the runner logs for this slot.';
    case 'start_timeout':
      return 'vLLM did not become ready in time: check the runner logs, or raise the start timeout.';
    case 'no_capacity':
      return 'No runner has room for this model: add a runner or free memory.';
  }
}
