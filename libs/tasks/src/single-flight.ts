/**
 * Runs a background pass one at a time. A kick during a pass schedules exactly one more pass after
 * it, so bursts of triggers (commits, timers, reconnects) collapse instead of piling up.
 */
export class SingleFlight {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Runs a pass now, or right after the current one. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = null));
  }

  /** Also kicks every `ms` (the timer does not keep the process alive). */
  every(ms: number): this {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.kick(), ms);
    this.timer.unref();
    return this;
  }

  /** Resolves when no pass is running or scheduled. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No new passes; waits for the current one to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (err) {
        this.onError(err as Error);
      }
    } while (this.again && !this.stopped);
  }
}
