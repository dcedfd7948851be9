import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors';

/** Requests are small JSON documents; a token is at most 1024 characters. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Deeper than any request DTO (the deepest, a model's `{"runtime_args":{"args":[…]}}`, is 3). */
export const MAX_BODY_DEPTH = 32;

/**
 * The API takes JSON only. Nest's form-urlencoded parser and Fastify's text/plain parser are not
 * registered (start the app with `bodyParser: false`), so any other content type is Fastify's 415,
 * and a form body can never turn into a request object. The JSON parser is Fastify's own (same
 * prototype-poisoning protection), followed by a depth check.
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    void parseJson(request, typeof body === 'string' ? body : body.toString('utf8'), (err, parsed) => {
      if (err) return done(err, undefined);
      // The validator recurses into every level: a deeper body would exhaust the stack (a 500).
      if (exceedsDepth(parsed, MAX_BODY_DEPTH)) return done(tooDeep(), undefined);
      done(null, parsed);
    });
  });
}

/** Whether a parsed JSON value nests objects/arrays deeper than `limit`; iterative, so any depth is safe to check. */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

function tooDeep(): ApiError {
  return new ApiError({ error: 'bad_request', message: `The request body is nested more than ${MAX_BODY_DEPTH} levels deep.` });
}
