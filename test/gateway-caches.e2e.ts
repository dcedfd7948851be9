import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStack, type Stack } from '@helix/testing';

/**
 * The gateway answers authentication and settings reads from short-lived caches (issue 11): a
 * change made through one replica is seen by that replica's next request, and by every other
 * replica within about a second (an event empties their caches; entries expire after 1 s anyway).
 */
describe('gateway read caches across replicas', () => {
  let stack: Stack;
  let a: string;
  let b: string;

  /** A request to one gateway replica. */
  async function call(base: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const cacheHits = async (base: string, cache: string): Promise<number> => {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith(`helix_gateway_read_cache_total{cache="${cache}",result="hit"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  beforeAll(async () => {
    stack = await startStack();
    await stack.restartGateway({ replicas: 2 });
    [a, b] = stack.gatewayUrls;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a key revoked through one replica is refused by it at once and by the other within about a second', async () => {
    const created = await call(a, 'POST', '/api/v1/users', stack.adminKey, { name: 'cache-bob' });
    expect(created.status).toBe(201);
    const bob = created.body as { id: string; api_key: string };
    const second = await call(a, 'POST', '/api/v1/users/me/keys', bob.api_key);
    expect(second.status).toBe(201);
    // Both replicas have seen (and cached) the key.
    for (const base of [a, b]) for (let i = 0; i < 3; i++) expect((await call(base, 'GET', '/api/v1/users/me/keys', bob.api_key)).status).toBe(200);
    expect(await cacheHits(b, 'api_key')).toBeGreaterThan(0);

    const keyId = (await call(a, 'GET', '/api/v1/users/me/keys', bob.api_key)).body.find((k: { prefix: string }) => bob.api_key.startsWith(k.prefix)).id;
    expect((await call(a, 'DELETE', `/api/v1/users/me/keys/${keyId}`, second.body.api_key)).status).toBe(200);
    expect((await call(a, 'GET', '/api/v1/users/me/keys', bob.api_key)).status).toBe(401);
    await vi.waitFor(async () => expect((await call(b, 'GET', '/api/v1/users/me/keys', bob.api_key)).status).toBe(401), { timeout: 3_000, interval: 50 });
    expect((await call(b, 'GET', '/api/v1/users/me/keys', second.body.api_key)).status).toBe(200);
  });

  it('a deleted user is refused by every replica within about a second', async () => {
    const created = await call(a, 'POST', '/api/v1/users', stack.adminKey, { name: 'cache-carol' });
    const carol = created.body as { id: string; api_key: string };
    for (const base of [a, b]) expect((await call(base, 'GET', '/api/v1/users/me/keys', carol.api_key)).status).toBe(200);
    expect((await call(b, 'DELETE', `/api/v1/users/${carol.id}`, stack.adminKey)).status).toBe(200);
    expect((await call(b, 'GET', '/api/v1/users/me/keys', carol.api_key)).status).toBe(401);
    await vi.waitFor(async () => expect((await call(a, 'GET', '/api/v1/users/me/keys', carol.api_key)).status).toBe(401), { timeout: 3_000, interval: 50 });
  });

  it('a token set through one replica is read back by it at once and by the other within about a second', async () => {
    const before = (await call(b, 'GET', '/api/v1/system/settings', stack.adminKey)).body.version as number;
    for (let i = 0; i < 3; i++) await call(b, 'GET', '/api/v1/system/settings', stack.adminKey);
    expect(await cacheHits(b, 'settings')).toBeGreaterThan(0);
    const put = await call(a, 'PUT', '/api/v1/system/settings', stack.adminKey, { huggingface_token: `hf_cacheTest${Date.now()}` });
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(before + 1);
    expect((await call(a, 'GET', '/api/v1/system/settings', stack.adminKey)).body.version).toBe(before + 1);
    await vi.waitFor(async () => expect((await call(b, 'GET', '/api/v1/system/settings', stack.adminKey)).body.version).toBe(before + 1), {
      timeout: 3_000,
      interval: 50,
    });
  });
});
