import { createServer } from 'node:net';

/** Whether `port` can be bound on `host` right now (a listen test, closed immediately). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    // close() releases the socket at once (only its callback waits for the next loop turn), so the
    // answer need not wait for it: one event-loop turn less on every vLLM start.
    server.listen({ port, host, exclusive: true }, () => {
      server.close();
      resolve(true);
    });
  });
}

/** Thrown by {@link PortAllocator.allocate} when every port of the range is taken. */
export class NoFreePortError extends Error {
  constructor(min: number, max: number) {
    super(`no free port in range ${min}-${max}`);
    this.name = 'NoFreePortError';
  }
}

/**
 * Hands out ports of [min, max] (inclusive). A port is given out only after a bind test on 127.0.0.1
 * (and on `host` too when that is another address) succeeded, and not again until `release`d.
 * Allocation continues round-robin after the last port handed out, so a port released a moment ago
 * (whose old process may still linger) is the last to be reused.
 */
export class PortAllocator {
  private readonly reserved = new Set<number>();
  private next: number;
  private readonly hosts: string[];

  constructor(
    readonly min: number,
    readonly max: number,
    host = '127.0.0.1',
  ) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new RangeError(`invalid port range ${min}-${max}`);
    }
    this.next = min;
    this.hosts = [...new Set(['127.0.0.1', host])];
  }

  /** Reserves and returns a free port; rejects with NoFreePortError when none is left. */
  async allocate(): Promise<number> {
    const size = this.max - this.min + 1;
    for (let tried = 0; tried < size; tried++) {
      const port = this.next;
      this.next = port === this.max ? this.min : port + 1;
      if (this.reserved.has(port)) continue;
      // Reserve before the asynchronous check so that concurrent allocations never share a port.
      this.reserved.add(port);
      if (await this.free(port)) return port;
      this.reserved.delete(port);
    }
    throw new NoFreePortError(this.min, this.max);
  }

  release(port: number): void {
    this.reserved.delete(port);
  }

  /** Ports currently handed out. */
  inUse(): number[] {
    return [...this.reserved].sort((a, b) => a - b);
  }

  private async free(port: number): Promise<boolean> {
    for (const host of this.hosts) if (!(await isPortFree(port, host))) return false;
    return true;
  }
}
