import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildVllmArgs, flagName, hasFlag } from './args';

const base = { modelId: 'Qwen/Qwen2.5-VL-7B-Instruct', host: '127.0.0.1', port: 40001 };

/** Occurrences of a long flag (any spelling) in an argv. */
const count = (args: string[], name: string) => args.filter((a) => flagName(a) === name).length;

describe('buildVllmArgs', () => {
  it('builds serve <model> --host --port, then runtime args, then --max-model-len', () => {
    expect(buildVllmArgs({ ...base, contextLength: 32768, runtimeArgs: ['--trust-remote-code'] })).toEqual([
      'serve',
      'Qwen/Qwen2.5-VL-7B-Instruct',
      '--host',
      '127.0.0.1',
      '--port',
      '40001',
      '--trust-remote-code',
      '--max-model-len',
      '32768',
    ]);
  });

  it("keeps the seed model's own --max-model-len and adds none (docs/reference/rest.md example)", () => {
    const args = buildVllmArgs({ ...base, contextLength: 32768, runtimeArgs: ['--trust-remote-code', '--max-model-len', '32768'] });
    expect(args).toEqual(['serve', base.modelId, '--host', '127.0.0.1', '--port', '40001', '--trust-remote-code', '--max-model-len', '32768']);
  });

  it.each([[['--max-model-len', '8192']], [['--max-model-len=8192']], [['--max_model_len', '8192']], [['--max_model_len=8192']]])(
    'does not add --max-model-len when runtime args set it as %j',
    (runtimeArgs) => {
      const args = buildVllmArgs({ ...base, contextLength: 32768, runtimeArgs });
      expect(count(args, 'max-model-len')).toBe(1);
      expect(args).not.toContain('32768');
      expect(args.slice(6)).toEqual(runtimeArgs);
    },
  );

  it('adds --tensor-parallel-size for more than one GPU and --gpu-memory-utilization, after the runtime args', () => {
    expect(buildVllmArgs({ ...base, contextLength: 8192, runtimeArgs: ['--x'], tensorParallelSize: 2, gpuMemoryUtilization: 0.875 })).toEqual([
      'serve',
      base.modelId,
      '--host',
      '127.0.0.1',
      '--port',
      '40001',
      '--x',
      '--max-model-len',
      '8192',
      '--tensor-parallel-size',
      '2',
      '--gpu-memory-utilization',
      '0.88',
    ]);
    const one = buildVllmArgs({ ...base, runtimeArgs: [], tensorParallelSize: 1, gpuMemoryUtilization: 0.37 });
    expect(hasFlag(one, 'tensor-parallel-size')).toBe(false);
    expect(one.slice(-2)).toEqual(['--gpu-memory-utilization', '0.37']);
  });

  it.each([
    [['--tensor-parallel-size', '4']],
    [['--tensor_parallel_size=4']],
    [['-tp', '4']],
    [['--gpu-memory-utilization', '0.5']],
    [['--gpu_memory_utilization=0.5']],
  ])("keeps the model's own %j and adds no second one", (runtimeArgs) => {
    const args = buildVllmArgs({ ...base, runtimeArgs, tensorParallelSize: 2, gpuMemoryUtilization: 0.4 });
    expect(args.filter((a) => a === '-tp').length + count(args, 'tensor-parallel-size')).toBe(1);
    expect(count(args, 'gpu-memory-utilization')).toBe(1);
    expect(args.slice(6, 6 + runtimeArgs.length)).toEqual(runtimeArgs);
  });

  it('adds no --max-model-len without a context length', () => {
    expect(hasFlag(buildVllmArgs({ ...base, runtimeArgs: [] }), 'max-model-len')).toBe(false);
    expect(hasFlag(buildVllmArgs({ ...base, contextLength: null, runtimeArgs: [] }), 'max-model-len')).toBe(false);
    expect(hasFlag(buildVllmArgs({ ...base, contextLength: 0, runtimeArgs: [] }), 'max-model-len')).toBe(false);
  });

  it("replaces runtime --host/--port/--model with the supervisor's (both spellings, with values)", () => {
    const args = buildVllmArgs({
      ...base,
      runtimeArgs: ['--host', '0.0.0.0', '--dtype', 'half', '--port=8000', '--model', 'other/model', '--enforce-eager', '--port', '9000'],
    });
    expect(args).toEqual(['serve', base.modelId, '--host', '127.0.0.1', '--port', '40001', '--dtype', 'half', '--enforce-eager']);
  });

  it('never puts an --hf-token on the command line', () => {
    for (const runtimeArgs of [['--hf-token', 'hf_secret', '--x'], ['--hf-token=hf_secret'], ['--hf_token', 'hf_secret'], ['--hf-token', '--x']]) {
      const args = buildVllmArgs({ ...base, runtimeArgs });
      expect(args.join(' ')).not.toContain('hf_secret');
      expect(hasFlag(args, 'hf-token')).toBe(false);
    }
    expect(buildVllmArgs({ ...base, runtimeArgs: ['--hf-token', '--x'] }).slice(6)).toEqual(['--x']);
  });

  it('rejects an invalid port or a missing model', () => {
    expect(() => buildVllmArgs({ ...base, port: 0, runtimeArgs: [] })).toThrow(/port/);
    expect(() => buildVllmArgs({ ...base, port: 70000, runtimeArgs: [] })).toThrow(/port/);
    expect(() => buildVllmArgs({ ...base, modelId: '', runtimeArgs: [] })).toThrow(/modelId/);
  });

  // ---- properties -------------------------------------------------------------------------------

  const plainFlag = fc.constantFrom('--trust-remote-code', '--enforce-eager', '--dtype', '--gpu-memory-utilization', '--tensor-parallel-size');
  const value = fc.constantFrom('half', '0.9', '2', 'auto', 'bfloat16');
  const owned = fc.constantFrom('--host', '--port', '--model', '--max-model-len', '--max_model_len');
  const ownedValue = fc.constantFrom('0.0.0.0', '8000', 'x/y', '4096');
  /** Runtime args: plain flags (with or without values) and owned flags in both spellings. */
  const runtimeArgs = fc
    .array(
      fc.oneof(
        plainFlag.map((f) => [f]),
        fc.tuple(plainFlag, value).map(([f, v]) => [f, v]),
        fc.tuple(owned, ownedValue).map(([f, v]) => [f, v]),
        fc.tuple(owned, ownedValue).map(([f, v]) => [`${f}=${v}`]),
      ),
      { maxLength: 8 },
    )
    .map((groups) => groups.flat());
  const ctx = fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined });

  it('property: host, port and model appear exactly once, with the supervisor values', () => {
    fc.assert(
      fc.property(runtimeArgs, ctx, fc.integer({ min: 1, max: 65535 }), (rt, contextLength, port) => {
        const args = buildVllmArgs({ ...base, port, contextLength, runtimeArgs: rt });
        expect(args.slice(0, 6)).toEqual(['serve', base.modelId, '--host', '127.0.0.1', '--port', String(port)]);
        expect(count(args, 'host')).toBe(1);
        expect(count(args, 'port')).toBe(1);
        expect(count(args, 'model')).toBe(0);
      }),
    );
  });

  it('property: --max-model-len is added iff a context length is given and the args do not set it', () => {
    fc.assert(
      fc.property(runtimeArgs, ctx, (rt, contextLength) => {
        const args = buildVllmArgs({ ...base, contextLength, runtimeArgs: rt });
        const inRuntime = rt.filter((a) => flagName(a) === 'max-model-len').length;
        const expected = inRuntime > 0 ? inRuntime : contextLength !== undefined ? 1 : 0;
        expect(count(args, 'max-model-len')).toBe(expected);
        if (inRuntime === 0 && contextLength !== undefined) expect(args.slice(-2)).toEqual(['--max-model-len', String(contextLength)]);
      }),
    );
  });

  it('property: every other runtime arg is kept, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(plainFlag, fc.option(value, { nil: undefined })), { maxLength: 8 }), (pairs) => {
        const rt = pairs.flatMap(([f, v]) => (v === undefined ? [f] : [f, v]));
        expect(buildVllmArgs({ ...base, runtimeArgs: rt }).slice(6)).toEqual(rt);
      }),
    );
  });
});
