import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { ErrorBody } from '@helix/contracts';

const HEX = /^[0-9A-Fa-f]{2}$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Why a request target is not a canonical origin-form path, or null when it is. One rule for the
 * router and the guard alike: a request that could be spelled two ways is refused before either
 * sees it, so no spelling of a path can reach a handler that the plain spelling would not. Only
 * the path is checked; the query string is left to the routes.
 */
export function nonCanonicalPathReason(target: string): string | null {
  if (!target.startsWith('/')) return 'the request target must be a path starting with "/" (absolute-form targets are not accepted)';
  const end = target.search(/[?]/);
  const path = end === -1 ? target : target.slice(0, end);
  if (path.includes('\\')) return 'the path contains a backslash';
  if (path.includes('#')) return 'the path contains "#"';
  const segments = path.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === '' && i < segments.length - 1) return 'the path contains an empty segment ("//")';
    if (segment === '.' || segment === '..') return 'the path contains a "." or ".." segment';
  }
  for (let i = path.indexOf('%'); i !== -1; i = path.indexOf('%', i + 1)) {
    const hex = path.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return 'the path contains a "%" that is not followed by two hex digits';
    if (UNRESERVED.test(String.fromCharCode(parseInt(hex, 16)))) return 'the path percent-encodes a letter, digit or one of "-._~", which must be sent as is';
  }
  return null;
}

function badPath(reason: string): ErrorBody {
  return { error: 'bad_request', message: `The request path is not in canonical form: ${reason}.` };
}

/** Refuses non-canonical paths with 400 before authentication, validation or any handler runs. */
export function installRequestPathRule(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const reason = nonCanonicalPathReason(request.raw.url ?? '');
    if (reason === null) return done();
    void reply.status(400).header('content-type', 'application/json; charset=utf-8').send(badPath(reason));
  });
}

/**
 * The router's own refusals (a malformed escape such as "/a%", an over-long parameter) happen before
 * any hook or filter: answer them in the docs/reference/rest.md shape too, without repeating the path.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, _request, reply) => {
  const { code, statusCode } = error as { code?: string; statusCode?: number };
  const message =
    code === 'FST_ERR_BAD_URL' ? 'The request path is not in canonical form: it contains a malformed "%" escape.' : 'The request path could not be routed.';
  const body: ErrorBody = { error: 'bad_request', message };
  void (reply as FastifyReply)
    .status(statusCode === 414 ? 414 : 400)
    .header('content-type', 'application/json; charset=utf-8')
    .send(body);
};

/**
 * Collects Fastify's route table as routes are registered (call before they are), for the
 * start-up debug line "gateway routes" that the access tests enumerate.
 */
export function collectRoutes(fastify: FastifyInstance): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  return routes;
}

/**
 * Requests the HTTP parser refuses before Fastify sees them (a backslash or a control character in
 * the target, oversized headers, a timeout) get the docs/reference/rest.md shape too, instead of Fastify's own body.
 */
export const clientErrorHandler: NonNullable<FastifyServerOptions['clientErrorHandler']> = (err, socket) => {
  if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
  const code = (err as NodeJS.ErrnoException).code;
  const [status, reason, message] =
    code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'The request was not received in time.']
      : code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
        : [400, 'Bad Request', 'The request is not valid HTTP: its target or headers contain characters that HTTP does not allow.'];
  const body = JSON.stringify({ error: 'bad_request', message } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
};
