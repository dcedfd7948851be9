import { describe, expect, it } from 'vitest';
import { ConfigError } from '@helix/config';
import { defaultAdvertiseHost, isLoopbackHost, parseGpuSpec, parseNvidiaSmi, resolveRunnerSettings, type RunnerConfig } from './config';

const GB = 1e9;
const config = (over: Partial<RunnerConfig>): RunnerConfig =>
  ({
    HELIX_RUNNER_ID: 'gpu-1',
    HELIX_RUNNER_HTTP_PORT: 8090,
    HELIX_VLLM_BIN: 'vllm',
    HELIX_VLLM_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...over,
  }) as RunnerConfig;

describe('runner GPUs', () => {
  it('HELIX_RUNNER_GPUS lists the GPUs by CUDA index', () => {
    expect(parseGpuSpec('0:40GB,1:40GB')).toEqual([
      { index: 0, memory: 40 * GB },
      { index: 1, memory: 40 * GB },
    ]);
    expect(parseGpuSpec(' 2 : 24GiB ')).toEqual([{ index: 2, memory: 24 * 1024 ** 3 }]);
    expect(() => parseGpuSpec('0:40GB,0:40GB')).toThrow(/GPU 0 is listed twice/);
    expect(() => parseGpuSpec('0:lots')).toThrow(ConfigError);
    expect(() => parseGpuSpec('9999:1GB')).toThrow(/index/);
  });

  it('HELIX_RUNNER_GPUS wins over HELIX_RUNNER_MEMORY, which stays one GPU of that size', () => {
    const both = resolveRunnerSettings(config({ HELIX_RUNNER_GPUS: '0:40GB,1:40GB', HELIX_RUNNER_MEMORY: '80GB' }));
    expect(both.gpus).toHaveLength(2);
    expect(both.memoryTotal).toBe(80 * GB);
    const memory = resolveRunnerSettings(config({ HELIX_RUNNER_MEMORY: '24GB' }));
    expect(memory.gpus).toEqual([{ index: 0, memory: 24 * GB }]);
  });

  it('reads nvidia-smi --query-gpu=index,memory.total (MiB)', () => {
    expect(parseNvidiaSmi('0, 81559\n1, 81559\n\n')).toEqual([
      { index: 0, memory: 81559 * 1024 * 1024 },
      { index: 1, memory: 81559 * 1024 * 1024 },
    ]);
    expect(parseNvidiaSmi('No devices were found\n')).toEqual([]);
  });
});

describe('vLLM host and advertised endpoint', () => {
  it('advertises the bound address, or for a wildcard bind the first non-internal IPv4 address', () => {
    const interfaces = {
      lo: [{ family: 'IPv4', internal: true, address: '127.0.0.1' }],
      eth0: [
        { family: 'IPv6', internal: false, address: 'fe80::1' },
        { family: 'IPv4', internal: false, address: '10.1.2.3' },
      ],
    } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;
    expect(defaultAdvertiseHost('10.0.0.5', interfaces)).toBe('10.0.0.5');
    expect(defaultAdvertiseHost('0.0.0.0', interfaces)).toBe('10.1.2.3');
    expect(defaultAdvertiseHost('::', interfaces)).toBe('10.1.2.3');
    const settings = resolveRunnerSettings(config({ HELIX_RUNNER_MEMORY: '1GB', HELIX_VLLM_HOST: '10.0.0.5' }));
    expect([settings.vllmHost, settings.advertiseHost]).toEqual(['10.0.0.5', '10.0.0.5']);
    expect(resolveRunnerSettings(config({ HELIX_RUNNER_MEMORY: '1GB', HELIX_RUNNER_ADVERTISE_HOST: 'gpu-1.local' })).advertiseHost).toBe('gpu-1.local');
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopbackHost)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '10.0.0.5', 'gpu-1'].map(isLoopbackHost)).toEqual([false, false, false]);
  });
});
