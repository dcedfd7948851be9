import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isPortFree, NoFreePortError, PortAllocator } from './ports';

// Ports below Linux's ephemeral range (32768+) so other suites' random ports do not collide.
const MIN = 24300;
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
    await occupy(MIN);
    expect(await isPortFree(MIN)).toBe(false);
    const ports = new PortAllocator(MIN, MIN + 4);
    expect(await ports.allocate()).toBe(MIN + 1);
  });

  it('leaves a free port bindable as soon as it answers', async () => {
    expect(await isPortFree(MIN + 20)).toBe(true);
    // No await between the answer and the bind: the test socket must already be closed.
    const bound = await occupy(MIN + 20).then(
      () => true,
      () => false,
    );
    expect(bound).toBe(true);
  });

  it('skips a port bound on all interfaces too', async () => {
    await occupy(MIN + 10, '0.0.0.0');
    const ports = new PortAllocator(MIN + 10, MIN + 14);
    expect(await ports.allocate()).toBe(MIN + 11);
  });

  it('never hands out a port twice until released, also concurrently', async () => {
    const ports = new PortAllocator(MIN + 20, MIN + 24);
    const got = await Promise.all([1, 2, 3, 4, 5].map(() => ports.allocate()));
    expect(new Set(got).size).toBe(5);
    expect(got.every((p) => p >= MIN + 20 && p <= MIN + 24)).toBe(true);
    await expect(ports.allocate()).rejects.toBeInstanceOf(NoFreePortError);
    ports.release(MIN + 22);
    expect(await ports.allocate()).toBe(MIN + 22);
    expect(ports.inUse()).toEqual([MIN + 20, MIN + 21, MIN + 22, MIN + 23, MIN + 24]);
  });

  it('fails with a clear error when every port of the range is busy', async () => {
    await occupy(MIN + 30);
    await occupy(MIN + 31);
    const ports = new PortAllocator(MIN + 30, MIN + 31);
    await expect(ports.allocate()).rejects.toThrow(`no free port in range ${MIN + 30}-${MIN + 31}`);
    expect(ports.inUse()).toEqual([]);
  });

  it('reuses a released port only after the rest of the range (round robin)', async () => {
    const ports = new PortAllocator(MIN + 40, MIN + 42);
    const a = await ports.allocate();
    ports.release(a);
    expect(await ports.allocate()).toBe(MIN + 41);
    expect(await ports.allocate()).toBe(MIN + 42);
    expect(await ports.allocate()).toBe(a);
  });

  it('rejects an invalid range', () => {
    expect(() => new PortAllocator(10, 5)).toThrow(RangeError);
    expect(() => new PortAllocator(0, 5)).toThrow(RangeError);
    expect(() => new PortAllocator(1, 70000)).toThrow(RangeError);
  });
});
