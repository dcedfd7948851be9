import { Counter } from 'prom-client';

/** On the runner's /metrics: vLLM processes restarted after a failure (crash, oom, start timeout). */
export const vllmRestarts = new Counter({
  name: 'helix_runner_vllm_restarts_total',
  help: 'vLLM processes restarted after a failure, by model and the failure code (crash, oom, start_timeout)',
  labelNames: ['model', 'code'] as const,
});

/** On the runner's /metrics: vLLM starts that Hugging Face refused (gated or private model, bad token). */
export const hfAuthFailures = new Counter({
  name: 'helix_runner_hf_auth_failures_total',
  help: 'vLLM starts refused by Hugging Face (hf_auth: gated or private repository, missing or refused token), by model',
  labelNames: ['model'] as const,
});
