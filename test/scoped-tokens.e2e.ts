import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dumpPostgres, eventually, scanForSecrets, startStack, type Stack } from '@helix/testing';

/**
 * docs/reference/rest.md and docs/reference/events.md against the real stack: tokens per org, user and model, resolved on the runner
 * (ground truth: the fingerprint the vLLM simulator received), their permission table, bad input,
 * deletions, the resolution chain, the audit trail and secrecy.
 */
const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const stamp = Date.now().toString(36);
const T = {
  global: `hf_scopedGlobal${stamp}x`,
  org: `hf_scopedOrg${stamp}x`,
  user: `hf_scopedUser${stamp}x`,
  model: `hf_scopedModel${stamp}x`,
  bobUser: `hf_scopedBob${stamp}x`,
  betaOrg: `hf_scopedBeta${stamp}x`,
  unrelated: `hf_scopedUnrelated${stamp}x`,
  matrix: `hf_scopedMatrix${stamp}x`,
  doomed: `hf_scopedDoomed${stamp}x`,
};
const ALL_TOKENS = Object.values(T);
const enc = (id: string) => `/api/v1/models/${encodeURIComponent(id)}`;
const small = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: id, type: 'embed', runtime: 'vllm', memory: '1GB', ...extra });

type Who = 'admin' | 'orgOwner' | 'orgMember' | 'outsider' | 'modelOwner' | 'none';
const WHO: Who[] = ['admin', 'orgOwner', 'orgMember', 'outsider', 'modelOwner', 'none'];

describe('scoped tokens: org, user and model (docs/reference/rest.md)', () => {
  let stack: Stack;
  const keys = {} as Record<Who, string | null>;
  const ids = {} as Record<'alice' | 'bob' | 'orgOwner' | 'orgMember' | 'outsider' | 'modelOwner' | 'doomed', string>;
  const aliceKey = { value: '' };
  const as = (who: Who, method: string, path: string, body?: unknown) => stack.api(method, path, body, keys[who]);
  const put = async (path: string, token: string | null, key?: string) => {
    const res = await stack.api('PUT', path, { huggingface_token: token }, key ?? stack.adminKey);
    expect(res.status, `${path}: ${res.text}`).toBe(200);
    return res.body;
  };
  const runner = () => stack.runners.get('gpu-1')!;
  /** Waits until the runner applied this scope's version (the runner logs every scope). */
  const applied = (scope: string, scopeId: string | null, version: number) =>
    runner().waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.scope === scope && l.scope_id === scopeId && l.version === version);
  const slotOf = async (id: string) => (await stack.api('GET', enc(id))).body?.slots?.[0];
  const waitSlot = (id: string, pred: (s: any) => boolean, what: string): Promise<any> =>
    vi.waitFor(
      async () => {
        const s = await slotOf(id);
        expect(s && pred(s), `${what}: ${JSON.stringify(s)}`).toBe(true);
        return s;
      },
      { timeout: 20_000, interval: 150 },
    );
  const simFingerprint = async (endpoint: string) => ((await (await fetch(`${endpoint}/sim/info`)).json()) as any).hf_token_fingerprint;
  /** Starts the model again (disable, then enable) and returns the running slot. */
  const restart = async (id: string) => {
    expect((await stack.api('PUT', enc(id), { enabled: false })).status).toBe(200);
    await vi.waitFor(async () => expect(await slotOf(id)).toBeUndefined(), { timeout: 10_000 });
    expect((await stack.api('PUT', enc(id), { enabled: true })).status).toBe(200);
    return waitSlot(id, (s) => s.state === 'running', `${id} running again`);
  };
  /** The source the slot reports and the fingerprint vLLM itself received agree. */
  const expectStartedWith = async (slot: any, source: string, token: string | null) => {
    expect(slot.hf_token_source).toBe(source);
    expect(slot.hf_token_fingerprint).toBe(token ? fp(token) : null);
    expect(await simFingerprint(slot.endpoint)).toBe(token ? fp(token) : null);
  };

  beforeAll(async () => {
    stack = await startStack({
      runners: [{ id: 'gpu-1', memory: '80GB', env: { VLLM_SIM_GATED: 'gated/*', VLLM_SIM_VALID_TOKENS: ALL_TOKENS.join(',') } }],
    });
    keys.admin = stack.adminKey;
    keys.none = null;
    for (const name of ['alice', 'bob', 'orgOwner', 'orgMember', 'outsider', 'modelOwner', 'doomed'] as const) {
      const created = (await stack.api('POST', '/api/v1/users', { name: `scoped-${name}`, admin: false })).body;
      ids[name] = created.id;
      if (name === 'alice') aliceKey.value = created.api_key;
      if (name in { orgOwner: 1, orgMember: 1, outsider: 1, modelOwner: 1 }) keys[name as Who] = created.api_key;
    }
    for (const org of ['acme', 'beta', 'matrix']) expect((await stack.api('POST', '/api/v1/orgs', { id: org })).status).toBe(201);
    expect((await stack.api('PUT', `/api/v1/orgs/matrix/members/${ids.orgOwner}`, { role: 'owner' })).status).toBe(200);
    expect((await stack.api('PUT', `/api/v1/orgs/matrix/members/${ids.orgMember}`, { role: 'member' })).status).toBe(200);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('each level, set, is the token a start uses; a higher level overrides it at the next start; clearing falls back; none at all runs a public model without one', async () => {
    const chain = { org_id: 'acme', owner_id: ids.alice };
    await put('/api/v1/system/settings', T.global);
    await applied('global', null, 1);
    expect((await stack.api('POST', '/api/v1/models', small('acme/level-global', chain))).status).toBe(201);
    await expectStartedWith(await waitSlot('acme/level-global', (s) => s.state === 'running', 'global'), 'global', T.global);

    const orgView = await put('/api/v1/orgs/acme/settings', T.org);
    expect(orgView).toEqual({
      id: 'org:acme',
      scope: 'org',
      scope_id: 'acme',
      created: expect.any(String),
      updated: expect.any(String),
      huggingface_token_set: true,
      huggingface_token_source: 'database',
      huggingface_token_fingerprint: fp(T.org),
      // This stack's Hub is a closed port (HELIX_HF_ENDPOINT): nobody answered.
      huggingface_token_status: 'unverified',
      huggingface_token_owner: null,
      huggingface_token_role: null,
      version: 1,
    });
    await applied('org', 'acme', 1);
    // The model started before keeps its process; the next start uses the higher level.
    await expectStartedWith(await restart('acme/level-global'), 'org', T.org);

    // Alice sets her own token (users/me), as herself.
    const mine = await put('/api/v1/users/me/settings', T.user, aliceKey.value);
    expect(mine).toMatchObject({ id: `user:${ids.alice}`, scope: 'user', scope_id: ids.alice, version: 1, huggingface_token_fingerprint: fp(T.user) });
    await applied('user', ids.alice, 1);
    await expectStartedWith(await restart('acme/level-global'), 'user', T.user);

    await put(`${enc('acme/level-global')}/settings`, T.model);
    await applied('model', 'acme/level-global', 1);
    await expectStartedWith(await restart('acme/level-global'), 'model', T.model);

    // The explanation route agrees with what the runner did.
    const explained = (await stack.api('GET', `${enc('acme/level-global')}/token`)).body;
    expect(explained).toEqual({
      model_id: 'acme/level-global',
      effective: { scope: 'model', scope_id: 'acme/level-global', fingerprint: fp(T.model) },
      chain: [
        { scope: 'model', scope_id: 'acme/level-global', set: true, fingerprint: fp(T.model), version: 1 },
        { scope: 'user', scope_id: ids.alice, set: true, fingerprint: fp(T.user), version: 1 },
        { scope: 'org', scope_id: 'acme', set: true, fingerprint: fp(T.org), version: 1 },
        { scope: 'global', scope_id: null, set: true, fingerprint: fp(T.global), version: 1 },
      ],
    });
    // The plain (unencoded) path names the same model.
    expect((await stack.api('GET', '/api/v1/models/acme/level-global/token')).body).toEqual(explained);

    // Clearing, one level at a time, falls through to the next at the next start.
    await put(`${enc('acme/level-global')}/settings`, '');
    await applied('model', 'acme/level-global', 2);
    await expectStartedWith(await restart('acme/level-global'), 'user', T.user);
    await put(`/api/v1/users/${ids.alice}/settings`, null);
    await applied('user', ids.alice, 2);
    await expectStartedWith(await restart('acme/level-global'), 'org', T.org);
    await put('/api/v1/orgs/acme/settings', null);
    await applied('org', 'acme', 2);
    await expectStartedWith(await restart('acme/level-global'), 'global', T.global);
    await put('/api/v1/system/settings', null);
    await applied('global', null, 2);
    await expectStartedWith(await restart('acme/level-global'), 'none', null);
    expect((await stack.api('GET', `${enc('acme/level-global')}/token`)).body.effective).toBeNull();
  });

  it('a chain lists only the levels that apply: no user level without an owner, no org level without an org', async () => {
    expect((await stack.api('POST', '/api/v1/models', small('system/plain', { enabled: false }))).status).toBe(201);
    expect((await stack.api('GET', `${enc('system/plain')}/token`)).body.chain.map((l: any) => l.scope)).toEqual(['model', 'global']);
    expect((await stack.api('POST', '/api/v1/models', small('system/org-only', { enabled: false, org_id: 'beta' }))).status).toBe(201);
    expect((await stack.api('GET', `${enc('system/org-only')}/token`)).body.chain.map((l: any) => [l.scope, l.scope_id])).toEqual([
      ['model', 'system/org-only'],
      ['org', 'beta'],
      ['global', null],
    ]);
  });

  it('a gated model parked in hf_auth recovers when its user or org token is set, and is not touched when an unrelated scope changes', async () => {
    expect((await stack.api('POST', '/api/v1/models', small('gated/bob-model', { owner_id: ids.bob }))).status).toBe(201);
    expect((await stack.api('POST', '/api/v1/models', small('gated/beta-model', { org_id: 'beta' }))).status).toBe(201);
    const parkedUser = await waitSlot('gated/bob-model', (s) => s.state === 'failed', 'bob model parked');
    const parkedOrg = await waitSlot('gated/beta-model', (s) => s.state === 'failed', 'beta model parked');
    for (const slot of [parkedUser, parkedOrg]) expect(slot).toMatchObject({ error: { code: 'hf_auth' }, restarts: 0, hf_token_source: 'none' });

    // Other scopes change: another user's, another org's and another model's token.
    await put(`/api/v1/users/${ids.alice}/settings`, T.unrelated);
    await put('/api/v1/orgs/acme/settings', T.unrelated);
    const unrelatedModel = await put(`${enc('system/plain')}/settings`, T.unrelated);
    await applied('model', 'system/plain', unrelatedModel.version);
    await new Promise((r) => setTimeout(r, 500));
    expect(
      runner()
        .json()
        .filter((l) => l.msg === 'retrying slots that waited for a hugging face token'),
    ).toEqual([]);
    expect(await slotOf('gated/bob-model')).toMatchObject({ id: parkedUser.id, state: 'failed', updated: parkedUser.updated });
    expect(await slotOf('gated/beta-model')).toMatchObject({ id: parkedOrg.id, state: 'failed', updated: parkedOrg.updated });

    // Bob's own token: only his model is retried, with the user level.
    await put(`/api/v1/users/${ids.bob}/settings`, T.bobUser);
    const bob = await waitSlot('gated/bob-model', (s) => s.state === 'running', 'bob model recovering');
    expect(bob.id).toBe(parkedUser.id);
    await expectStartedWith(bob, 'user', T.bobUser);
    expect(await slotOf('gated/beta-model')).toMatchObject({ id: parkedOrg.id, state: 'failed', updated: parkedOrg.updated });

    await put('/api/v1/orgs/beta/settings', T.betaOrg);
    const beta = await waitSlot('gated/beta-model', (s) => s.state === 'running', 'beta model recovering');
    expect(beta.id).toBe(parkedOrg.id);
    await expectStartedWith(beta, 'org', T.betaOrg);
    const retried = runner()
      .json()
      .filter((l) => l.msg === 'retrying slots that waited for a hugging face token')
      .map((l) => l.slot_ids);
    expect(retried).toEqual([[parkedUser.id], [parkedOrg.id]]);
  });

  describe('the permission table of docs/reference/rest.md, for each kind of caller', () => {
    const MODEL = 'matrix/owned';
    /** Every scope a matrix request could change, as versions seen by the admin. */
    const versions = async () => {
      const paths = [
        '/api/v1/orgs/matrix/settings',
        `${enc(MODEL)}/settings`,
        ...(['orgOwner', 'orgMember', 'outsider', 'modelOwner'] as const).map((w) => `/api/v1/users/${ids[w]}/settings`),
      ];
      return Promise.all(paths.map(async (path) => (await stack.api('GET', path)).body.version));
    };
    beforeAll(async () => {
      expect((await stack.api('POST', '/api/v1/models', small(MODEL, { enabled: false, org_id: 'matrix', owner_id: ids.modelOwner }))).status).toBe(201);
    });

    const read = { admin: 200, orgOwner: 200, orgMember: 200, outsider: 403, modelOwner: 403, none: 401 };
    const write = { admin: 200, orgOwner: 200, orgMember: 403, outsider: 403, modelOwner: 403, none: 401 };
    const self = { admin: 200, orgOwner: 200, orgMember: 200, outsider: 200, modelOwner: 200, none: 401 };
    const theUser = { admin: 200, orgOwner: 403, orgMember: 200, outsider: 403, modelOwner: 403, none: 401 };
    const theModel = { admin: 200, orgOwner: 200, orgMember: 403, outsider: 403, modelOwner: 200, none: 401 };
    const cases: Array<[string, string, () => string, Record<Who, number>]> = [
      ['GET', 'orgs/{org}/settings', () => '/api/v1/orgs/matrix/settings', read],
      ['PUT', 'orgs/{org}/settings', () => '/api/v1/orgs/matrix/settings', write],
      ['GET', 'users/me/settings', () => '/api/v1/users/me/settings', self],
      ['PUT', 'users/me/settings', () => '/api/v1/users/me/settings', self],
      ['GET', 'users/{a member}/settings', () => `/api/v1/users/${ids.orgMember}/settings`, theUser],
      ['PUT', 'users/{a member}/settings', () => `/api/v1/users/${ids.orgMember}/settings`, theUser],
      ['GET', 'models/{encoded id}/settings', () => `${enc(MODEL)}/settings`, theModel],
      ['PUT', 'models/{encoded id}/settings', () => `${enc(MODEL)}/settings`, theModel],
      ['GET', 'models/{plain id}/settings', () => `/api/v1/models/${MODEL}/settings`, theModel],
      ['PUT', 'models/{plain id}/settings', () => `/api/v1/models/${MODEL}/settings`, theModel],
      ['GET', 'models/{id}/token', () => `${enc(MODEL)}/token`, theModel],
    ];
    for (const [method, label, path, expected] of cases) {
      for (const who of WHO) {
        it(`${method} ${label} as ${who} → ${expected[who]}`, async () => {
          const before = await versions();
          const res = await as(who, method, path(), method === 'PUT' ? { huggingface_token: T.matrix } : undefined);
          expect(res.status, res.text).toBe(expected[who]);
          if (res.status === 200 && method === 'PUT') expect(res.body.huggingface_token_fingerprint).toBe(fp(T.matrix));
          if (res.status !== 200) {
            expect(res.body.error).toBe(res.status === 401 ? 'unauthorized' : 'forbidden');
            expect(await versions()).toEqual(before);
          }
          expect(res.text).not.toContain(T.matrix);
        });
      }
    }
  });

  describe('bad input: 400 or 404 with one clear sentence, and nothing changes', () => {
    const snapshot = async () => (await stack.api('GET', '/api/v1/audit?limit=200')).body.items.length;
    const body = { huggingface_token: T.matrix };
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['PUT', '/api/v1/orgs/nope/settings', body, 404, /org nope does not exist/],
      ['GET', '/api/v1/orgs/nope/settings', undefined, 404, /org nope does not exist/],
      ['PUT', '/api/v1/orgs/Bad_Org/settings', body, 400, /org id must be/],
      ['PUT', '/api/v1/orgs/acme%2Fx/settings', body, 400, /org id must be/],
      ['PUT', '/api/v1/orgs/../settings', body, 400, /canonical/],
      ['PUT', '/api/v1/orgs/acme/../beta/settings', body, 400, /canonical/],
      ['PUT', '/api/v1/orgs/%2e%2e/settings', body, 400, /canonical/],
      ['PUT', '/api/v1/users/not-a-uuid/settings', body, 400, /user id must be/],
      ['PUT', '/api/v1/users/00000000-0000-4000-8000-000000000000/settings', body, 404, /does not exist/],
      ['PUT', `${enc('no/such-model')}/settings`, body, 404, /not found|does not exist/i],
      ['GET', `${enc('no/such-model')}/token`, undefined, 404, /not found|does not exist/i],
      ['PUT', '/api/v1/models/..%2Fx/settings', body, 400, /model id/],
      ['PUT', '/api/v1/orgs/acme/settings', { huggingface_token: 'hf_has space' }, 400, /printable ASCII characters without white space/],
      ['PUT', '/api/v1/orgs/acme/settings', { huggingface_token: `hf_${'a'.repeat(1030)}` }, 400, /1 to 1024/],
      ['PUT', '/api/v1/orgs/acme/settings', { huggingface_token: 42 }, 400, /huggingface_token/],
      ['PUT', '/api/v1/orgs/acme/settings', { huggingface_token: T.matrix, scope: 'global' }, 400, /scope/],
      ['PUT', '/api/v1/users/me/settings', { token: T.matrix }, 400, /token/],
      ['PUT', `${enc('matrix/owned')}/settings`, { huggingface_token: T.matrix, org_id: 'acme' }, 400, /org_id/],
    ];
    for (const [method, target, payload, status, message] of cases) {
      it(`${method} ${target.slice(0, 70)} ${payload ? JSON.stringify(payload).slice(0, 40) : ''} → ${status}`, async () => {
        const before = await snapshot();
        const res = await stack.raw(method, target, payload);
        expect(res.status, res.text).toBe(status);
        expect(res.body.error).toBe(status === 404 ? 'not_found' : 'bad_request');
        expect(res.body.message).toMatch(message);
        expect(res.body.message).not.toContain(T.matrix);
        expect(await snapshot()).toBe(before);
      });
    }
  });

  it('deleting a model, an org or a user clears its token with a clear event the runner applies; the audit log says who, once each', async () => {
    expect((await stack.api('POST', '/api/v1/orgs', { id: 'doomed' })).status).toBe(201);
    expect((await stack.api('POST', '/api/v1/models', small('doomed/model', { enabled: false }))).status).toBe(201);
    const targets: Array<[string, string, string, string]> = [
      ['org', 'doomed', '/api/v1/orgs/doomed/settings', '/api/v1/orgs/doomed'],
      ['model', 'doomed/model', `${enc('doomed/model')}/settings`, enc('doomed/model')],
      ['user', ids.doomed, `/api/v1/users/${ids.doomed}/settings`, `/api/v1/users/${ids.doomed}`],
    ];
    for (const [scope, scopeId, settingsPath, itemPath] of targets) {
      const set = await put(settingsPath, T.doomed);
      await applied(scope, scopeId, set.version);
      const deleted = await stack.api('DELETE', itemPath);
      expect(deleted.status, deleted.text).toBe(200);
      const cleared = await runner().waitFor(
        (l) => l.msg === 'updated hugging face token from control plane' && l.scope === scope && l.scope_id === scopeId && l.version === set.version + 1,
      );
      expect(cleared.token_provided).toBe(false);
      // The audit entry travels its own way (outbox → AUDIT stream → the gateway): it may land after the runner applied the event.
      const audit = await eventually(
        async () => {
          const items = (await stack.api('GET', `/api/v1/audit?target=${encodeURIComponent(`${scope}:${scopeId}`)}&action=token.clear`)).body.items;
          return items.length > 0 && items;
        },
        10_000,
        `the token.clear audit entry of ${scope}:${scopeId}`,
      );
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actor_id: expect.any(String),
        actor_name: 'admin',
        details: { scope, scope_id: scopeId, version: set.version + 1, old_fingerprint: fp(T.doomed), new_fingerprint: null },
      });
    }
    // A deleted user's key no longer works; deleting yourself is refused.
    expect((await stack.api('GET', '/api/v1/users')).body.map((u: any) => u.id)).not.toContain(ids.doomed);
    const self = (await stack.api('GET', '/api/v1/users/me')).body.id;
    expect((await stack.api('DELETE', `/api/v1/users/${self}`)).status).toBe(400);
    // Deleting what never had a token publishes nothing: no token event for it.
    expect((await stack.api('POST', '/api/v1/models', small('doomed/tokenless', { enabled: false }))).status).toBe(201);
    expect((await stack.api('DELETE', enc('doomed/tokenless'))).status).toBe(200);
    expect((await stack.api('GET', `/api/v1/audit?target=${encodeURIComponent('model:doomed/tokenless')}&action=token.clear`)).body.items).toEqual([]);
  });

  it('each scoped change is in the audit log once, with the actor, the target and the fingerprints', async () => {
    const items = (await stack.api('GET', `/api/v1/audit?target=${encodeURIComponent(`user:${ids.bob}`)}`)).body.items;
    expect(items.filter((i: any) => i.action === 'token.set')).toEqual([
      expect.objectContaining({
        actor_name: 'admin',
        target: `user:${ids.bob}`,
        details: expect.objectContaining({ scope: 'user', scope_id: ids.bob, version: 1, old_fingerprint: null, new_fingerprint: fp(T.bobUser) }),
      }),
    ]);
    const alice = (await stack.api('GET', `/api/v1/audit?target=${encodeURIComponent(`user:${ids.alice}`)}&action=token.set`)).body.items;
    // Alice set her first token herself (users/me); the admin set the later one.
    expect(alice.map((i: any) => i.actor_id).reverse()).toEqual([ids.alice, expect.any(String)]);
  });

  it('GET /runners: the runner holds every scope it was sent and is in sync', async () => {
    const runners = await vi.waitFor(
      async () => {
        const body = (await stack.api('GET', '/api/v1/runners')).body;
        expect(body[0].in_sync).toBe(true);
        return body;
      },
      { timeout: 10_000 },
    );
    const scopes = runner()
      .json()
      .filter((l) => l.msg === 'updated hugging face token from control plane')
      .map((l) => `${l.scope}:${l.scope_id}`);
    expect(runners[0].settings_applied).toBe(new Set(scopes).size);
  });

  it('the new routes are in the OpenAPI document with their schemas and bearer auth', async () => {
    const doc = (await stack.api('GET', '/api/docs-json', undefined, null)).body;
    for (const path of ['/api/v1/orgs/{org}/settings', '/api/v1/users/me/settings', '/api/v1/users/{user_id}/settings', '/api/v1/models/{id}/settings']) {
      expect(doc.paths[path].put.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UpdateScopedSettingsDto' });
      expect(doc.paths[path].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SettingsViewDto' });
      expect(doc.paths[path].get.security).toEqual([{ bearer: [] }]);
    }
    expect(doc.paths['/api/v1/models/{id}/token'].get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/TokenChainViewDto',
    });
  });

  it('no token value in any log (debug), response, Postgres row, or the NATS and Postgres files', async () => {
    const findings = await scanForSecrets(ALL_TOKENS, {
      texts: [...stack.texts(), { label: 'postgres rows', text: await dumpPostgres(stack.pg.url) }],
      dirs: [stack.nats.storeDir, stack.pg.dataDir],
    });
    expect(findings).toEqual([]);
  });
});
