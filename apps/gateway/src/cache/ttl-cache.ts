/**
 * A small map whose entries expire `ttlMs` after they were stored and which holds at most
 * `maxEntries` (the oldest stored goes first). `clear()` empties it at once. Used by the gateway's
 * read caches, whose bound on staleness is the TTL.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  /** Loads in flight by key, with the generation they started in. */
  private readonly loading = new Map<string, { generation: number; promise: Promise<V | null> }>();
  /** Bumped by every delete and clear: a load that started before one must not store what it read. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key); // a refreshed key moves to the end: the oldest stored is evicted first
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /**
   * The cached value, or `loader`'s answer, stored unless it is null. Concurrent misses of a key
   * share one load (when an entry expires under load, one database or NATS round trip refills it,
   * not one per waiting request); a load that started before a delete or clear neither stores its
   * answer nor serves callers that arrive after it.
   */
  getOrLoad(key: string, loader: () => Promise<V | null>): Promise<V | null> {
    const cached = this.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const inFlight = this.loading.get(key);
    if (inFlight && inFlight.generation === this.generation) return inFlight.promise;
    const generation = this.generation;
    const promise = loader()
      .then((value) => {
        if (value !== null && generation === this.generation) this.set(key, value);
        return value;
      })
      .finally(() => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
      });
    this.loading.set(key, { generation, promise });
    return promise;
  }

  delete(key: string): void {
    this.generation++;
    this.entries.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
