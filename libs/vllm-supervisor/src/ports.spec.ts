import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClaimedPorts } from '@helix/testing';
import { isPortFree, NoFreePortError, PortAllocator } from './ports';

// Each test binds ports of its own run, claimed so that no other test process takes them meanwhile.
const claimed = new ClaimedPorts();
const servers: Server[] = [];

function occupy(port: number, host = '127.0.0.1'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, host, () => {
      servers.push(s);
      resolve(s);
    });
  });
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('PortAllocator', () => {
  it('skips a port that is already in use', async () => {
    const [min] = claimed.take(5);
    await occupy(min);
    expect(await isPortFree(min)).toBe(false);
    const ports = new PortAllocator(min, min + 4);
    expect(await ports.allocate()).toBe(min + 1);
  });

  it('leaves a free port bindable as soon as it answers', async () => {
    const [min] = claimed.take(5);
    expect(await isPortFree(min)).toBe(true);
    // No await between the answer and the bind: the test socket must already be closed.
    const bound = await occupy(min).then(
      () => true,
      () => false,
    );
    expect(bound).toBe(true);
  });

  it('skips a port bound on all interfaces too', async () => {
    const [min] = claimed.take(5);
    await occupy(min, '0.0.0.0');
    const ports = new PortAllocator(min, min + 4);
    expect(await ports.allocate()).toBe(min + 1);
  });

  it('never hands out a port twice until released, also concurrently', async () => {
    const [min] = claimed.take(5);
    const ports = new PortAllocator(min, min + 4);
    const got = await Promise.all([1, 2, 3, 4, 5].map(() => ports.allocate()));
    expect(new Set(got).size).toBe(5);
    expect(got.every((p) => p >= min && p <= min + 4)).toBe(true);
    await expect(ports.allocate()).rejects.toBeInstanceOf(NoFreePortError);
    ports.release(min + 2);
    expect(await ports.allocate()).toBe(min + 2);
    expect(ports.inUse()).toEqual([min, min + 1, min + 2, min + 3, min + 4]);
  });

  it('fails with a clear error when every port of the range is busy', async () => {
    const [min] = claimed.take(5);
    await occupy(min);
    await occupy(min + 1);
    const ports = new PortAllocator(min, min + 1);
    await expect(ports.allocate()).rejects.toThrow(`no free port in range ${min}-${min + 1}`);
    expect(ports.inUse()).toEqual([]);
  });

  it('reuses a released port only after the rest of the range (round robin)', async () => {
    const [min] = claimed.take(5);
    const ports = new PortAllocator(min, min + 2);
    const a = await ports.allocate();
    ports.release(a);
    expect(await ports.allocate()).toBe(min + 1);
    expect(await ports.allocate()).toBe(min + 2);
    expect(await ports.allocate()).toBe(a);
  });

  it('rejects an invalid range', () => {
    expect(() => new PortAllocator(10, 5)).toThrow(RangeError);
    expect(() => new PortAllocator(0, 5)).toThrow(RangeError);
    expect(() => new PortAllocator(1, 70000)).toThrow(RangeError);
  });
});
