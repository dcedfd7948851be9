/**
 * Handles values per key one at a time, keeping only the newest one that waits: for messages that
 * each carry a key's full state (a runner's heartbeat), where a backlog would only redo outdated
 * work. A value pushed while its key is being handled replaces any value already waiting for it;
 * different keys are handled concurrently. So the work in flight or waiting is at most two values
 * per key, however fast they arrive.
 */
export class LatestPerKey<K, V> {
  private readonly waiting = new Map<K, V>();
  /** Per key being handled: resolves when its last waiting value is handled. */
  private readonly draining = new Map<K, Promise<void>>();

  constructor(
    private readonly handle: (value: V) => Promise<void>,
    private readonly onError: (err: unknown, value: V) => void,
  ) {}

  /**
   * Handles `value` now, or after the key's current one (unless a newer value replaces it
   * meanwhile). Resolves once the key has nothing waiting: its value, or the newer one, was handled.
   */
  push(key: K, value: V): Promise<void> {
    const draining = this.draining.get(key);
    if (draining) {
      this.waiting.set(key, value);
      return draining;
    }
    let drained!: () => void;
    const done = new Promise<void>((resolve) => (drained = resolve));
    this.draining.set(key, done); // before drain() runs: a handler that fails at once ends it synchronously
    void this.drain(key, value).then(drained);
    return done;
  }

  /** Values waiting behind the one their key is handling (at most one per key). */
  get waitingCount(): number {
    return this.waiting.size;
  }

  private async drain(key: K, first: V): Promise<void> {
    let value: V | undefined = first;
    while (value !== undefined) {
      try {
        await this.handle(value);
      } catch (err) {
        this.onError(err, value);
      }
      value = this.waiting.get(key);
      this.waiting.delete(key);
    }
    // In the same turn as the last look at `waiting`: a value pushed from now on starts a new drain.
    this.draining.delete(key);
  }
}
