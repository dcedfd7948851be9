import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Secret } from '@helix/secrets';
import { buildVllmEnv, gpuEnv, isAllowedEnvName } from './env';

const parent = {
  PATH: '/usr/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  TZ: 'UTC',
  HF_HOME: '/models/hf',
  CUDA_VISIBLE_DEVICES: '0,1',
  NVIDIA_VISIBLE_DEVICES: 'all',
  VLLM_WORKER_MULTIPROC_METHOD: 'spawn',
  VLLM_SIM_STARTUP_MS: '50',
  HTTP_PROXY: 'http://proxy:3128',
  https_proxy: 'http://proxy:3128',
  NO_PROXY: 'localhost',
  HF_TOKEN: 'hf_parent_runner_token',
  HUGGING_FACE_HUB_TOKEN: 'hf_parent_hub_token',
  HELIX_SETTINGS_KEY: 'c2VjcmV0LWtleQ==',
  DATABASE_URL: 'postgres://u:p@db/helix',
  AWS_SECRET_ACCESS_KEY: 'aws',
  LD_PRELOAD: '/tmp/evil.so',
  CUDA: 'bare-prefix-is-not-a-match',
};

describe('buildVllmEnv', () => {
  it('passes exactly the allowlist and no token when none was resolved', () => {
    expect(buildVllmEnv(parent, null)).toEqual({
      PATH: '/usr/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      HF_HOME: '/models/hf',
      CUDA_VISIBLE_DEVICES: '0,1',
      NVIDIA_VISIBLE_DEVICES: 'all',
      VLLM_WORKER_MULTIPROC_METHOD: 'spawn',
      VLLM_SIM_STARTUP_MS: '50',
      HTTP_PROXY: 'http://proxy:3128',
      https_proxy: 'http://proxy:3128',
      NO_PROXY: 'localhost',
    });
  });

  it('sets HF_TOKEN and HUGGING_FACE_HUB_TOKEN to the resolved token, not the parent one', () => {
    const env = buildVllmEnv(parent, Secret.of('hf_resolved_global'));
    expect(env.HF_TOKEN).toBe('hf_resolved_global');
    expect(env.HUGGING_FACE_HUB_TOKEN).toBe('hf_resolved_global');
    expect(JSON.stringify(env)).not.toContain('hf_parent');
  });

  it('treats an empty token as none', () => {
    const env = buildVllmEnv(parent, Secret.of(''));
    expect('HF_TOKEN' in env).toBe(false);
    expect('HUGGING_FACE_HUB_TOKEN' in env).toBe(false);
  });

  it('property: a variable passes iff allowlisted; HF tokens only from the argument', () => {
    const name = fc.oneof(
      fc.constantFrom('PATH', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_HOME', 'HOME', 'SECRET', 'no_proxy', 'ALL_PROXY'),
      fc.tuple(fc.constantFrom('CUDA_', 'NVIDIA_', 'VLLM_', 'HELIX_', 'HF_', 'AWS_', 'X'), fc.stringMatching(/^[A-Z_]{1,8}$/)).map(([p, s]) => p + s),
    );
    fc.assert(
      fc.property(fc.dictionary(name, fc.string()), fc.option(fc.stringMatching(/^hf_[a-zA-Z0-9]{1,20}$/), { nil: null }), (base, token) => {
        const env = buildVllmEnv(base, token === null ? null : Secret.of(token));
        for (const [k, v] of Object.entries(env)) {
          if (k === 'HF_TOKEN' || k === 'HUGGING_FACE_HUB_TOKEN') expect(v).toBe(token);
          else {
            expect(isAllowedEnvName(k)).toBe(true);
            expect(v).toBe(base[k]);
          }
        }
        for (const k of Object.keys(base)) if (isAllowedEnvName(k)) expect(env[k]).toBe(base[k]);
        expect('HF_TOKEN' in env).toBe(token !== null);
      }),
    );
  });
});

describe('gpuEnv', () => {
  it('names the slot GPUs in CUDA_VISIBLE_DEVICES, numbered as nvidia-smi does', () => {
    expect(gpuEnv([0, 1])).toEqual({ CUDA_VISIBLE_DEVICES: '0,1', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' });
    expect(gpuEnv([3])).toEqual({ CUDA_VISIBLE_DEVICES: '3', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' });
    expect(gpuEnv(undefined)).toEqual({});
    expect(gpuEnv([])).toEqual({});
  });
});
