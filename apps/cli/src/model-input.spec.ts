import { describe, expect, it } from 'vitest';
import { SEED_MODEL } from '@helix/testing';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors';
import { buildModelBody, memoryValue, parseContext, readModelFile, type ModelBody } from './model-input';

/** docs/reference/rest.md, verbatim. */
const SEED: ModelBody = SEED_MODEL;

function errorOf(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

describe('buildModelBody', () => {
  it('the seed flags form gives exactly the seed JSON', () => {
    const body = buildModelBody('Qwen/Qwen2.5-VL-7B-Instruct', {
      name: 'Qwen 2.5 VL 7B',
      type: 'chat',
      runtime: 'vllm',
      memory: '39GB',
      context: 32768,
      description: '…',
      enabled: true,
      autoPull: true,
      prewarm: true,
      runtimeArgs: '["--trust-remote-code","--max-model-len","32768"]',
    });
    expect(body).toEqual(SEED);
  });

  it('a file alone is sent as it is (no --name needed)', () => {
    expect(buildModelBody(undefined, { file: 'model.json' }, { ...SEED })).toEqual(SEED);
  });

  it('flags override file values, the positional id too; unset flags keep the file values', () => {
    const body = buildModelBody(
      'Qwen/Other',
      { file: 'model.json', name: 'Renamed', memory: '40GiB', context: 8192, disabled: true, autoPull: false, runtimeArgs: '["--enforce-eager"]' },
      { ...SEED },
    );
    expect(body).toEqual({
      ...SEED,
      id: 'Qwen/Other',
      name: 'Renamed',
      memory: '40GiB',
      context_length: 8192,
      enabled: false,
      auto_pull: false,
      runtime_args: ['--enforce-eager'],
    });
  });

  it('--org and --owner become org_id and owner_id, over the file values; a file alone keeps its own', () => {
    const file = { ...SEED, org_id: 'acme', owner_id: 'u-1' };
    expect(buildModelBody(undefined, {}, { ...file })).toEqual(file);
    expect(buildModelBody(undefined, { org: 'beta', owner: 'u-2' }, { ...file })).toEqual({ ...SEED, org_id: 'beta', owner_id: 'u-2' });
    expect(buildModelBody('a/b', { name: 'x', org: 'acme' })).toEqual({ id: 'a/b', name: 'x', org_id: 'acme' });
  });

  it('--enabled overrides a disabled file; --no-prewarm overrides prewarm', () => {
    const body = buildModelBody(undefined, { enabled: true, prewarm: false }, { ...SEED, enabled: false });
    expect(body.enabled).toBe(true);
    expect(body.prewarm).toBe(false);
  });

  it('does not invent defaults: absent flags are absent from the body', () => {
    expect(buildModelBody('org/m', { name: 'M' })).toEqual({ id: 'org/m', name: 'M' });
  });

  it('without --file the id and --name are required (usage errors)', () => {
    const noId = errorOf(() => buildModelBody(undefined, { name: 'x' }));
    expect(noId.exitCode).toBe(EXIT_USAGE);
    expect(noId.message).toMatch(/missing model id/);
    const noName = errorOf(() => buildModelBody('org/m', {}));
    expect(noName.exitCode).toBe(EXIT_USAGE);
    expect(noName.message).toMatch(/--name is required/);
  });

  it('a file without an id and no positional id is an input error', () => {
    const { id: _id, ...noId } = SEED;
    const err = errorOf(() => buildModelBody(undefined, { file: 'model.json' }, noId));
    expect(err.exitCode).toBe(EXIT_FAILURE);
    expect(err.message).toMatch(/no "id"/);
  });

  it('--enabled with --disabled is refused; malformed --runtime-args is a usage error', () => {
    expect(errorOf(() => buildModelBody('a/b', { name: 'x', enabled: true, disabled: true })).exitCode).toBe(EXIT_USAGE);
    const err = errorOf(() => buildModelBody('a/b', { name: 'x', runtimeArgs: '[--trust-remote-code]' }));
    expect(err.exitCode).toBe(EXIT_USAGE);
    expect(err.message).toBe(
      '--runtime-args is not valid JSON: expected a JSON value but found a bare word at line 1, column 2 (position 1); strings need double quotes',
    );
  });
});

describe('readModelFile', () => {
  it('parses the seed file (with a BOM) and rejects non-objects and malformed JSON with a position', () => {
    const files: Record<string, string> = {
      'seed.json': `\uFEFF${JSON.stringify(SEED, null, 2)}\n`,
      'array.json': '[1,2]',
      'broken.json': '{\n  "id": "a/b",\n  "memory": 39GB\n}\n',
    };
    const read = (p: string): string => {
      if (p in files) return files[p];
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    };
    expect(readModelFile('seed.json', read)).toEqual(SEED);
    expect(errorOf(() => readModelFile('array.json', read)).message).toMatch(/must contain one JSON object/);
    expect(errorOf(() => readModelFile('broken.json', read)).message).toBe(
      '--file broken.json is not valid JSON: expected "," or a closing bracket after a value but found a bare word at line 3, column 15 (position 31); strings need double quotes',
    );
    const missing = errorOf(() => readModelFile('missing.json', read));
    expect(missing.message).toBe('cannot read --file missing.json: no such file');
    expect(missing.exitCode).toBe(EXIT_FAILURE);
  });
});

describe('flag values', () => {
  it('--context must be a positive integer', () => {
    expect(parseContext('32768')).toBe(32768);
    for (const bad of ['0', '-1', '1.5', 'abc', '', '99999999999999999999']) {
      expect(errorOf(() => parseContext(bad)).exitCode).toBe(EXIT_USAGE);
    }
  });

  it('--memory keeps units for the API and turns plain digits into bytes', () => {
    expect(memoryValue('39GB')).toBe('39GB');
    expect(memoryValue(' 40GiB ')).toBe('40GiB');
    expect(memoryValue('39000000000')).toBe(39_000_000_000);
  });
});
