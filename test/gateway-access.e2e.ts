import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '@helix/testing';

/**
 * Every route the gateway registers, under every spelling of its path: the access decision follows
 * the route the router chose, and a path that can be spelled two ways is refused before anything
 * else sees it. The route table is read from the gateway's own start-up line, so a route added
 * later is tested (and must be listed here with its access) without anyone remembering to.
 */
type Access = 'public' | 'authenticated' | 'admin';

const MODEL_ID = 'Qwen/Qwen2.5-VL-7B-Instruct';
const EXPECTED: Record<string, Access> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  'GET /api/docs': 'public',
  'GET /api/docs/': 'public',
  'GET /api/docs/index.html': 'public',
  'GET /api/docs/LICENSE': 'public',
  'GET /api/docs/swagger-ui-init.js': 'public',
  'GET /api/docs/docs/swagger-ui-init.js': 'public',
  'GET /api/docs-json': 'public',
  'GET /api/docs-yaml': 'public',
  // The web console (apps/console/README.md): static files; / and /console redirect to /console/.
  'GET /': 'public',
  'GET /console': 'public',
  'GET /console/*': 'public',
  'GET /api/v1/system/settings': 'admin',
  'PUT /api/v1/system/settings': 'admin',
  'POST /api/v1/users': 'admin',
  'GET /api/v1/users': 'admin',
  'GET /api/v1/users/me': 'authenticated',
  'GET /api/v1/runners': 'admin',
  'POST /api/v1/models': 'admin',
  'GET /api/v1/models': 'authenticated',
  'GET /api/v1/models/*': 'authenticated',
  'PUT /api/v1/models/*': 'admin',
  'DELETE /api/v1/models/*': 'admin',
  'GET /api/v1/audit': 'admin',
  'POST /api/v1/orgs': 'admin',
  'GET /api/v1/orgs': 'authenticated',
  'GET /api/v1/orgs/:org': 'authenticated',
  'DELETE /api/v1/orgs/:org': 'admin',
  'GET /api/v1/orgs/:org/members': 'authenticated',
  'PUT /api/v1/orgs/:org/members/:user_id': 'authenticated',
  'DELETE /api/v1/orgs/:org/members/:user_id': 'authenticated',
  'DELETE /api/v1/users/:user_id': 'admin',
  'GET /api/v1/orgs/:org/settings': 'authenticated',
  'PUT /api/v1/orgs/:org/settings': 'authenticated',
  'GET /api/v1/users/me/settings': 'authenticated',
  'PUT /api/v1/users/me/settings': 'authenticated',
  'GET /api/v1/users/:user_id/settings': 'authenticated',
  'PUT /api/v1/users/:user_id/settings': 'authenticated',
  'GET /api/v1/models/:id/settings': 'authenticated',
  'PUT /api/v1/models/:id/settings': 'authenticated',
  'GET /api/v1/models/:p1/:p2/settings': 'authenticated',
  'PUT /api/v1/models/:p1/:p2/settings': 'authenticated',
  'GET /api/v1/models/:p1/:p2/:p3/settings': 'authenticated',
  'PUT /api/v1/models/:p1/:p2/:p3/settings': 'authenticated',
  'GET /api/v1/models/:id/token': 'authenticated',
  'GET /api/v1/models/:p1/:p2/token': 'authenticated',
  'GET /api/v1/models/:p1/:p2/:p3/token': 'authenticated',
  // docs/reference/hub.md: same rights as the token chain (ScopeAccess.model).
  'GET /api/v1/models/:id/access': 'authenticated',
  'GET /api/v1/models/:p1/:p2/access': 'authenticated',
  'GET /api/v1/models/:p1/:p2/:p3/access': 'authenticated',
  // API keys: an admin manages anyone's, every user their own (ApiKeysService).
  'GET /api/v1/users/me/keys': 'authenticated',
  'POST /api/v1/users/me/keys': 'authenticated',
  'DELETE /api/v1/users/me/keys/:key_id': 'authenticated',
  'GET /api/v1/users/:user_id/keys': 'authenticated',
  'POST /api/v1/users/:user_id/keys': 'authenticated',
  'DELETE /api/v1/users/:user_id/keys/:key_id': 'authenticated',
  // `helix version`: the server's release, for any user.
  'GET /api/v1/version': 'authenticated',
};

/**
 * Routes any user may call whose answer depends on the caller's place in the org (docs/reference/rest.md,
 * checked by the gateway's OrgsService). The non-admin key below belongs to a plain member of the
 * sample org: it may read the org, but changing its members is refused with 403.
 */
const NON_ADMIN_REFUSED_BY_SERVICE = new Set([
  'PUT /api/v1/orgs/:org/members/:user_id',
  'DELETE /api/v1/orgs/:org/members/:user_id',
  // A member may read the org's token settings, not change them (docs/reference/rest.md).
  'PUT /api/v1/orgs/:org/settings',
  // The sample models have no owner and no org: only an admin may see or change their token (docs/reference/rest.md).
  ...['GET', 'PUT'].flatMap((m) => [':id', ':p1/:p2', ':p1/:p2/:p3'].map((p) => `${m} /api/v1/models/${p}/settings`)),
  ...[':id', ':p1/:p2', ':p1/:p2/:p3'].flatMap((p) => [`GET /api/v1/models/${p}/token`, `GET /api/v1/models/${p}/access`]),
]);

const ORG_ID = 'acme';
/** A model id of three parts, for the plain-path routes of `models/<a>/<b>/<c>/settings`. */
const DEEP_MODEL_ID = 'deep/er/model';

/** A body that the route would accept from an admin: a refusal must not be a validation error. */
const BODIES: Record<string, unknown> = {
  'PUT /api/v1/system/settings': { huggingface_token: 'hf_attackerReplacesTheToken0001' },
  'POST /api/v1/users': { name: 'mallory', admin: true },
  'POST /api/v1/models': { id: 'evil/model', name: 'Evil', type: 'chat', runtime: 'vllm', memory: '1GB', context_length: 1024, enabled: false },
  'PUT /api/v1/models/*': { description: 'changed by an attacker' },
  'POST /api/v1/orgs': { id: 'mallory-corp', name: 'Mallory Corp' },
  // The member tries to make themself an owner.
  'PUT /api/v1/orgs/:org/members/:user_id': { role: 'owner' },
  ...Object.fromEntries(
    ['/orgs/:org', '/users/me', '/users/:user_id', '/models/:id', '/models/:p1/:p2', '/models/:p1/:p2/:p3'].map((p) => [
      `PUT /api/v1${p}/settings`,
      { huggingface_token: 'hf_attackerReplacesTheToken0002' },
    ]),
  ),
};

/** The spellings an attacker tries; each must be refused with 400 or answered like the plain path. */
function spellings(path: string): Array<[string, string]> {
  const [, first, ...rest] = path.split('/');
  const last = rest.filter(Boolean).at(-1) ?? first;
  const encodeFirstLetter = (segment: string) => `%${segment.charCodeAt(0).toString(16)}${segment.slice(1)}`;
  const variants: Array<[string, string]> = [
    ['first letter percent-encoded', ['', encodeFirstLetter(first), ...rest].join('/')],
    ['last segment percent-encoded', `${path.slice(0, path.lastIndexOf(last))}${encodeFirstLetter(last)}${path.slice(path.lastIndexOf(last) + last.length)}`],
    ['lower-case escape of a letter', path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16).toLowerCase()}`)],
    ['leading "//"', `/${path}`],
    ['"//" inside', rest.length ? `/${first}//${rest.join('/')}` : `${path}//`],
    ['"/./" inside', `/${first}/.${path.slice(first.length + 1)}`],
    ['"/x/../" inside', `/${first}/x/..${path.slice(first.length + 1)}`],
    ['encoded "..": "/%2e%2e/"', `/${first}/x/%2e%2e${path.slice(first.length + 1)}`],
    ['a backslash', path.replace(/\/(?=[^/]*$)/, '\\')],
    ['a trailing "%"', `${path}%`],
    ['a "%" with one hex digit', `${path}%2`],
    ['absolute-form target', `http://helix.example${path}`],
  ];
  if (first === 'api' && rest[0] === 'v1') {
    variants.push(
      ['/api/%761', path.replace('/api/v1', '/api/%761')],
      ['/%61pi/v1', path.replace('/api/v1', '/%61pi/v1')],
      ['/api/v%31', path.replace('/api/v1', '/api/v%31')],
      ['/%61%70%69/%76%31', path.replace('/api/v1', '/%61%70%69/%76%31')],
    );
  }
  // A "spelling" that is the plain path itself (no letter to escape in "/") is not another spelling.
  return variants.filter(([, target]) => target !== path);
}

/** Our path rule answers most spellings; Node's HTTP parser refuses a few (a backslash) before it. */
const REFUSED_PATH = /^The request (path is not in canonical form: .*|is not valid HTTP: .*)\.$/;

/** A sample path for a route pattern: the sample model, the sample org, the non-admin user (a member of it). */
let concrete = (pattern: string) => pattern.replace('*', MODEL_ID);

describe('gateway access: every route, every spelling of its path', () => {
  let stack: Stack;
  let userKey: string;
  let routes: Array<{ method: string; url: string }>;

  const snapshot = async () => ({
    users: (await stack.api('GET', '/api/v1/users')).body.map((u: any) => `${u.name}:${u.admin}`).sort(),
    settings: (await stack.api('GET', '/api/v1/system/settings')).body,
    models: (await stack.api('GET', '/api/v1/models')).body,
    orgs: (await stack.api('GET', '/api/v1/orgs')).body,
    members: (await stack.api('GET', `/api/v1/orgs/${ORG_ID}/members`)).body,
  });

  beforeAll(async () => {
    stack = await startStack();
    const alice = (await stack.api('POST', '/api/v1/users', { name: 'alice', admin: false })).body;
    userKey = alice.api_key;
    expect((await stack.api('POST', '/api/v1/orgs', { id: ORG_ID })).status).toBe(201);
    expect((await stack.api('PUT', `/api/v1/orgs/${ORG_ID}/members/${alice.id}`, { role: 'member' })).status).toBe(200);
    // A second key of alice's for the key routes: she may revoke it (not her last), again and again (idempotent).
    const spareKey = (await stack.api('POST', `/api/v1/users/${alice.id}/keys`)).body;
    expect(spareKey.api_key).toMatch(/^hl-/);
    concrete = (pattern) =>
      pattern
        .replace('*', MODEL_ID)
        .replace(':org', ORG_ID)
        .replace(':user_id', alice.id)
        .replace(':key_id', spareKey.id)
        .replace(':id', encodeURIComponent(MODEL_ID))
        .replace(':p1/:p2/:p3', DEEP_MODEL_ID)
        .replace(':p1/:p2', MODEL_ID);
    expect((await stack.api('POST', '/api/v1/models', { ...(BODIES['POST /api/v1/models'] as object), id: MODEL_ID, name: 'Qwen' })).status).toBe(201);
    expect((await stack.api('POST', '/api/v1/models', { ...(BODIES['POST /api/v1/models'] as object), id: DEEP_MODEL_ID, name: 'Deep' })).status).toBe(201);
    routes = (await stack.gateway.waitFor((l) => l.msg === 'gateway routes')).routes;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('every registered route has an access decision listed here (a new route must be added on purpose)', () => {
    const registered = [...new Set(routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`))].sort();
    expect(registered).toEqual(Object.keys(EXPECTED).sort());
    // HEAD is answered for every GET route, so it is tested like GET below.
    expect(
      routes
        .filter((r) => r.method === 'HEAD')
        .map((r) => r.url)
        .sort(),
    ).toEqual(
      routes
        .filter((r) => r.method === 'GET')
        .map((r) => r.url)
        .sort(),
    );
  });

  it('the attack from the report is refused: POST /api/%761/users without a key', async () => {
    const before = await snapshot();
    const res = await stack.raw('POST', '/api/%761/users', { name: 'mallory', admin: true }, null);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'bad_request', message: expect.stringMatching(/^The request path is not in canonical form: .*\.$/) });
    expect(await snapshot()).toEqual(before);
  });

  it.each(
    Object.entries(EXPECTED).flatMap(([route, access]) =>
      [route, `HEAD ${route.slice(4)}`].filter((r) => r === route || route.startsWith('GET ')).map((r) => [r, access] as const),
    ),
  )('%s (%s): plain path answered by its marking; every other spelling 400; nothing changed', async (route, access) => {
    const [method, pattern] = route.split(' ');
    const path = concrete(pattern);
    const body = BODIES[`${method === 'HEAD' ? 'GET' : method} ${pattern}`];
    const before = await snapshot();
    const keys: Array<[string, string | null]> = [
      ['no key', null],
      ['unknown key', 'hl-unknown-000000000000000000'],
      ['non-admin key', userKey],
    ];
    for (const [who, key] of keys) {
      const plain = await stack.raw(method, path, body, key);
      const expected =
        access === 'public'
          ? 'ok'
          : key !== userKey
            ? 401
            : access === 'admin' || NON_ADMIN_REFUSED_BY_SERVICE.has(`${method === 'HEAD' ? 'GET' : method} ${pattern}`)
              ? 403
              : 'ok';
      // A public route may still answer 404 (a document asset that is not shipped), never 401/403/5xx.
      if (access === 'public') expect([401, 403], `${who} ${method} ${path}`).not.toContain(plain.status);
      if (expected === 'ok') expect(plain.status, `${who} ${method} ${path}`).toBeLessThan(access === 'public' ? 500 : 400);
      else expect(plain.status, `${who} ${method} ${path}`).toBe(expected);
      if (expected !== 'ok' && method !== 'HEAD') expect(plain.body.error).toBe(expected === 401 ? 'unauthorized' : 'forbidden');
      for (const [spelling, target] of spellings(path)) {
        // Node's parser refuses a backslash before any method is known, so its answer has a body
        // that an HTTP client reading a HEAD response cannot parse; GET covers that spelling.
        if (method === 'HEAD' && spelling === 'a backslash') continue;
        const res = await stack.raw(method, target, body, key);
        expect(res.status, `${who} ${method} ${target} (${spelling})`).toBe(400);
        if (method === 'HEAD') continue;
        expect(res.body, `${who} ${method} ${target}`).toEqual({ error: 'bad_request', message: expect.stringMatching(REFUSED_PATH) });
        // The answer never repeats what was sent (a target of "//", for "/", is also the rule's own wording).
        if (target !== '//') expect(res.text).not.toContain(target);
        expect(res.text).not.toMatch(/%[0-9a-f]{2}|helix\.example|mallory|attacker/i);
      }
    }
    if (method !== 'GET' && method !== 'HEAD' && access !== 'public') expect(await snapshot()).toEqual(before);
  });

  it('an admin still reaches every API route under its plain path, and a model id encoded with %2F', async () => {
    expect((await stack.raw('GET', '/api/v1/users', undefined, stack.adminKey)).status).toBe(200);
    expect((await stack.raw('GET', `/api/v1/models/${MODEL_ID}`, undefined, stack.adminKey)).body.id).toBe(MODEL_ID);
    expect((await stack.raw('GET', `/api/v1/models/${encodeURIComponent(MODEL_ID)}`, undefined, stack.adminKey)).body.id).toBe(MODEL_ID);
    expect((await stack.raw('GET', `/api/v1/models/${encodeURIComponent(MODEL_ID)}`, undefined, null)).status).toBe(401);
  });

  it('an unknown route is a 404 in the error shape that does not repeat the path', async () => {
    const res = await stack.raw('GET', '/api/v1/nothing-here-xyz', undefined, stack.adminKey);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', message: 'No route matches this method and path.' });
  });

  it('no request path is ever answered with a 500', () => {
    const statuses = stack.responses.map((r) => Number(r.label.split('→ ')[1]));
    expect(statuses.length).toBeGreaterThan(500);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });
});
