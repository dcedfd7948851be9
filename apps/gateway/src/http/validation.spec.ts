import 'reflect-metadata';
import { ArgumentMetadata } from '@nestjs/common';
import { UpdateSystemSettingsDto } from '../dto';
import { describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { showableFieldName, validationPipe } from './validation';

describe('showableFieldName', () => {
  it.each(['huggingface_tokn', 'autoPull', 'context_length', 'runtime_args', 'x', 'memory2'])('shows a plain field name: %s', (name) => {
    expect(showableFieldName(name)).toBe(name);
  });

  it.each([
    ['a 5 KB key', 'k'.repeat(5 * 1024)],
    ['a token', 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345678'],
    ['a short lower-case hf_ key', 'hf_abc'],
    ['mixed-case random text', 'aBCdEFgh'],
    ['punctuation', 'a"b'],
    ['JSON', '{"huggingface_token":"x"}'],
    ['white space', 'a b'],
    ['33 characters', 'a'.repeat(33)],
  ])('hides %s', (_name, name) => {
    expect(showableFieldName(name)).toBeNull();
  });
});

describe('validationPipe', () => {
  const body: ArgumentMetadata = { type: 'body', metatype: UpdateSystemSettingsDto };
  const refusal = async (value: unknown) =>
    (await validationPipe()
      .transform(value, body)
      .catch((e: unknown) => e)) as ApiError;

  it('names a typo of a real field', async () => {
    expect((await refusal({ huggingface_tokn: 'x' })).body).toEqual({
      error: 'bad_request',
      message: 'Invalid request: huggingface_tokn is not a known field.',
      details: [{ field: 'huggingface_tokn', message: 'huggingface_tokn is not a known field' }],
    });
  });

  it('does not repeat a hostile key, and says so once however many there are', async () => {
    const keys = ['hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345678', 'k'.repeat(5000), ...Array.from({ length: 50 }, (_, i) => `${'Q'.repeat(40)}${i}`)];
    const err = await refusal(Object.fromEntries(keys.map((k) => [k, 1])));
    expect(err.body).toEqual({
      error: 'bad_request',
      message: 'Invalid request: the body has a field that is not known.',
      details: [{ field: '(unknown field)', message: 'the body has a field that is not known' }],
    });
  });
});
