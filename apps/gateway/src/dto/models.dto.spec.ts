import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { CreateModelDto, modelSpecFromCreate, UpdateModelDto } from './models.dto';
import { crossFieldErrors, isModelId, normalizeRuntimeArgs, parseMemory } from '@helix/contracts';

const SEED = {
  id: 'Qwen/Qwen2.5-VL-7B-Instruct',
  name: 'Qwen 2.5 VL 7B',
  type: 'chat',
  runtime: 'vllm',
  memory: '39GB',
  context_length: 32768,
  description: '…',
  enabled: true,
  auto_pull: true,
  prewarm: true,
  runtime_args: ['--trust-remote-code', '--max-model-len', '32768'],
};
const errors = (cls: any, body: object) =>
  validateSync(plainToInstance(cls, body) as object, { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) => Object.values(e.constraints ?? {}));

describe('CreateModelDto', () => {
  it('accepts the seed JSON verbatim and normalizes it', () => {
    expect(errors(CreateModelDto, SEED)).toEqual([]);
    expect(modelSpecFromCreate(plainToInstance(CreateModelDto, SEED))).toMatchObject({ memory: 39_000_000_000, runtime_args: SEED.runtime_args });
  });

  it('gives exactly one message per bad field, naming it and never echoing the value', () => {
    const secretish = 'hf_should_not_echo';
    const msgs = errors(CreateModelDto, { ...SEED, memory: secretish, type: secretish, runtime: secretish, name: '' });
    expect(msgs).toHaveLength(4);
    for (const m of msgs) expect(m).not.toContain(secretish);
    expect(msgs.join(' ')).toMatch(/memory must be/);
  });

  it('says required for missing fields and "not supported yet" for known runtimes', () => {
    expect(errors(CreateModelDto, { id: 'a/b' })).toEqual(['name is required', 'type is required', 'runtime is required', 'memory is required']);
    expect(errors(CreateModelDto, { ...SEED, runtime: 'ollama' })).toEqual([expect.stringMatching(/runtime is not supported yet/)]);
  });

  it('requires context_length for chat models only', () => {
    expect(crossFieldErrors({ type: 'chat', context_length: null })).toHaveLength(1);
    expect(crossFieldErrors({ type: 'embed', context_length: null })).toEqual([]);
  });
});

describe('a Hugging Face token in runtime_args (the shared model rules)', () => {
  const token = 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
  it.each([[['--hf-token', token]], [[`--hf-token=${token}`]], [{ args: [token] }]])(
    'is refused on create and update without echoing it: %j',
    (runtime_args) => {
      for (const cls of [CreateModelDto, UpdateModelDto]) {
        const msgs = errors(cls, { ...SEED, runtime_args });
        expect(msgs).toEqual([expect.stringMatching(/runtime_args must not carry a Hugging Face token.*PUT \/api\/v1\/system\/settings/)]);
        expect(msgs.join(' ')).not.toContain(token);
      }
    },
  );
});

describe('UpdateModelDto', () => {
  it('accepts any subset but rejects null for booleans', () => {
    expect(errors(UpdateModelDto, { description: 'x' })).toEqual([]);
    expect(errors(UpdateModelDto, { enabled: null })).toEqual(['enabled must be true or false']);
  });
});

describe('memory units (docs/reference/rest.md)', () => {
  it.each([
    ['39GB', 39_000_000_000],
    ['39GiB', 41_875_931_136],
    ['1KB', 1000],
    ['1KiB', 1024],
    ['2TB', 2e12],
    ['1TiB', 1024 ** 4],
    ['10MB', 1e7],
    [1234, 1234],
  ])('%j = %d bytes', (input, bytes) => expect(parseMemory(input)).toBe(bytes));
  it.each([['garbage'], ['GB'], ['1XB'], ['-1GB'], [0], [-5], [1.5], [''], [null], [{}], [Number.MAX_SAFE_INTEGER + 2]])('%j is invalid', (input) =>
    expect(parseMemory(input)).toBeNull(),
  );
});

describe('ids and runtime_args', () => {
  it.each([
    ['Qwen/Qwen2.5-VL-7B-Instruct', true],
    ['a', true],
    ['org/sub/model', true],
    ['a//b', false],
    ['/a', false],
    ['a/', false],
    ['a/../b', false],
    ['a b', false],
    ['', false],
  ])('isModelId(%j) = %s', (id, ok) => expect(isModelId(id)).toBe(ok));
  it('normalizes both forms and rejects others', () => {
    expect(normalizeRuntimeArgs(['--x'])).toEqual(['--x']);
    expect(normalizeRuntimeArgs({ args: ['--x'] })).toEqual(['--x']);
    expect(normalizeRuntimeArgs({ args: ['--x'], extra: 1 })).toBeNull();
    expect(normalizeRuntimeArgs([1])).toBeNull();
    expect(normalizeRuntimeArgs('--x')).toBeNull();
  });
});
