import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoSecrets, repoRoot, startStack, type Stack } from '@helix/testing';
import type { paths } from './generated/openapi';

// Every route of the API document called through openapi-fetch, typed by the openapi-typescript
// types generated from the committed document (test/generated/openapi.d.ts, `npm run openapi`): a
// route or field the document lacks does not compile. Each answer's status must be one the
// document declares for that operation, and every operation of the document is called.

const document = JSON.parse(readFileSync(join(repoRoot(), 'docs/reference/openapi.json'), 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const DOCUMENTED = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
  Object.keys(item)
    .filter((m) => METHODS.includes(m))
    .map((m) => `${m.toUpperCase()} ${path}`),
);

const MODEL_ID = 'Qwen/Qwen2.5-VL-7B-Instruct';
const ORG = 'acme';
const TOKENS = [
  `hf_openapiGlobal${randomBytes(8).toString('hex')}`,
  `hf_openapiOrg${randomBytes(8).toString('hex')}`,
  `hf_openapiModel${randomBytes(8).toString('hex')}`,
];
const [GLOBAL_TOKEN, ORG_TOKEN, MODEL_TOKEN] = TOKENS;

/** "METHOD /document/path" → the statuses the gateway answered. */
const observed = new Map<string, Set<number>>();
/** Every body the gateway answered, for the secret scan. */
const bodies: Array<{ label: string; text: string }> = [];
const record: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    const key = `${request.method} ${schemaPath}`;
    observed.set(key, (observed.get(key) ?? new Set()).add(response.status));
    bodies.push({ label: `${key} → ${response.status}`, text: await response.clone().text() });
  },
};

describe('the API document, called route by route with its typed client (openapi-fetch)', () => {
  let stack: Stack;
  let admin: Client<paths>;
  let anonymous: Client<paths>;
  let alice: Client<paths>;
  let aliceId: string;
  const client = (key: string | null): Client<paths> => {
    const c = createClient<paths>({ baseUrl: stack.url, headers: key ? { authorization: `Bearer ${key}` } : {} });
    c.use(record);
    return c;
  };

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'gpu-1', memory: '80GB' }] });
    admin = client(stack.adminKey);
    anonymous = client(null);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('probes and metrics answer without a key', async () => {
    expect((await anonymous.GET('/healthz')).data?.status).toBe('ok');
    const ready = await anonymous.GET('/readyz');
    expect(ready.response.status).toBe(200);
    expect(ready.data?.status).toBe('ready');
    const metrics = await anonymous.GET('/metrics', { parseAs: 'text' });
    expect(metrics.response.status).toBe(200);
    expect(metrics.data).toContain('helix_gateway_http_request_duration_seconds');
  });

  it('users: create, list, me, delete; 401 without a key, 403 for a non-admin, 409 for a taken name', async () => {
    const created = await admin.POST('/api/v1/users', { body: { name: 'alice' } });
    expect(created.response.status).toBe(201);
    expect(created.data?.api_key).toMatch(/^hl-/);
    aliceId = created.data!.id;
    alice = client(created.data!.api_key);
    expect((await admin.POST('/api/v1/users', { body: { name: 'alice' } })).error?.error).toBe('conflict');
    expect((await admin.GET('/api/v1/users')).data?.map((u) => u.name)).toContain('alice');
    expect((await anonymous.GET('/api/v1/users')).error?.error).toBe('unauthorized');
    expect((await alice.GET('/api/v1/users')).error?.error).toBe('forbidden');
    expect((await alice.GET('/api/v1/users/me')).data).toMatchObject({ id: aliceId, name: 'alice', admin: false });
    const bob = (await admin.POST('/api/v1/users', { body: { name: 'bob', admin: false } })).data!;
    const deleted = await admin.DELETE('/api/v1/users/{user_id}', { params: { path: { user_id: bob.id } } });
    expect(deleted.data?.name).toBe('bob');
    expect((await admin.DELETE('/api/v1/users/{user_id}', { params: { path: { user_id: bob.id } } })).error?.error).toBe('not_found');
    expect((await admin.DELETE('/api/v1/users/{user_id}', { params: { path: { user_id: 'not-a-uuid' } } })).error?.error).toBe('bad_request');
  });

  it("API keys: the caller's own and a user's, listed, created and revoked", async () => {
    expect((await alice.GET('/api/v1/users/me/keys')).data).toHaveLength(1);
    const mine = await alice.POST('/api/v1/users/me/keys');
    expect(mine.response.status).toBe(201);
    expect(mine.data?.api_key).toMatch(/^hl-/);
    const revoked = await alice.DELETE('/api/v1/users/me/keys/{key_id}', { params: { path: { key_id: mine.data!.id } } });
    expect(revoked.data?.revoked).not.toBeNull();
    const path = { user_id: aliceId };
    const theirs = await admin.POST('/api/v1/users/{user_id}/keys', { params: { path }, body: {} });
    expect(theirs.data?.prefix).toMatch(/^hl-/);
    expect((await admin.GET('/api/v1/users/{user_id}/keys', { params: { path } })).data).toHaveLength(3);
    const gone = await admin.DELETE('/api/v1/users/{user_id}/keys/{key_id}', { params: { path: { ...path, key_id: theirs.data!.id } } });
    expect(gone.data?.id).toBe(theirs.data!.id);
    expect((await alice.GET('/api/v1/users/{user_id}/keys', { params: { path } })).data?.filter((k) => k.revoked === null)).toHaveLength(1);
  });

  it('orgs and members', async () => {
    expect((await admin.POST('/api/v1/orgs', { body: { id: ORG, name: 'Acme' } })).data?.id).toBe(ORG);
    expect((await admin.POST('/api/v1/orgs', { body: { id: ORG } })).error?.error).toBe('conflict');
    expect((await admin.POST('/api/v1/orgs', { body: { id: 'Not An Id' } })).error?.details?.[0].field).toBe('id');
    const member = await admin.PUT('/api/v1/orgs/{org}/members/{user_id}', { params: { path: { org: ORG, user_id: aliceId } }, body: { role: 'owner' } });
    expect(member.data?.role).toBe('owner');
    expect((await alice.GET('/api/v1/orgs')).data?.map((o) => o.id)).toEqual([ORG]);
    expect((await alice.GET('/api/v1/orgs/{org}', { params: { path: { org: ORG } } })).data?.name).toBe('Acme');
    expect((await admin.GET('/api/v1/orgs/{org}', { params: { path: { org: 'nope' } } })).error?.error).toBe('not_found');
    expect((await alice.GET('/api/v1/orgs/{org}/members', { params: { path: { org: ORG } } })).data?.[0].user_id).toBe(aliceId);
  });

  it('the global, org and user tokens: set, read back as fingerprints, never the token', async () => {
    const global = await admin.PUT('/api/v1/system/settings', { body: { huggingface_token: GLOBAL_TOKEN } });
    expect(global.data?.huggingface_token_fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect((await admin.GET('/api/v1/system/settings')).data?.huggingface_token_set).toBe(true);
    expect((await alice.GET('/api/v1/system/settings')).error?.error).toBe('forbidden');
    const org = { params: { path: { org: ORG } } };
    expect((await alice.PUT('/api/v1/orgs/{org}/settings', { ...org, body: { huggingface_token: ORG_TOKEN } })).data?.scope).toBe('org');
    expect((await alice.GET('/api/v1/orgs/{org}/settings', org)).data?.huggingface_token_set).toBe(true);
    expect((await alice.PUT('/api/v1/users/me/settings', { body: { huggingface_token: null } })).data?.id).toBe(`user:${aliceId}`);
    expect((await alice.GET('/api/v1/users/me/settings')).data?.huggingface_token_set).toBe(false);
    const user = { params: { path: { user_id: aliceId } } };
    expect((await admin.PUT('/api/v1/users/{user_id}/settings', { ...user, body: {} })).data?.scope_id).toBe(aliceId);
    expect(typeof (await admin.GET('/api/v1/users/{user_id}/settings', user)).data?.version).toBe('number');
    expect((await admin.PUT('/api/v1/system/settings', { body: { huggingface_token: 'has white space' } })).error?.error).toBe('bad_request');
  });

  it('models: the id travels percent-encoded as {id}; its settings, token chain and Hub access', async () => {
    const created = await admin.POST('/api/v1/models', {
      body: {
        id: MODEL_ID,
        name: 'Qwen',
        type: 'chat',
        runtime: 'vllm',
        memory: '16GB',
        context_length: 32768,
        enabled: false,
        org_id: ORG,
        owner_id: aliceId,
      },
    });
    expect(created.response.status).toBe(201);
    expect(created.data?.memory).toBe(16_000_000_000);
    const invalid = await admin.POST('/api/v1/models', { body: { id: 'x/y', name: 'x', type: 'chat', runtime: 'vllm', memory: '1GB' } });
    expect(invalid.error?.details?.map((d) => d.field)).toEqual(['context_length']);
    expect((await alice.GET('/api/v1/models')).data?.map((m) => m.id)).toEqual([MODEL_ID]);
    const id = { params: { path: { id: MODEL_ID } } };
    expect((await alice.GET('/api/v1/models/{id}', id)).data?.id).toBe(MODEL_ID);
    expect((await alice.GET('/api/v1/models/{id}', { params: { path: { id: 'no/such-model' } } })).error?.error).toBe('not_found');
    expect((await admin.PUT('/api/v1/models/{id}', { ...id, body: { description: 'updated' } })).data?.description).toBe('updated');
    expect((await alice.PUT('/api/v1/models/{id}', { ...id, body: { description: 'mine' } })).error?.error).toBe('forbidden');
    // Alice owns the model: she may see and set its token.
    expect((await alice.PUT('/api/v1/models/{id}/settings', { ...id, body: { huggingface_token: MODEL_TOKEN } })).data?.id).toBe(`model:${MODEL_ID}`);
    expect((await alice.GET('/api/v1/models/{id}/settings', id)).data?.huggingface_token_set).toBe(true);
    const chain = await alice.GET('/api/v1/models/{id}/token', id);
    expect(chain.data?.effective?.scope).toBe('model');
    expect(chain.data?.chain.map((l) => l.scope)).toEqual(['model', 'user', 'org', 'global']);
    // Tests never reach the real Hub: the gateway's Hub endpoint is a closed local port.
    expect((await alice.GET('/api/v1/models/{id}/access', id)).data).toMatchObject({ model_id: MODEL_ID, scope: 'model', access: 'unknown' });
  });

  it('a long model id (more than 100 characters encoded) reaches the {id} routes, not the model routes', async () => {
    const longId = `long/${'a'.repeat(100)}/${'b'.repeat(100)}:v1`;
    const created = await admin.POST('/api/v1/models', { body: { id: longId, name: 'long', type: 'embed', runtime: 'vllm', memory: 1000, enabled: false } });
    expect(created.data?.id).toBe(longId);
    const id = { params: { path: { id: longId } } };
    expect((await admin.PUT('/api/v1/models/{id}/settings', { ...id, body: { huggingface_token: null } })).data?.id).toBe(`model:${longId}`);
    expect((await admin.GET('/api/v1/models/{id}/settings', id)).data?.scope_id).toBe(longId);
    expect((await admin.GET('/api/v1/models/{id}/token', id)).data?.model_id).toBe(longId);
    expect((await admin.DELETE('/api/v1/models/{id}', id)).data?.id).toBe(longId);
  });

  it('runners and the audit log (admin)', async () => {
    const runners = await admin.GET('/api/v1/runners');
    expect(runners.data?.map((r) => r.id)).toEqual(['gpu-1']);
    expect(typeof runners.data?.[0].in_sync).toBe('boolean');
    expect((await alice.GET('/api/v1/runners')).error?.error).toBe('forbidden');
    const page = await admin.GET('/api/v1/runners', { params: { query: { limit: 1 } } });
    expect(page.data?.map((r) => r.id)).toEqual(['gpu-1']);
    expect(page.response.headers.get('link')).toBe('</api/v1/runners?limit=1&after=gpu-1>; rel="next"');
    expect((await admin.GET('/api/v1/runners', { params: { query: { limit: 0 } } })).error?.error).toBe('bad_request');
    const version = await alice.GET('/api/v1/version');
    expect(version.data).toEqual({ version: expect.any(String), api: 'v1' });
    expect((await anonymous.GET('/api/v1/version')).error?.error).toBe('unauthorized');
    const audit = await admin.GET('/api/v1/audit', { params: { query: { limit: 5, action: 'user.create' } } });
    expect(audit.data?.items.length).toBeGreaterThan(0);
    expect(audit.data?.items.every((e) => e.action === 'user.create')).toBe(true);
    expect((await admin.GET('/api/v1/audit', { params: { query: { limit: 0 } } })).error?.error).toBe('bad_request');
  });

  it('deletes: a model, a membership, an org', async () => {
    const id = { params: { path: { id: MODEL_ID } } };
    expect((await admin.DELETE('/api/v1/models/{id}', id)).data?.id).toBe(MODEL_ID);
    expect((await admin.GET('/api/v1/models/{id}', id)).error?.error).toBe('not_found');
    const membership = { params: { path: { org: ORG, user_id: aliceId } } };
    expect((await alice.DELETE('/api/v1/orgs/{org}/members/{user_id}', membership)).data?.role).toBe('owner');
    expect((await admin.DELETE('/api/v1/orgs/{org}', { params: { path: { org: ORG } } })).data?.id).toBe(ORG);
  });

  it('called every operation of the document, and every status it saw is declared for that operation', () => {
    expect(DOCUMENTED.filter((op) => !observed.has(op))).toEqual([]);
    const undeclared = [...observed].flatMap(([op, statuses]) => {
      const [method, path] = op.split(' ');
      const declared = Object.keys(document.paths[path]?.[method.toLowerCase()]?.responses ?? {});
      return [...statuses].filter((s) => !declared.includes(String(s))).map((s) => `${op} → ${s}`);
    });
    expect(undeclared).toEqual([]);
  });

  it('the running gateway serves the committed document at /api/docs-json', async () => {
    const res = await fetch(`${stack.url}/api/docs-json`);
    expect(await res.json()).toEqual(document);
  });

  it('documents every API route the gateway registers (the plain-path aliases of model ids aside)', async () => {
    const { routes } = (await stack.gateway.waitFor((l) => l.msg === 'gateway routes')) as { routes: Array<{ method: string; url: string }> };
    const registered = routes
      .filter((r) => r.method !== 'HEAD' && (r.url.startsWith('/api/v1/') || ['/healthz', '/readyz', '/metrics'].includes(r.url)))
      // `models/:p1/:p2/settings` etc. are the plain spelling of `models/{id}/settings`, documented there.
      .filter((r) => !r.url.includes('/:p1/'))
      .map((r) => `${r.method} ${r.url.replace(/\/\*$/, '/{id}').replace(/:([a-z_]+)/g, '{$1}')}`);
    expect([...new Set(registered)].sort()).toEqual([...DOCUMENTED].sort());
  });

  it('no token value reached a log line or a response', async () => {
    expect(bodies.length).toBeGreaterThan(DOCUMENTED.length);
    await assertNoSecrets(TOKENS, { texts: [...stack.texts(), ...bodies] });
  });
});
