import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Patterns, REQUEST_PURPOSES, GATEWAY_INBOX_PREFIX } from '@helix/contracts';
import { RequestAuthenticator, Secret, SettingsBusCipher } from '@helix/secrets';
import { dumpPostgres, eventually, scanForSecrets, startStack, type Stack } from '@helix/testing';

const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const TOKEN_A = `hf_auditAlpha${Date.now()}xyz`;
const TOKEN_B = `hf_auditBravo${Date.now()}xyz`;
const TOKEN_C = `hf_auditCharlie${Date.now()}xyz`;
const MODEL = { id: 'audit/model-one', name: 'Audit', type: 'embed', runtime: 'vllm', memory: '1GB', enabled: false };

/** docs/reference/rest.md end to end: every action recorded once, by the right actor, with fingerprints only. */
describe('audit log', () => {
  let stack: Stack;
  let admin: { id: string; name: string };
  let alice: { id: string; api_key: string };
  const audit = async (query = '', key: string | null = stack.adminKey) => stack.api('GET', `/api/v1/audit${query}`, undefined, key);
  const all = async () => (await audit('?limit=200')).body.items as any[];

  beforeAll(async () => {
    stack = await startStack();
    admin = (await stack.api('GET', '/api/v1/users/me')).body;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('records every change and refused admin call exactly once, with its actor, target and details', async () => {
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_A })).status).toBe(200);
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_B })).status).toBe(200);
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: null })).status).toBe(200);
    alice = (await stack.api('POST', '/api/v1/users', { name: 'alice', admin: false })).body;
    expect((await stack.api('POST', '/api/v1/models', MODEL)).status).toBe(201);
    expect((await stack.api('PUT', `/api/v1/models/${MODEL.id}`, { description: 'changed', enabled: false })).status).toBe(200);
    expect((await stack.api('DELETE', `/api/v1/models/${MODEL.id}`)).status).toBe(200);
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_C }, alice.api_key)).status).toBe(403);

    const items = await eventually(
      async () => {
        const list = await all();
        return list.filter((e) => e.action !== 'user.create' || e.actor_id !== null).length >= 8 ? list : null;
      },
      20_000,
      'every audit entry',
    );
    const mine = items.filter((e) => !(e.action === 'user.create' && e.actor_id === null)); // the start-up admin is recorded too
    const byAdmin = { actor_id: admin.id, actor_name: admin.name };
    expect(mine.map((e) => e.action)).toEqual([
      'access.denied',
      'model.delete',
      'model.update',
      'model.create',
      'user.create',
      'token.clear',
      'token.set',
      'token.set',
    ]);
    const [denied, deleted, updated, created, user, cleared, setB, setA] = mine;
    expect(setA).toMatchObject({
      ...byAdmin,
      target: 'global',
      details: { scope: 'global', scope_id: null, version: 1, old_fingerprint: null, new_fingerprint: fp(TOKEN_A) },
    });
    expect(setB).toMatchObject({ ...byAdmin, target: 'global', details: { version: 2, old_fingerprint: fp(TOKEN_A), new_fingerprint: fp(TOKEN_B) } });
    expect(cleared).toMatchObject({ ...byAdmin, target: 'global', details: { version: 3, old_fingerprint: fp(TOKEN_B), new_fingerprint: null } });
    expect(user).toMatchObject({ ...byAdmin, target: `user:${alice.id}`, details: { user_id: alice.id, name: 'alice', admin: false } });
    expect(created).toMatchObject({
      ...byAdmin,
      target: `model:${MODEL.id}`,
      details: { model_id: MODEL.id, fields: expect.arrayContaining(['id', 'memory']) },
    });
    expect(updated).toMatchObject({ ...byAdmin, target: `model:${MODEL.id}`, details: { model_id: MODEL.id, fields: ['description', 'enabled'] } });
    expect(deleted).toMatchObject({ ...byAdmin, target: `model:${MODEL.id}`, details: { model_id: MODEL.id, fields: [] } });
    expect(denied).toMatchObject({
      actor_id: alice.id,
      actor_name: 'alice',
      target: 'route:PUT /api/v1/system/settings',
      details: { method: 'PUT', route: '/api/v1/system/settings' },
    });
    expect(new Set(items.map((e) => e.id)).size).toBe(items.length);
    // The refused call changed nothing.
    expect((await stack.api('GET', '/api/v1/system/settings')).body).toMatchObject({ huggingface_token_set: false, version: 3 });
  });

  it('records org create, member set, member remove and org delete once each, by the admin, with ids only', async () => {
    const bob = (await stack.api('POST', '/api/v1/users', { name: 'audit-bob' })).body;
    expect((await stack.api('POST', '/api/v1/orgs', { id: 'audit-org', name: 'Audit Org' })).status).toBe(201);
    expect((await stack.api('PUT', `/api/v1/orgs/audit-org/members/${bob.id}`, { role: 'owner' })).status).toBe(200);
    expect((await stack.api('DELETE', `/api/v1/orgs/audit-org/members/${bob.id}`)).status).toBe(200);
    expect((await stack.api('DELETE', '/api/v1/orgs/audit-org')).status).toBe(200);
    // A refused change records nothing: the org is gone now.
    expect((await stack.api('PUT', `/api/v1/orgs/audit-org/members/${bob.id}`, { role: 'member' })).status).toBe(404);
    const entries = (await audit('?target=org:audit-org')).body.items as any[];
    expect(entries.map((e) => e.action)).toEqual(['org.delete', 'org.member.remove', 'org.member.set', 'org.create']);
    for (const e of entries) expect(e).toMatchObject({ actor_id: admin.id, actor_name: admin.name, target: 'org:audit-org' });
    expect(entries[3].details).toEqual({ org_id: 'audit-org', name: 'Audit Org' });
    expect(entries[2].details).toEqual({ org_id: 'audit-org', user_id: bob.id, role: 'owner' });
    expect(entries[1].details).toEqual({ org_id: 'audit-org', user_id: bob.id });
    expect(entries[0].details).toMatchObject({ org_id: 'audit-org', models_detached: 0 });
    expect(JSON.stringify(entries)).not.toContain(bob.api_key);
  });

  it('pages newest first with a cursor: every entry once, no gaps', async () => {
    const everything = await all();
    const walked: any[] = [];
    let next: string | null = null;
    do {
      const page: any = await audit(`?limit=2${next ? `&before=${encodeURIComponent(next)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      walked.push(...page.body.items);
      next = page.body.next;
    } while (next);
    expect(walked.map((e) => e.id)).toEqual(everything.map((e) => e.id));
    const times = walked.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect((await audit()).body.next).toBeNull(); // fewer than 50: one page
  });

  it('filters by target and by action', async () => {
    const global = (await audit('?target=global')).body.items;
    expect(global.map((e: any) => e.action)).toEqual(['token.clear', 'token.set', 'token.set']);
    const updates = (await audit('?action=model.update')).body.items;
    expect(updates).toHaveLength(1);
    const both = (await audit(`?target=${encodeURIComponent(`model:${MODEL.id}`)}&action=model.delete`)).body.items;
    expect(both.map((e: any) => e.action)).toEqual(['model.delete']);
    expect((await audit('?target=org:nobody')).body).toEqual({ items: [], next: null });
  });

  it('refuses bad query input with 400 in one sentence that does not repeat it, and changes nothing', async () => {
    const before = await all();
    const canary = 'hf_queryCanary0123456789';
    for (const query of [
      '?limit=0',
      '?limit=201',
      '?limit=abc',
      `?limit=${canary}`,
      `?action=${canary}`,
      '?action=token.stolen',
      `?before=${canary}`,
      `?${canary}=1`,
      '?limit=1&limit=2',
    ]) {
      const res = await audit(query);
      expect(res.status, query).toBe(400);
      expect(res.body, query).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/^Invalid query: [^\n]*\.$/) });
      expect(res.text, query).not.toContain(canary);
      expect(res.text, query).not.toContain('stolen');
    }
    expect((await all()).map((e) => e.id)).toEqual(before.map((e) => e.id));
  });

  it('is for admins: a user gets 403 (and is recorded), no key 401', async () => {
    const res = await audit('', alice.api_key);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'forbidden' });
    expect((await audit('', null)).status).toBe(401);
    expect((await audit('?limit=1')).body.items[0]).toMatchObject({
      action: 'access.denied',
      actor_id: alice.id,
      details: { method: 'GET', route: '/api/v1/audit' },
    });
  });

  it('a token change made while no gateway runs is recorded once the gateway is back', async () => {
    await stack.gateway.stop();
    // As the gateway sends it: the services answer only on its inbox prefix.
    const nc = await stack.connectNats('admin', { inboxPrefix: GATEWAY_INBOX_PREFIX });
    try {
      const sealed = SettingsBusCipher.fromBase64(stack.settingsKey).sealUpdateRequest(Secret.of(TOKEN_C));
      // What the gateway sends (Nest's NATS transport framing, its proof over the request), straight to the settings-service.
      const data = { updated_by: admin.id, huggingface_token: sealed };
      const auth = RequestAuthenticator.fromBase64(stack.settingsKey).authenticate(REQUEST_PURPOSES.update, data);
      const reply = await nc.request(
        Patterns.settingsUpdate,
        JSON.stringify({ pattern: Patterns.settingsUpdate, id: 'audit-e2e-1', data: { ...data, auth } }),
        {
          timeout: 10_000,
        },
      );
      expect(JSON.parse(reply.string()).response).toMatchObject({ version: 4, huggingface_token_fingerprint: fp(TOKEN_C) });
    } finally {
      await nc.close();
    }
    await stack.startGateway();
    const entry = await eventually(
      async () => (await audit('?action=token.set&limit=1')).body.items.find((e: any) => e.details.version === 4),
      20_000,
      'the v4 entry',
    );
    expect(entry).toMatchObject({ actor_id: admin.id, target: 'global', details: { old_fingerprint: null, new_fingerprint: fp(TOKEN_C) } });
    expect((await audit('?target=global')).body.items.filter((e: any) => e.details.version === 4)).toHaveLength(1);
  });

  it('no token value in the audit table, any response or any log', async () => {
    const dump = await dumpPostgres(stack.pg.url);
    const auditRows = dump.split('\n').filter((l) => l.startsWith('gateway.audit_log'));
    expect(auditRows.length).toBeGreaterThanOrEqual(10);
    expect(auditRows.join('\n')).not.toContain(alice.api_key);
    expect(auditRows.join('\n')).not.toContain(stack.adminKey);
    const findings = await scanForSecrets([TOKEN_A, TOKEN_B, TOKEN_C], { texts: [...stack.texts(), { label: 'postgres dump', text: dump }] });
    expect(findings).toEqual([]);
  });
});
