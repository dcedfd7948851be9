import { describe, expect, it } from 'vitest';
import { LatestPerKey } from './latest-per-key';

/** A handler whose calls finish when the test says so. */
function gatedHandler() {
  const handled: string[] = [];
  const gates: Array<() => void> = [];
  const handle = (value: string) =>
    new Promise<void>((resolve) => {
      handled.push(value);
      gates.push(resolve);
    });
  const release = async () => {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { handled, handle, release, inFlight: () => gates.length };
}

describe('LatestPerKey', () => {
  it('handles a key one value at a time and skips the values a newer one replaced', async () => {
    const h = gatedHandler();
    const q = new LatestPerKey<string, string>(h.handle, () => undefined);
    void q.push('r1', 'a1');
    void q.push('r1', 'a2');
    void q.push('r1', 'a3');
    void q.push('r1', 'a4');
    expect(h.handled).toEqual(['a1']);
    expect(q.waitingCount).toBe(1);
    await h.release();
    expect(h.handled).toEqual(['a1', 'a4']);
    await h.release();
    expect(h.handled).toEqual(['a1', 'a4']);
    expect(h.inFlight()).toBe(0);
    // Idle again: the next value is handled at once, and its promise resolves when it was.
    let done = false;
    void q.push('r1', 'a5').then(() => (done = true));
    expect(h.handled).toEqual(['a1', 'a4', 'a5']);
    await h.release();
    expect(done).toBe(true);
  });

  it('handles different keys concurrently', async () => {
    const h = gatedHandler();
    const q = new LatestPerKey<string, string>(h.handle, () => undefined);
    void q.push('r1', 'a1');
    void q.push('r2', 'b1');
    void q.push('r3', 'c1');
    expect(h.handled).toEqual(['a1', 'b1', 'c1']);
    expect(h.inFlight()).toBe(3);
  });

  it('handles a value pushed right as the previous drain ends, in order, even when the handler fails at once', async () => {
    const handled: string[] = [];
    const q = new LatestPerKey<string, string>(
      (v) => {
        handled.push(v);
        if (v.startsWith('sync-fail')) throw new Error('fails before any await');
        return Promise.resolve();
      },
      () => undefined,
    );
    await q.push('r1', 'sync-fail-1');
    await q.push('r1', 'sync-fail-2'); // a drain that ended synchronously must not block the key
    const first = q.push('r1', 'b1');
    void first.then(() => q.push('r1', 'b2'));
    await first;
    await new Promise((r) => setImmediate(r));
    expect(handled).toEqual(['sync-fail-1', 'sync-fail-2', 'b1', 'b2']);
    expect(q.waitingCount).toBe(0);
  });

  it('reports a failed value and goes on with the key', async () => {
    const errors: Array<[unknown, string]> = [];
    const handled: string[] = [];
    const q = new LatestPerKey<string, string>(
      async (v) => {
        handled.push(v);
        if (v === 'bad') throw new Error('database down');
      },
      (err, v) => errors.push([err, v]),
    );
    const first = q.push('r1', 'bad');
    const second = q.push('r1', 'good');
    expect(second).toBe(first);
    await first;
    expect(handled).toEqual(['bad', 'good']);
    expect(errors.map(([e, v]) => [(e as Error).message, v])).toEqual([['database down', 'bad']]);
  });
});
