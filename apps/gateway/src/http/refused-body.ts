import type { FastifyInstance } from 'fastify';

/** How long a client may go on sending a body that was already refused before its connection is cut. */
export const DRAIN_LIMIT_MS = 5_000;

/**
 * When Fastify refuses a body it has not read to the end (too large, wrong content type), it asks
 * for "Connection: close". Closing a socket that still has unread data makes the kernel send a
 * reset, and a client that is still writing then sees ECONNRESET/EPIPE instead of our 413 or 415.
 * So the connection is kept while the rest of the body is read and thrown away (Node does that for
 * a request the handler did not consume), and cut only if the client goes on for too long.
 */
export function letRefusedBodiesDrain(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400 && !request.raw.complete) reply.removeHeader('connection');
    return payload;
  });
  fastify.addHook('onResponse', async (request) => {
    if (request.raw.complete) return;
    const socket = request.raw.socket;
    const timer = setTimeout(() => {
      if (!request.raw.complete) socket.destroy();
    }, DRAIN_LIMIT_MS).unref();
    socket.once('close', () => clearTimeout(timer));
    request.raw.once('end', () => clearTimeout(timer));
  });
}
