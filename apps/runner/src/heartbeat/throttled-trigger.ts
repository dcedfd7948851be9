/**
 * Runs `action` at most once per `intervalMs`: the first trigger runs it at once, triggers inside
 * the interval collapse into one more run at its end. A replay that applies many tokens in a
 * burst thus causes two extra heartbeats, not one per token.
 */
export class ThrottledTrigger {
  private lastRun = -Infinity;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly action: () => void,
    private readonly intervalMs: number,
  ) {}

  trigger(): void {
    if (this.timer) return; // a run is already scheduled at the end of the interval
    const wait = this.lastRun + this.intervalMs - Date.now();
    if (wait <= 0) return this.run();
    this.timer = setTimeout(() => this.run(), wait);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    this.timer = undefined;
    this.lastRun = Date.now();
    this.action();
  }
}
