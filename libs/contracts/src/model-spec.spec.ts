import { describe, expect, it } from 'vitest';
import { modelSpecErrors, runtimeArgsCarryToken, RUNTIME_ARGS_TOKEN_MESSAGE } from './model-spec';
import type { ModelSpec } from './models';

const spec: ModelSpec = {
  id: 'Qwen/Qwen2.5-VL-7B-Instruct',
  name: 'Qwen 2.5 VL 7B',
  type: 'chat',
  runtime: 'vllm',
  memory: 39e9,
  context_length: 32768,
  description: '',
  enabled: true,
  auto_pull: true,
  prewarm: true,
  runtime_args: ['--trust-remote-code', '--max-model-len', '32768'],
  org_id: null,
  owner_id: null,
};
const TOKEN = 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';

describe('modelSpecErrors', () => {
  it('accepts a valid model', () => expect(modelSpecErrors(spec)).toEqual([]));

  it('names every bad field, once each', () => {
    const bad = {
      ...spec,
      id: 'a//b',
      name: '',
      type: 'audio',
      runtime: 'ollama',
      memory: '39GB',
      context_length: 0,
      description: 5,
      enabled: 'yes',
      runtime_args: [1],
    };
    expect(modelSpecErrors(bad).map((e) => e.field)).toEqual([
      'id',
      'name',
      'type',
      'runtime',
      'memory',
      'context_length',
      'description',
      'enabled',
      'runtime_args',
    ]);
  });

  it('checks cross-field rules once the fields are valid', () => {
    expect(modelSpecErrors({ ...spec, context_length: null })).toEqual([{ field: 'context_length', message: 'context_length is required for chat models' }]);
  });

  it('refuses anything but an object', () => expect(modelSpecErrors(null)).toEqual([{ field: 'model', message: 'model must be an object' }]));
});

describe('a Hugging Face token in runtime_args is refused, without repeating it', () => {
  it.each([
    ['--hf-token', TOKEN],
    ['--hf-token'],
    [`--hf-token=${TOKEN}`],
    ['--hf-token=anything'],
    [`--hf_token=${TOKEN}`],
    [TOKEN],
    ['--download-dir', '/models', `--api-key=${TOKEN}`],
    [`HF_TOKEN=${TOKEN}`],
  ])('%j', (...args) => {
    expect(runtimeArgsCarryToken(args)).toBe(true);
    const errors = modelSpecErrors({ ...spec, runtime_args: args });
    expect(errors).toEqual([{ field: 'runtime_args', message: RUNTIME_ARGS_TOKEN_MESSAGE }]);
    expect(JSON.stringify(errors)).not.toContain(TOKEN);
    expect(modelSpecErrors({ ...spec, runtime_args: { args } }).map((e) => e.field)).toEqual(['runtime_args']);
  });

  it.each([
    [['--trust-remote-code', '--max-model-len', '32768']],
    [['--tokenizer', 'hf_internal']], // hf_ but far too short to be a token
    [['--hf-overrides', '{"a":1}']],
    [['--served-model-name', 'shf_AbCdEfGhIjKlMnOpQrStUvWxYz']],
  ])('keeps ordinary args %j', (args) => expect(runtimeArgsCarryToken(args)).toBe(false));
});
