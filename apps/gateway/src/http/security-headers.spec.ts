import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../console/console';
import { helmetHeaders, installSecurityHeaders } from './security-headers';

/** The response headers helmet owns: everything but what Fastify itself sets. */
function securityPart(headers: Record<string, unknown>): Record<string, unknown> {
  const own = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !own.has(name)));
}

describe('security headers computed once from helmet', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => Promise.all(apps.splice(0).map((a) => a.close())));

  /** Fastify with one route, one hook that refuses, and the 404 and error handlers. */
  async function app(install: (f: FastifyInstance) => Promise<void> | void): Promise<FastifyInstance> {
    const f = Fastify();
    apps.push(f);
    await install(f);
    f.addHook('preHandler', async (request, reply) => {
      if (request.headers['x-refuse']) await reply.code(401).send({ error: 'unauthorized' });
    });
    f.get('/ok', async () => ({ ok: true }));
    f.get('/boom', async () => {
      throw new Error('boom');
    });
    await f.ready();
    return f;
  }

  it('every response (handler, refusing hook, 404, error) carries exactly what @fastify/helmet sets per request', async () => {
    const perRequest = await app(async (f) => {
      await f.register(fastifyHelmet, SECURITY_HEADERS);
    });
    const once = await app((f) => installSecurityHeaders(f, helmetHeaders(SECURITY_HEADERS)));
    const requests = [{ url: '/ok' }, { url: '/ok', headers: { 'x-refuse': '1' } }, { url: '/nowhere' }, { url: '/boom' }];
    for (const request of requests) {
      const expected = securityPart((await perRequest.inject(request)).headers);
      expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
      const got = await once.inject(request);
      expect(securityPart(got.headers), request.url).toEqual(expected);
    }
  });

  it('requests the special matcher picks get the other set', async () => {
    const special = helmetHeaders({ ...SECURITY_HEADERS, contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"] } } });
    const f = await app((f) => installSecurityHeaders(f, helmetHeaders(SECURITY_HEADERS), { matches: (url) => url.startsWith('/nowhere'), headers: special }));
    expect((await f.inject({ url: '/nowhere' })).headers['content-security-policy']).toBe("default-src 'none'");
    expect((await f.inject({ url: '/ok' })).headers['content-security-policy']).toContain("script-src 'self'");
  });
});
