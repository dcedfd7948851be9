import 'reflect-metadata';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { register } from 'prom-client';
import { EVENT_LOOP_SAMPLE_MS, HealthModule } from './index';

// prom-client reads the event-loop delay through perf_hooks (CommonJS): the same module object as here.
const perfHooks = createRequire(__filename)('perf_hooks') as typeof import('node:perf_hooks');

describe('HealthModule default metrics', () => {
  afterAll(() => {
    vi.restoreAllMocks();
    register.clear();
  });

  it('samples the event loop every 100 ms, not every 10 ms (10 wake-ups a second for it instead of 100)', async () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    HealthModule.forRoot();
    expect(monitor).toHaveBeenCalledTimes(1);
    expect(monitor.mock.calls[0]?.[0]).toEqual({ resolution: EVENT_LOOP_SAMPLE_MS });
    expect(EVENT_LOOP_SAMPLE_MS).toBe(100);
    // The lag metrics are still exported.
    expect(await register.metrics()).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
  });
});
