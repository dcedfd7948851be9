import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { probeOnlyFastify } from './index';

describe('probeOnlyFastify', () => {
  it('serves routes without schemas', async () => {
    const app = Fastify(probeOnlyFastify());
    app.get('/healthz', async () => ({ status: 'ok' }));
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    await app.close();
  });

  it('refuses to start with a route that declares a schema, instead of leaving it unchecked', async () => {
    const app = Fastify(probeOnlyFastify());
    app.post('/things', { schema: { body: { type: 'object', required: ['name'] } } }, async () => ({}));
    await expect(app.ready()).rejects.toThrow(/serves no HTTP route with a schema/);
    await app.close().catch(() => undefined);
  });
});
