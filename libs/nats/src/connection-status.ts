import type { NatsConnection } from '@nats-io/nats-core';

/**
 * The one loop over a connection's status events: whether it is connected now (for /readyz, with
 * no round trip) and who wants to hear about reconnects. The client reconnects by itself.
 */
export class NatsConnectionStatus {
  private connectedNow = true;
  private readonly reconnectListeners = new Set<() => void>();

  constructor(private readonly nc: NatsConnection) {
    void this.follow();
  }

  get connected(): boolean {
    return this.connectedNow && !this.nc.isClosed();
  }

  /** Calls `listener` after every reconnect (not after the first connect); returns the unsubscribe. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  private async follow(): Promise<void> {
    try {
      for await (const s of this.nc.status()) {
        if (s.type === 'disconnect' || s.type === 'close') this.connectedNow = false;
        else if (s.type === 'reconnect') {
          this.connectedNow = true;
          for (const listener of this.reconnectListeners) listener();
        }
      }
    } catch {
      this.connectedNow = false;
    }
  }
}

/** The named check /readyz uses for NATS. */
export function natsReadiness(nc: NatsConnection): { name: string; check(): boolean } {
  const status = new NatsConnectionStatus(nc);
  return { name: 'nats', check: () => status.connected };
}
