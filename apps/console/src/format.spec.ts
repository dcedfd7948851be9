import { describe, expect, it } from 'vitest';
import type { SlotView, TokenChainView } from '@helix/contracts';
import { bytes, hubStatus, slotAdvice } from './format';

const slot = (extra: Partial<SlotView>): SlotView => ({
  id: '00000000-0000-4000-8000-000000000000',
  model_id: 'gated/m',
  runner_id: 'gpu-1',
  state: 'failed',
  restarts: 0,
  endpoint: null,
  hf_token_source: 'none',
  hf_token_fingerprint: null,
  error: { code: 'hf_auth', message: 'denied' },
  gpus: [],
  created: '',
  updated: '',
  ...extra,
});
const chain: TokenChainView = {
  model_id: 'gated/m',
  effective: { scope: 'org', scope_id: 'acme', fingerprint: 'sha256:0123456789ab' },
  chain: [
    { scope: 'model', scope_id: 'gated/m', set: false },
    { scope: 'org', scope_id: 'acme', set: true, fingerprint: 'sha256:0123456789ab', version: 2 },
    { scope: 'global', scope_id: null, set: false },
  ],
};

describe('console formatting', () => {
  it('hf_auth with a refused token names the level that supplied it', () => {
    expect(slotAdvice(slot({ hf_token_source: 'org', hf_token_fingerprint: 'sha256:0123456789ab' }), chain)).toMatch(
      /^Hugging Face refused the token of org acme\. Fix or replace it/,
    );
    expect(slotAdvice(slot({ hf_token_source: 'env' }), chain)).toMatch(/^Hugging Face refused the runner's own HF_TOKEN\./);
  });

  it('hf_auth without a token says which token to set: the most specific level, or the global one', () => {
    expect(slotAdvice(slot({}), chain)).toMatch(/Set the token of model gated\/m or the global token on the Tokens screen/);
    expect(slotAdvice(slot({}), undefined)).toMatch(/Set the global token \(or a token for this model\)/);
  });

  it('no error, no advice; memory in decimal units; the Hub verdict only when the API reports one', () => {
    expect(slotAdvice(slot({ error: null, state: 'running' }), chain)).toBeNull();
    expect(bytes(39_000_000_000)).toBe('39 GB');
    expect(bytes(1_500_000)).toBe('1.5 MB');
    expect(hubStatus({ huggingface_token_status: null, huggingface_token_owner: null, huggingface_token_role: null })).toBeNull();
    expect(hubStatus({ huggingface_token_status: 'valid', huggingface_token_owner: 'alice', huggingface_token_role: 'read' })).toBe(
      'valid, account alice, role read',
    );
  });
});
