import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { WILDCARD } from './http/api-docs';
import { documentHealthRoutes } from './http/health-docs';

/** The name of the API-key security scheme (`@ApiBearerAuth()` refers to it by this default name). */
const API_KEY_SCHEME = 'bearer';

const DESCRIPTION = [
  'Admin-managed Hugging Face tokens, models, runners, users, orgs and API keys of the Helix token plane.',
  '',
  'Every `/api/v1` route needs an API key (`Authorization: Bearer hl-…`); the probes and `/metrics` need none.',
  'Tokens are write-only: responses show fingerprints (`sha256:` and 12 hex digits), never a token.',
  'Every error is `{"error", "message"[, "details"]}` (the ErrorBodyDto schema). Any route also answers 400 to a',
  'request target that is not in canonical form (`//`, `.` segments, percent-encoded letters or digits) and 404',
  '`not_found` to a path no route matches.',
  '',
  'Model ids contain "/": in a path they are sent percent-encoded (`/api/v1/models/Qwen%2FQwen2.5-VL-7B-Instruct`),',
  'or plain (`/api/v1/models/Qwen/Qwen2.5-VL-7B-Instruct`).',
].join('\n');

function config(): Omit<OpenAPIObject, 'paths'> {
  return (
    new DocumentBuilder()
      .setTitle('Helix token plane')
      .setDescription(DESCRIPTION)
      .setVersion('1')
      .addServer('/', 'The gateway that serves this document')
      .addServer('http://localhost:8080', 'A gateway on its default port (HELIX_HTTP_PORT), e.g. started by npm start')
      // Not addBearerAuth(): it adds `bearerFormat: JWT`, and a Helix API key is not a JWT.
      .addSecurity(API_KEY_SCHEME, {
        type: 'http',
        scheme: 'bearer',
        description:
          'An opaque Helix API key (`hl-` and random characters, not a JWT): the one in HELIX_ADMIN_API_KEY, the one returned ' +
          'once by POST /api/v1/users, or one from POST /api/v1/users/{user_id}/keys. Sent as `Authorization: Bearer <api key>`.',
      })
      .addSecurityRequirements(API_KEY_SCHEME)
      .addTag('health', 'Probes and metrics, without an API key.')
      .addTag('system', 'The global Hugging Face token (admin).')
      .addTag('scoped settings', 'The Hugging Face token of an org, a user or a model, and how a model resolves its token.')
      .addTag('models', 'Models and their slots (admins write, every user reads).')
      .addTag('runners', 'GPU runners with memory, slots and settings sync state (admin).')
      .addTag('users', 'Users and their API keys.')
      .addTag('orgs', 'Organizations and their members.')
      .addTag('audit', 'The audit log (admin).')
      .addTag('version', 'The server release (any user).')
      .build()
  );
}

/** The gateway's OpenAPI document, as /api/docs-json serves it and docs/reference/openapi.json holds it. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  documentHealthRoutes();
  return finish(SwaggerModule.createDocument(app, config()));
}

/** OpenAPI JSON at /api/docs-json and the Swagger UI at /api/docs. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, () => createOpenApiDocument(app));
}

/**
 * What the decorators cannot say: the model routes are registered as `models/*` (ids contain "/"),
 * which @nestjs/swagger shows as `{path}`; the document calls it `{id}` like `models/{id}/settings`.
 * Paths and schemas are sorted so that the committed document does not change with registration order.
 */
function finish(document: OpenAPIObject): OpenAPIObject {
  const paths: OpenAPIObject['paths'] = {};
  for (const [path, item] of Object.entries(document.paths)) {
    const wildcard = `{${WILDCARD}}`;
    if (!path.endsWith(`/models/${wildcard}`)) {
      paths[path] = item;
      continue;
    }
    for (const operation of Object.values(item)) {
      for (const parameter of (operation as { parameters?: Array<{ name?: string; in?: string }> }).parameters ?? []) {
        if (parameter.in === 'path' && parameter.name === WILDCARD) parameter.name = 'id';
      }
    }
    paths[path.replace(wildcard, '{id}')] = item;
  }
  document.paths = sortKeys(paths);
  if (document.components?.schemas) document.components.schemas = sortKeys(document.components.schemas);
  return document;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
