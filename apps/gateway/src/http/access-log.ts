import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type pino from 'pino';
import type { PinoLogger } from 'nestjs-pino';
import { HTTP_REQUEST_ID_HEADER, safeRequestId } from '@helix/logging';

/** Routes that Prometheus and Kubernetes poll every few seconds: not access-logged. */
const PROBE_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** The route pattern logged for a request no route matched (404, or refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Fastify's request id: the client's X-Request-Id when it is a safe short token (so a caller can
 * follow its request through the logs), otherwise a new UUID. nestjs-pino binds it as `request_id`
 * to every line logged while the request is handled, and the ServiceClient passes it on to the
 * services in the Helix-Request-Id NATS header.
 */
export function genRequestId(req: IncomingMessage): string {
  return safeRequestId(req.headers[HTTP_REQUEST_ID_HEADER]) ?? randomUUID();
}

/**
 * One `request completed` line per request, whatever answered it (a handler, a guard's 401/403,
 * the router's 404, a refused body, the canonical-path rule): method, route pattern (never the URL,
 * which holds ids and query strings), status, duration, user id once authenticated, request id.
 * Never a header value or a body. The response carries the request id in X-Request-Id.
 */
export function installAccessLog(fastify: FastifyInstance, log: pino.Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(HTTP_REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logRequest(log, request, reply);
    done();
  });
}

function logRequest(log: pino.Logger, request: FastifyRequest, reply: FastifyReply): void {
  const route = routePattern(request);
  if (PROBE_ROUTES.has(route)) return;
  const status = reply.statusCode;
  const fields = {
    request_id: request.id,
    method: request.method,
    route,
    status,
    duration_ms: Math.round(reply.elapsedTime * 10) / 10,
    user_id: (request as FastifyRequest & { user?: { id?: string } }).user?.id ?? null,
  };
  if (status >= 500) log.warn(fields, 'request completed');
  else log.info(fields, 'request completed');
}

type FrameworkErrors = NonNullable<FastifyServerOptions['frameworkErrors']>;

/**
 * The router's own refusals (a malformed escape, an over-long parameter) are answered before any
 * hook runs: they get their access line and X-Request-Id here.
 */
export function accessLoggedFrameworkErrors(handler: FrameworkErrors, log: pino.Logger): FrameworkErrors {
  return (error, request, reply) => {
    const r = reply as FastifyReply;
    void r.header(HTTP_REQUEST_ID_HEADER, request.id);
    r.raw.once('finish', () => logRequest(log, request as FastifyRequest, r));
    handler(error, request, reply);
  };
}

/**
 * Runs the rest of each request (guards, pipes, interceptors, the handler) in a logging context
 * bound to its `request_id`: every line logged for the request carries it, and the ServiceClient
 * reads it from there to pass it on. (nestjs-pino's own middleware context does not survive
 * Fastify's body parsing, so the context is opened at the last hook before the handler.)
 */
export function installRequestContext(fastify: FastifyInstance, logger: PinoLogger): void {
  fastify.addHook('preHandler', (request, _reply, done) => {
    logger.runInContext(() => done(), { bindings: { request_id: request.id } });
  });
}

export function routePattern(request: FastifyRequest): string {
  return request.routeOptions?.url ?? UNMATCHED_ROUTE;
}
