import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ThrottledTrigger } from './throttled-trigger';

describe('ThrottledTrigger', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs at once, then collapses a burst into one run at the end of the interval', () => {
    let runs = 0;
    const trigger = new ThrottledTrigger(() => runs++, 250);
    trigger.trigger();
    expect(runs).toBe(1);
    for (let i = 0; i < 100; i++) trigger.trigger(); // a replay applying 100 tokens
    expect(runs).toBe(1);
    vi.advanceTimersByTime(249);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(1);
    expect(runs).toBe(2);
    vi.advanceTimersByTime(10_000);
    expect(runs).toBe(2);
  });

  it('runs at once again after a quiet interval, and cancel() drops a scheduled run', () => {
    let runs = 0;
    const trigger = new ThrottledTrigger(() => runs++, 250);
    trigger.trigger();
    vi.advanceTimersByTime(300);
    trigger.trigger();
    expect(runs).toBe(2);
    trigger.trigger();
    trigger.cancel();
    vi.advanceTimersByTime(1_000);
    expect(runs).toBe(2);
  });
});
