import type { FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';
import { routePattern } from './access-log';

const requests = new Histogram({
  name: 'helix_gateway_http_request_duration_seconds',
  help: 'HTTP requests served by the gateway, by route pattern and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
});

/** Per-route latency and status counts; the route pattern (not the URL) keeps label cardinality bounded. */
export function instrumentHttp(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', async (request, reply) => {
    const route = routePattern(request);
    if (route === '/metrics') return;
    requests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
