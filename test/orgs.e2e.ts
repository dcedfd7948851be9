import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpPostgres, scanForSecrets, startStack, type Stack } from '@helix/testing';

/** docs/reference/rest.md (organizations and membership) and docs/reference/rest.md (model ownership), against the real stack. */
const TOKEN = 'hf_orgsSuiteCanary0123456789abcdef';
const MODEL = { name: 'owned', type: 'embed', runtime: 'vllm', memory: '1GB', enabled: false };
const enc = (id: string) => `/api/v1/models/${encodeURIComponent(id)}`;

type Who = 'admin' | 'owner' | 'member' | 'outsider' | 'none';
const WHO: Who[] = ['admin', 'owner', 'member', 'outsider', 'none'];

describe('orgs and membership (docs/reference/rest.md) and model ownership (docs/reference/rest.md)', () => {
  let stack: Stack;
  const keys = {} as Record<Who, string | null>;
  const ids = {} as Record<'owner' | 'member' | 'outsider' | 'tara', string>;

  const as = (who: Who, method: string, path: string, body?: unknown) => stack.api(method, path, body, keys[who]);
  /** Everything the org routes can change, as an admin sees it. */
  const snapshot = async (...orgs: string[]) => ({
    orgs: (await stack.api('GET', '/api/v1/orgs')).body,
    members: await Promise.all(orgs.map(async (o) => (await stack.api('GET', `/api/v1/orgs/${o}/members`)).body)),
    models: (await stack.api('GET', '/api/v1/models')).body,
  });

  beforeAll(async () => {
    stack = await startStack();
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN })).status).toBe(200);
    keys.admin = stack.adminKey;
    keys.none = null;
    for (const who of ['owner', 'member', 'outsider', 'tara'] as const) {
      const created = (await stack.api('POST', '/api/v1/users', { name: `user-${who}`, admin: false })).body;
      ids[who] = created.id;
      if (who !== 'tara') keys[who] = created.api_key;
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('an admin creates orgs (the name defaults to the id); a taken id is 409 and changes nothing', async () => {
    const created = await stack.api('POST', '/api/v1/orgs', { id: 'acme', name: 'Acme Corp' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'acme', name: 'Acme Corp', created: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect((await stack.api('POST', '/api/v1/orgs', { id: '0-team' })).body).toMatchObject({ id: '0-team', name: '0-team' });
    const before = await snapshot('acme');
    const taken = await stack.api('POST', '/api/v1/orgs', { id: 'acme', name: 'Other' });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ error: 'conflict', message: 'An org with this id already exists.' });
    expect(await snapshot('acme')).toEqual(before);
    expect((await stack.api('GET', '/api/v1/orgs/acme')).body).toEqual(created.body);
    expect((await stack.api('GET', '/api/v1/orgs')).body.map((o: any) => o.id)).toEqual(['0-team', 'acme']);
  });

  it('membership: put (add, then change the role keeping "created"), list, delete', async () => {
    const put = await stack.api('PUT', `/api/v1/orgs/acme/members/${ids.owner}`, { role: 'member' });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ org_id: 'acme', user_id: ids.owner, role: 'member', created: expect.any(String) });
    const promoted = await stack.api('PUT', `/api/v1/orgs/acme/members/${ids.owner}`, { role: 'owner' });
    expect(promoted.body).toEqual({ ...put.body, role: 'owner' });
    expect((await stack.api('PUT', `/api/v1/orgs/acme/members/${ids.member}`, { role: 'member' })).status).toBe(200);
    expect((await stack.api('PUT', `/api/v1/orgs/acme/members/${ids.tara}`, {})).status).toBe(400);
    expect((await stack.api('PUT', `/api/v1/orgs/acme/members/${ids.tara}`, { role: 'member' })).status).toBe(200);
    const listed = (await stack.api('GET', '/api/v1/orgs/acme/members')).body;
    expect(listed.map((m: any) => [m.user_id, m.role])).toEqual([
      [ids.owner, 'owner'],
      [ids.member, 'member'],
      [ids.tara, 'member'],
    ]);
    const removed = await stack.api('DELETE', `/api/v1/orgs/acme/members/${ids.tara}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ org_id: 'acme', user_id: ids.tara, role: 'member' });
    expect((await stack.api('GET', '/api/v1/orgs/acme/members')).body).toHaveLength(2);
    // Removing someone who is not a member is a 404 that says so.
    const again = await stack.api('DELETE', `/api/v1/orgs/acme/members/${ids.tara}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ error: 'not_found', message: `User ${ids.tara} is not a member of org acme.` });
  });

  it('GET /api/v1/orgs lists all orgs for an admin and only their own for anyone else', async () => {
    expect((await as('owner', 'GET', '/api/v1/orgs')).body.map((o: any) => o.id)).toEqual(['acme']);
    expect((await as('member', 'GET', '/api/v1/orgs')).body.map((o: any) => o.id)).toEqual(['acme']);
    expect((await as('outsider', 'GET', '/api/v1/orgs')).body).toEqual([]);
    expect((await as('none', 'GET', '/api/v1/orgs')).status).toBe(401);
  });

  describe('the permission matrix: every org route and method, for each kind of caller', () => {
    const ORG = 'matrix';
    beforeAll(async () => {
      expect((await stack.api('POST', '/api/v1/orgs', { id: ORG })).status).toBe(201);
      expect((await stack.api('PUT', `/api/v1/orgs/${ORG}/members/${ids.owner}`, { role: 'owner' })).status).toBe(200);
      expect((await stack.api('PUT', `/api/v1/orgs/${ORG}/members/${ids.member}`, { role: 'member' })).status).toBe(200);
    });

    const ok = (status: number) => ({ admin: status, owner: status, member: status });
    const cases: Array<[string, string, () => unknown, Record<Who, number>]> = [
      ['POST', '/api/v1/orgs', () => ({ id: `new-${randomUUID().slice(0, 8)}` }), { admin: 201, owner: 403, member: 403, outsider: 403, none: 401 }],
      ['GET', '/api/v1/orgs', () => undefined, { ...ok(200), outsider: 200, none: 401 }],
      ['GET', `/api/v1/orgs/${ORG}`, () => undefined, { ...ok(200), outsider: 403, none: 401 }],
      ['GET', `/api/v1/orgs/${ORG}/members`, () => undefined, { ...ok(200), outsider: 403, none: 401 }],
      ['PUT', `/api/v1/orgs/${ORG}/members/TARA`, () => ({ role: 'member' }), { admin: 200, owner: 200, member: 403, outsider: 403, none: 401 }],
      ['PUT', `/api/v1/orgs/${ORG}/members/MEMBER`, () => ({ role: 'owner' }), { admin: 200, owner: 200, member: 403, outsider: 403, none: 401 }],
      ['DELETE', `/api/v1/orgs/${ORG}/members/TARA`, () => undefined, { admin: 200, owner: 200, member: 403, outsider: 403, none: 401 }],
      ['DELETE', `/api/v1/orgs/${ORG}`, () => undefined, { admin: 200, owner: 403, member: 403, outsider: 403, none: 401 }],
    ];

    it.each(cases.flatMap(([method, path, body, expected]) => WHO.map((who) => [who, method, path, body, expected[who]] as const)))(
      '%s: %s %s',
      async (who, method, template, body, status) => {
        const path = template.replace('TARA', ids.tara).replace('MEMBER', ids.member);
        // Each case starts from the same state: tara is a member, the member is a member, the org exists.
        if (!(await stack.api('GET', `/api/v1/orgs/${ORG}`)).body?.id) {
          await stack.api('POST', '/api/v1/orgs', { id: ORG });
          await stack.api('PUT', `/api/v1/orgs/${ORG}/members/${ids.owner}`, { role: 'owner' });
        }
        await stack.api('PUT', `/api/v1/orgs/${ORG}/members/${ids.member}`, { role: 'member' });
        await stack.api('PUT', `/api/v1/orgs/${ORG}/members/${ids.tara}`, { role: 'member' });
        const before = await snapshot(ORG);
        const res = await as(who, method, path, body());
        expect(res.status, `${who} ${method} ${path}: ${res.text}`).toBe(status);
        if (status === 401) expect(res.body.error).toBe('unauthorized');
        if (status === 403) {
          expect(res.body.error).toBe('forbidden');
          expect(res.body.message).toMatch(/^(Admin privileges are required for this route|Only an admin or (a member|an owner) of this org may .*)\.$/);
        }
        if (status >= 400) expect(await snapshot(ORG)).toEqual(before);
      },
    );

    it('a non-admin asking for an org that does not exist gets 404 (403 only for one that exists)', async () => {
      expect((await as('outsider', 'GET', '/api/v1/orgs/no-such-org')).body).toEqual({ error: 'not_found', message: 'The org no-such-org does not exist.' });
      expect((await as('outsider', 'GET', '/api/v1/orgs/no-such-org/members')).status).toBe(404);
      expect((await as('outsider', 'PUT', `/api/v1/orgs/no-such-org/members/${ids.outsider}`, { role: 'owner' })).status).toBe(404);
      expect((await as('outsider', 'DELETE', '/api/v1/orgs/no-such-org')).status).toBe(403);
    });
  });

  describe('bad input: 400 or 404 with one clear sentence, nothing changed, the input never echoed', () => {
    it.each([
      ['upper case', { id: 'Acme' }, 'id'],
      ['leading "-"', { id: '-acme' }, 'id'],
      ['empty', { id: '' }, 'id'],
      ['65 characters', { id: 'a'.repeat(65) }, 'id'],
      ['"../"', { id: '../etc' }, 'id'],
      ['a slash', { id: 'a/b' }, 'id'],
      ['an underscore', { id: 'a_b' }, 'id'],
      ['a number', { id: 42 }, 'id'],
      ['no id', { name: 'Nameless' }, 'id'],
      ['name not a string', { id: 'fine', name: 7 }, 'name'],
      ['an unknown field', { id: 'fine', owner: 'x' }, 'owner'],
    ])('POST /api/v1/orgs with %s', async (_, body, field) => {
      const before = await snapshot('acme');
      const res = await stack.api('POST', '/api/v1/orgs', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/^Invalid request: .*\.$/) });
      expect(res.body.details.map((d: any) => d.field)).toContain(field);
      const sent = (body as { id?: unknown }).id;
      if (typeof sent === 'string' && sent.length > 2) expect(res.text).not.toContain(sent);
      expect(await snapshot('acme')).toEqual(before);
    });

    it.each([
      ['GET', '/api/v1/orgs/Acme', 400],
      ['GET', '/api/v1/orgs/a%2Fb', 400],
      ['GET', '/api/v1/orgs/..%2Facme', 400],
      ['GET', '/api/v1/orgs/%2E%2E', 400],
      ['GET', '/api/v1/orgs/../users', 400],
      ['DELETE', '/api/v1/orgs/acme%2F..', 400],
      ['DELETE', '/api/v1/orgs/acme/../0-team', 400],
      ['GET', '/api/v1/orgs/acme%2Fmembers', 400],
      ['PUT', '/api/v1/orgs/acme/members/not-a-uuid', 400],
      ['PUT', '/api/v1/orgs/acme/members/..%2F..%2Fusers', 400],
      ['DELETE', '/api/v1/orgs/acme/members/%2E%2E', 400],
      ['GET', '/api/v1/orgs/acme/members/extra', 404],
    ])('%s %s → %d', async (method, target, status) => {
      const before = await snapshot('acme');
      const res = await stack.raw(method, target, method === 'PUT' ? { role: 'owner' } : undefined);
      expect(res.status).toBe(status);
      expect(res.body.error).toBe(status === 400 ? 'bad_request' : 'not_found');
      expect(res.body.message).toMatch(/^[A-Z].*\.$/);
      expect(res.text).not.toContain(target);
      expect(res.text).not.toMatch(/%2F|%2E|not-a-uuid|\.\.\/|0-team|Acme|extra/i);
      expect(await snapshot('acme')).toEqual(before);
    });

    it('a wrong role, an unknown field, an unknown user or org', async () => {
      const before = await snapshot('acme');
      const wrongRole = await stack.api('PUT', `/api/v1/orgs/acme/members/${ids.tara}`, { role: 'admin' });
      expect(wrongRole.status).toBe(400);
      expect(wrongRole.body).toEqual({
        error: 'bad_request',
        message: 'Invalid request: role must be one of: owner, member.',
        details: [{ field: 'role', message: 'role must be one of: owner, member' }],
      });
      const unknownField = await stack.api('PUT', `/api/v1/orgs/acme/members/${ids.tara}`, { role: 'member', admin: true });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.details).toEqual([{ field: 'admin', message: 'admin is not a known field' }]);
      const ghost = randomUUID();
      const unknownUser = await stack.api('PUT', `/api/v1/orgs/acme/members/${ghost}`, { role: 'member' });
      expect(unknownUser.status).toBe(404);
      expect(unknownUser.body).toEqual({ error: 'not_found', message: `The user ${ghost} does not exist.` });
      expect((await stack.api('DELETE', `/api/v1/orgs/acme/members/${ghost}`)).status).toBe(404);
      const unknownOrg = await stack.api('PUT', `/api/v1/orgs/nope/members/${ids.tara}`, { role: 'member' });
      expect(unknownOrg.body).toEqual({ error: 'not_found', message: 'The org nope does not exist.' });
      expect((await stack.api('DELETE', '/api/v1/orgs/nope')).status).toBe(404);
      expect((await stack.api('GET', '/api/v1/orgs/nope/members')).status).toBe(404);
      expect(await snapshot('acme')).toEqual(before);
    });
  });

  describe('model ownership', () => {
    it('a model created with org_id and owner_id shows them; PUT changes them; a system model has both null', async () => {
      const system = await stack.api('POST', '/api/v1/models', { ...MODEL, id: 'sys/model' });
      expect(system.body).toMatchObject({ org_id: null, owner_id: null });
      const created = await stack.api('POST', '/api/v1/models', { ...MODEL, id: 'acme/model', org_id: 'acme', owner_id: ids.owner });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: 'acme/model', org_id: 'acme', owner_id: ids.owner });
      expect((await stack.api('GET', enc('acme/model'))).body).toMatchObject({ org_id: 'acme', owner_id: ids.owner });
      const moved = await stack.api('PUT', enc('acme/model'), { owner_id: ids.member, org_id: '0-team' });
      expect(moved.body).toMatchObject({ org_id: '0-team', owner_id: ids.member });
      const cleared = await stack.api('PUT', enc('acme/model'), { owner_id: null });
      expect(cleared.body).toMatchObject({ org_id: '0-team', owner_id: null });
      const back = await stack.api('PUT', enc('acme/model'), { org_id: 'acme', owner_id: ids.owner });
      expect(back.body).toMatchObject({ org_id: 'acme', owner_id: ids.owner });
      expect((await stack.api('GET', '/api/v1/models')).body.find((m: any) => m.id === 'acme/model')).toMatchObject({ org_id: 'acme' });
    });

    it('an unknown org or owner is a 404, a malformed one a 400; nothing is created or changed', async () => {
      const before = await snapshot('acme');
      const ghost = randomUUID();
      const noOrg = await stack.api('POST', '/api/v1/models', { ...MODEL, id: 'x/no-org', org_id: 'nope' });
      expect(noOrg.status).toBe(404);
      expect(noOrg.body).toEqual({ error: 'not_found', message: 'The org nope does not exist.' });
      const noUser = await stack.api('POST', '/api/v1/models', { ...MODEL, id: 'x/no-owner', owner_id: ghost });
      expect(noUser.body).toEqual({ error: 'not_found', message: `The user ${ghost} does not exist.` });
      expect((await stack.api('PUT', enc('acme/model'), { org_id: 'nope' })).status).toBe(404);
      expect((await stack.api('PUT', enc('acme/model'), { owner_id: ghost })).status).toBe(404);
      for (const [field, value] of [
        ['org_id', '../acme'],
        ['org_id', 'Acme'],
        ['owner_id', 'user-owner'],
        ['owner_id', 5],
      ] as const) {
        const res = await stack.api('POST', '/api/v1/models', { ...MODEL, id: 'x/bad', [field]: value });
        expect(res.status, `${field} ${value}`).toBe(400);
        expect(res.body.details).toEqual([{ field, message: expect.stringMatching(new RegExp(`^${field} must be null or`)) }]);
        expect(res.text).not.toContain(String(value) === '5' ? '"5"' : String(value));
        expect((await stack.api('PUT', enc('acme/model'), { [field]: value })).status).toBe(400);
      }
      expect(await snapshot('acme')).toEqual(before);
    });

    it('deleting the org removes its memberships; its models keep existing with org_id null', async () => {
      const deleted = await stack.api('DELETE', '/api/v1/orgs/acme');
      expect(deleted.status).toBe(200);
      expect(deleted.body).toMatchObject({ id: 'acme', name: 'Acme Corp' });
      expect((await stack.api('GET', enc('acme/model'))).body).toMatchObject({ id: 'acme/model', org_id: null, owner_id: ids.owner });
      expect((await stack.api('GET', enc('sys/model'))).body).toMatchObject({ org_id: null });
      expect((await stack.api('GET', '/api/v1/orgs/acme')).status).toBe(404);
      expect((await stack.api('GET', '/api/v1/orgs/acme/members')).status).toBe(404);
      expect((await as('owner', 'GET', '/api/v1/orgs')).body.map((o: any) => o.id)).not.toContain('acme');
      // The memberships are gone (the append-only audit log keeps their history, by design).
      const rows = (await dumpPostgres(stack.pg.url)).split('\n').filter((l) => !l.startsWith('gateway.audit_log'));
      expect(rows.join('\n')).not.toMatch(/\bacme\b.*\b(owner|member)\b/);
      // The id is free again; the new org starts without members.
      expect((await stack.api('POST', '/api/v1/orgs', { id: 'acme' })).status).toBe(201);
      expect((await stack.api('GET', '/api/v1/orgs/acme/members')).body).toEqual([]);
      expect((await stack.api('GET', enc('acme/model'))).body.org_id).toBeNull();
    });
  });

  it('the org routes are in the OpenAPI document with their schemas and bearer auth', async () => {
    const doc = (await stack.api('GET', '/api/docs-json', undefined, null)).body;
    const put = doc.paths['/api/v1/orgs/{org}/members/{user_id}'].put;
    expect(put.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SetMembershipDto' });
    expect(put.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/MembershipViewDto' });
    expect(put.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/orgs'].post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/OrgViewDto' });
    expect(Object.keys(doc.paths['/api/v1/orgs/{org}']).sort()).toEqual(['delete', 'get']);
    expect(doc.paths['/api/v1/orgs/{org}/members'].get).toBeDefined();
    expect(doc.components.schemas.CreateModelDto.properties).toHaveProperty('org_id');
    expect(doc.components.schemas.CreateModelDto.properties).toHaveProperty('owner_id');
  });

  it('no request was answered with a 500, and no token appears in logs, responses or Postgres', async () => {
    expect(stack.responses.filter((r) => /→ 5\d\d$/.test(r.label))).toEqual([]);
    const findings = await scanForSecrets([TOKEN], { texts: [...stack.texts(), { label: 'postgres rows', text: await dumpPostgres(stack.pg.url) }] });
    expect(findings).toEqual([]);
  });
});
