import { readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimExclusive } from './claims';

const handedOut = new Set<number>();
/**
 * Ports handed out by any process on this machine. Test files run in parallel processes: without a
 * shared claim two of them could pick the same port, one app would fail to bind, and the other's
 * answer on /readyz would pass for it.
 */
const CLAIMS = join(tmpdir(), 'helix-free-ports');

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch {
    /* not Linux */
  }
  return [32768, 60999];
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolvePromise(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolvePromise(true)));
  });
}

/**
 * A TCP port that is currently free on all IPv4 interfaces. Picked at random *below* the kernel's
 * ephemeral range, so that outgoing connections (e.g. a client reconnecting while the server is
 * stopped) can never be assigned it as their local port and steal it between stop() and start().
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const lo = 15000;
  const hi = Math.max(lo + 1000, ephemeralLow - 1);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = lo + Math.floor(Math.random() * (hi - lo));
    if (handedOut.has(port)) continue;
    if ((await canBind(port, '0.0.0.0')) && (await canBind(port, '127.0.0.1')) && claimExclusive(CLAIMS, String(port))) {
      handedOut.add(port);
      return port;
    }
  }
  // Fallback: let the kernel choose.
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePromise(addr.port) : reject(new Error('freePort: no address'))));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function tcpAccepts(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const sock = new Socket();
    const done = (ok: boolean) => {
      sock.destroy();
      resolvePromise(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.connect(port, host, () => done(true));
  });
}
