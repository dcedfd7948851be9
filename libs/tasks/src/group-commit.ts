/**
 * Group commit: what is added while a write is in flight is written together by the next one, so
 * a burst of N small writes costs a few statements instead of N (a rotation's acks from 100
 * runners). One write at a time. Each add() is a group of items that is never split across writes;
 * it resolves or rejects with the write that carried it.
 */
export class GroupCommit<T> {
  private pending: Array<{ items: T[]; resolve: () => void; reject: (err: Error) => void }> = [];
  private pendingItems = 0;
  private writing: Promise<void> | null = null;

  /** `maxPerWrite` caps the items of one write (a statement's size); a larger group is written alone. */
  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxPerWrite = 1_000,
  ) {}

  /** How many items wait for a write (not counting the write in flight). */
  get backlog(): number {
    return this.pendingItems;
  }

  add(items: T[]): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.pending.push({ items, resolve, reject }));
    this.pendingItems += items.length;
    this.writing ??= this.drain().finally(() => (this.writing = null));
    return done;
  }

  /** Resolves once nothing is pending or in flight. */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    // Let the adds of this turn of the event loop (a consumer's buffered messages) join the first write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      let size = 0;
      let n = 0;
      while (n < this.pending.length && (n === 0 || size + this.pending[n].items.length <= this.maxPerWrite)) size += this.pending[n++].items.length;
      const groups = this.pending.splice(0, n);
      this.pendingItems -= size;
      try {
        await this.write(groups.flatMap((g) => g.items));
        for (const g of groups) g.resolve();
      } catch (err) {
        for (const g of groups) g.reject(err as Error);
      }
    }
  }
}
