import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pino from 'pino';
import type { HelmetOptions } from 'helmet';
import { helmetHeaders, installSecurityHeaders } from '../http/security-headers';

/**
 * Where `npm run build` puts the web console (apps/console, built by Vite): dist/apps/console. The
 * gateway runs from its bundle, dist/apps/gateway/main.js (scripts/lib/bundle-apps.mjs), where this
 * code's `__dirname` is dist/apps/gateway; compiled but not bundled (tests) it is
 * dist/apps/gateway/src/console.
 */
export const CONSOLE_DIR =
  [resolve(__dirname, '../console'), resolve(__dirname, '../../../console')].find((dir) => existsSync(resolve(dir, 'index.html'))) ??
  resolve(__dirname, '../console');
export const CONSOLE_PREFIX = '/console/';

/**
 * apps/console/README.md: one strict policy for every response (the console, the API and the health routes):
 * scripts, styles and API calls from this origin only, no inline script or style, no eval, no
 * framing, no plugins, no <base> rewriting.
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Helmet's options for every response. */
export const SECURITY_HEADERS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  // TLS ends at the ingress, which owns Strict-Transport-Security (docs/decisions.md).
  strictTransportSecurity: false,
  crossOriginEmbedderPolicy: false,
};

/**
 * The Swagger UI page (/api/docs) ships an inline <style> block and style attributes: only its
 * pages get `style-src 'unsafe-inline'`; scripts stay 'self' only.
 */
const SWAGGER_UI_HEADERS: HelmetOptions = {
  ...SECURITY_HEADERS,
  contentSecurityPolicy: { useDefaults: false, directives: { ...CONTENT_SECURITY_POLICY, 'style-src': ["'self'", "'unsafe-inline'"] } },
};

/**
 * Security headers on every response, the web console's static files at /console/ and a redirect
 * of / to it. Call before the routes are registered (app.init) so that the route table sees them.
 * No Node server of its own: the console is static files calling the REST API like the CLI.
 */
export async function serveConsole(app: NestFastifyApplication, log: pino.Logger): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  installSecurityHeaders(fastify, helmetHeaders(SECURITY_HEADERS), {
    matches: (url) => url === '/api/docs' || url.startsWith('/api/docs/'),
    headers: helmetHeaders(SWAGGER_UI_HEADERS),
  });
  if (!existsSync(resolve(CONSOLE_DIR, 'index.html'))) log.warn({ dir: CONSOLE_DIR }, 'web console not built: /console/ answers 404 (run npm run build)');
  await app.register(fastifyStatic, {
    root: CONSOLE_DIR,
    // '/console' (no slash): the plugin serves /console/* and redirects /console to /console/.
    prefix: CONSOLE_PREFIX.slice(0, -1),
    redirect: true,
    index: 'index.html',
    suppressWarning: true,
    // Vite names assets by content hash: cache them for good; index.html is revalidated every time.
    setHeaders: (reply, path) => {
      void reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  fastify.get('/', (_request, reply) => reply.redirect(CONSOLE_PREFIX, 302));
}
