import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NatsConnection } from '@nats-io/nats-core';
import { Patterns, RUNNERS_HEARTBEAT, RUNNERS_PAGE_MAX, GATEWAY_INBOX_PREFIX } from '@helix/contracts';
import { deadlineHeaders } from '@helix/rpc';
import { startStack, type Stack } from '@helix/testing';

/**
 * GET /api/v1/runners at fleet scale (issue 11): every NATS reply behind it is one bounded page, so
 * the route answers whatever the number of runners, and `limit` + `after` page through the fleet
 * with a Link header. The fleet is one real runner plus 450 runners that exist only through real
 * heartbeats published on their own subjects (as a runner would).
 */
describe('GET /api/v1/runners in pages', () => {
  const FAKES = 450;
  let stack: Stack;
  let nc: NatsConnection;
  const fakeIds = Array.from({ length: FAKES }, (_, i) => `fleet-${String(i).padStart(4, '0')}`);

  const heartbeat = (id: string) => ({
    runner_id: id,
    memory_total: 80 * 2 ** 30,
    memory_allocated: 0,
    settings_version: 0,
    settings_seq: 0,
    settings_applied: 0,
    hf_token_provided: false,
    gpus: [{ index: 0, memory: 80 * 2 ** 30 }],
    slots: [],
    sent_at: new Date().toISOString(),
  });

  async function get(path: string): Promise<{ status: number; body: any; link: string | null }> {
    const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.adminKey}` } });
    return { status: res.status, body: await res.json(), link: res.headers.get('link') };
  }

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'real-1' }] });
    // Requests as the gateway sends them: the services answer only on its inbox prefix.
    nc = await stack.connectNats('admin', { inboxPrefix: GATEWAY_INBOX_PREFIX });
    for (const id of fakeIds) nc.publish(`${RUNNERS_HEARTBEAT}.${id}`, JSON.stringify(heartbeat(id)));
    await nc.flush();
    await vi.waitFor(async () => expect((await get('/api/v1/runners')).body).toHaveLength(FAKES + 1), { timeout: 30_000, interval: 250 });
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: `hf_pages${Date.now()}abcdefgh` })).status).toBe(200);
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  it('without limit: every runner, in id order, across more than two internal pages', async () => {
    const { status, body, link } = await get('/api/v1/runners');
    expect(status).toBe(200);
    expect(FAKES + 1).toBeGreaterThan(2 * RUNNERS_PAGE_MAX);
    expect(body.map((r: { id: string }) => r.id)).toEqual([...fakeIds, 'real-1']);
    expect(link).toBeNull();
  });

  it('with limit: pages of that size linked by rel="next", no runner twice or missing, each with its own sync state', async () => {
    const seen: string[] = [];
    let next: string | null = '/api/v1/runners?limit=100';
    let pages = 0;
    while (next) {
      const page = await get(next);
      expect(page.status).toBe(200);
      expect(page.body.length).toBeLessThanOrEqual(100);
      seen.push(...page.body.map((r: { id: string }) => r.id));
      const real = page.body.find((r: { id: string }) => r.id === 'real-1');
      if (real)
        await vi.waitFor(async () => expect((await get(next!)).body.find((r: { id: string }) => r.id === 'real-1').in_sync).toBe(true), { timeout: 15_000 });
      for (const fake of page.body.filter((r: { id: string }) => r.id !== 'real-1')) expect(fake.in_sync).toBe(false);
      next = page.link ? /^<([^>]+)>; rel="next"$/.exec(page.link)![1] : null;
      pages++;
    }
    expect(seen).toEqual([...fakeIds, 'real-1']);
    expect(pages).toBe(5);
  });

  it('the models-service never answers more than one bounded page over NATS', async () => {
    const ask = (data: unknown) =>
      nc.request(Patterns.runnersList, JSON.stringify({ pattern: Patterns.runnersList, id: `page-${Math.random()}`, data }), {
        timeout: 5_000,
        headers: deadlineHeaders(Date.now() + 10_000),
      });
    expect((await ask({ limit: RUNNERS_PAGE_MAX + 1 })).string()).toMatch(/bad_request/);
    const page = JSON.parse((await ask({})).string());
    expect(page.response).toHaveLength(RUNNERS_PAGE_MAX);
  });

  it.each([
    ['limit=0', /limit must be an integer from 1 to 200/],
    ['limit=201', /limit must be an integer from 1 to 200/],
    ['limit=abc', /limit must be an integer/],
    ['limit=1.5', /limit must be an integer/],
    ['limit=1&limit=2', /limit must be an integer/],
    ['after=has%20space', /after must be a runner id/],
    ['after=', /after must be a runner id/],
    ['page=2', /Unknown query parameter "page"/],
  ])('?%s → 400 with one clear sentence', async (query, message) => {
    const res = await stack.api('GET', `/api/v1/runners?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
    expect(res.body.message).toMatch(message);
  });
});
