import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogs, dumpPostgres, eventually, repoRoot, scanForSecrets, startStack, type Stack } from '@helix/testing';

/**
 * The API key lifecycle (issue 10, item 3) against the real stack: more keys per user, lists that
 * show prefixes only, revocation that takes effect at once, the last-own-key rule, user delete, the
 * audit entries, the `helix user key` commands, and the rotation of HELIX_ADMIN_API_KEY across two
 * gateway replicas restarting together. Every key the suite saw is looked for in every response
 * after its creation, every log line and every Postgres row.
 */
const CLI = join(repoRoot(), 'dist/apps/cli/main.js');
const KEY_VIEW = { id: expect.any(String), prefix: expect.stringMatching(/^hl-[A-Za-z0-9_-]{6}$/), created: expect.any(String) };

interface User {
  id: string;
  name: string;
  api_key: string;
}

function helix(args: string[], key: string, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, HELIX_URL: url, HELIX_API_KEY: key }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

describe('API keys: list, create, revoke; user delete; HELIX_ADMIN_API_KEY rotation', () => {
  let stack: Stack;
  let alice: User;
  let bob: User;
  const firstAdminKey = () => keys.bootstrap[0];
  /** Every key the suite saw, and the number of responses recorded before it was created (the one response allowed to show it). */
  const seen: Array<{ key: string; after: number }> = [];
  const keys = { bootstrap: [] as string[] };
  /** A key is in exactly one response: the one that created it. */
  const created = (key: string) => seen.push({ key, after: stack.responses.length - 1 });
  const as = (key: string | null, method: string, path: string, body?: unknown) => stack.api(method, path, body, key);
  const me = async (key: string) => (await as(key, 'GET', '/api/v1/users/me')).status;
  const auditOf = async (target: string, action: string) =>
    (await stack.api('GET', `/api/v1/audit?target=${encodeURIComponent(target)}&action=${action}`)).body.items as any[];

  beforeAll(async () => {
    stack = await startStack();
    keys.bootstrap.push(stack.adminKey);
    seen.push({ key: stack.adminKey, after: -1 }); // never in any response
    for (const name of ['alice', 'bob']) {
      const res = await stack.api('POST', '/api/v1/users', { name, admin: false });
      expect(res.status).toBe(201);
      created(res.body.api_key);
      if (name === 'alice') alice = res.body;
      else bob = res.body;
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a user has one key after creation, listed with its prefix and times only', async () => {
    const res = await as(alice.api_key, 'GET', '/api/v1/users/me/keys');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ ...KEY_VIEW, prefix: alice.api_key.slice(0, 9), revoked: null, bootstrap: false }]);
    expect(Object.keys(res.body[0]).sort()).toEqual(['bootstrap', 'created', 'id', 'prefix', 'revoked']);
    expect((await stack.api('GET', `/api/v1/users/${alice.id}/keys`)).body).toEqual(res.body);
  });

  it('creating a second key (yourself, or an admin for you): shown once, both work, the list shows prefixes only', async () => {
    const mine = await as(alice.api_key, 'POST', '/api/v1/users/me/keys');
    expect(mine.status).toBe(201);
    expect(mine.body).toEqual({ ...KEY_VIEW, api_key: expect.stringMatching(/^hl-[A-Za-z0-9_-]{43}$/) });
    expect(mine.body.prefix).toBe(mine.body.api_key.slice(0, 9));
    created(mine.body.api_key);
    const byAdmin = await stack.api('POST', `/api/v1/users/${alice.id}/keys`, {});
    expect(byAdmin.status).toBe(201);
    created(byAdmin.body.api_key);
    for (const key of [alice.api_key, mine.body.api_key, byAdmin.body.api_key]) expect(await me(key)).toBe(200);
    expect((await as(mine.body.api_key, 'GET', '/api/v1/users/me')).body.id).toBe(alice.id);
    const list = (await as(mine.body.api_key, 'GET', '/api/v1/users/me/keys')).body;
    expect(list.map((k: any) => [k.id, k.prefix, k.revoked])).toEqual([
      [expect.any(String), alice.api_key.slice(0, 9), null],
      [mine.body.id, mine.body.prefix, null],
      [byAdmin.body.id, byAdmin.body.prefix, null],
    ]);
    // A body with a field is refused like an unknown field; nothing is created.
    const refused = await as(alice.api_key, 'POST', '/api/v1/users/me/keys', { admin: true });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'bad_request', details: [{ field: 'admin', message: 'admin is not a known field' }] });
    expect((await as(alice.api_key, 'GET', '/api/v1/users/me/keys')).body).toHaveLength(3);
  });

  it('revoking a key refuses it at once; the others still work; revoking again answers 200 with the same view; one audit entry', async () => {
    const before = (await as(alice.api_key, 'GET', '/api/v1/users/me/keys')).body;
    const victim = before[1];
    const victimKey = seen.find((s) => s.key.startsWith(victim.prefix))!.key;
    const res = await as(alice.api_key, 'DELETE', `/api/v1/users/me/keys/${victim.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...victim, revoked: expect.any(String) });
    expect(await me(victimKey)).toBe(401);
    expect((await as(victimKey, 'GET', '/api/v1/users/me/keys')).body).toEqual({ error: 'unauthorized', message: 'The API key is not valid.' });
    expect(await me(alice.api_key)).toBe(200);
    const again = await stack.api('DELETE', `/api/v1/users/${alice.id}/keys/${victim.id}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    const entries = await eventually(async () => ((await auditOf(`user:${alice.id}`, 'key.revoke')).length ? auditOf(`user:${alice.id}`, 'key.revoke') : null));
    expect(entries).toEqual([
      expect.objectContaining({
        actor_id: alice.id,
        actor_name: 'alice',
        action: 'key.revoke',
        details: { user_id: alice.id, key_id: victim.id, prefix: victim.prefix },
      }),
    ]);
    const creates = await auditOf(`user:${alice.id}`, 'key.create');
    expect(creates.map((e) => [e.actor_name, e.details.user_id])).toEqual([
      ['admin', alice.id],
      ['alice', alice.id],
    ]);
    for (const e of creates) expect(Object.keys(e.details).sort()).toEqual(['key_id', 'prefix', 'user_id']);
    expect((await auditOf(`user:${alice.id}`, 'user.create'))[0].details).toMatchObject({ key_id: before[0].id, prefix: before[0].prefix });
  });

  it("a non-admin manages their own keys by id too, gets 403 on another user's, and cannot revoke their own last key", async () => {
    const bobKeys = (await stack.api('GET', `/api/v1/users/${bob.id}/keys`)).body;
    const forbidden = { error: 'forbidden', message: "Only an admin or the user themself may see or change a user's API keys." };
    for (const [method, path] of [
      ['GET', `/api/v1/users/${bob.id}/keys`],
      ['POST', `/api/v1/users/${bob.id}/keys`],
      ['DELETE', `/api/v1/users/${bob.id}/keys/${bobKeys[0].id}`],
    ]) {
      const res = await as(alice.api_key, method, path);
      expect([method, path, res.status, res.body]).toEqual([method, path, 403, forbidden]);
    }
    expect((await stack.api('GET', `/api/v1/users/${bob.id}/keys`)).body).toEqual(bobKeys);
    expect(await me(bob.api_key)).toBe(200);

    // Bob's only key: he may not revoke it (either path); an admin could.
    for (const path of [`/api/v1/users/me/keys/${bobKeys[0].id}`, `/api/v1/users/${bob.id}/keys/${bobKeys[0].id}`]) {
      const last = await as(bob.api_key, 'DELETE', path);
      expect(last.status).toBe(400);
      expect(last.body).toEqual({
        error: 'bad_request',
        message: 'This is your last active API key: create another one first (POST /api/v1/users/me/keys), so that you do not lock yourself out.',
      });
    }
    expect(await me(bob.api_key)).toBe(200);
    // With a second key (created by his own id) he can rotate: revoke the first, keep using the second.
    const second = await as(bob.api_key, 'POST', `/api/v1/users/${bob.id}/keys`);
    expect(second.status).toBe(201);
    created(second.body.api_key);
    expect((await as(second.body.api_key, 'DELETE', `/api/v1/users/${bob.id}/keys/${bobKeys[0].id}`)).status).toBe(200);
    expect(await me(bob.api_key)).toBe(401);
    expect(await me(second.body.api_key)).toBe(200);
    bob = { ...bob, api_key: second.body.api_key };
  });

  it('malformed ids are 400, unknown users and keys 404, no or unknown key 401', async () => {
    const ghost = '00000000-0000-4000-8000-000000000000';
    const cases: Array<[string, string, number]> = [
      ['GET', '/api/v1/users/not-a-uuid/keys', 400],
      ['DELETE', `/api/v1/users/${alice.id}/keys/not-a-uuid`, 400],
      ['DELETE', '/api/v1/users/me/keys/ABCDEF00-0000-4000-8000-000000000000', 400],
      ['GET', `/api/v1/users/${ghost}/keys`, 404],
      ['POST', `/api/v1/users/${ghost}/keys`, 404],
      ['DELETE', `/api/v1/users/${alice.id}/keys/${ghost}`, 404],
    ];
    for (const [method, path, status] of cases) {
      const res = await stack.api(method, path);
      expect([method, path, res.status]).toEqual([method, path, status]);
      expect(res.body.error).toBe(status === 400 ? 'bad_request' : 'not_found');
      expect(res.body.message).not.toMatch(/not-a-uuid|ABCDEF00/);
    }
    // Bob's key under Alice's path: not one of hers.
    const bobKeyId = (await stack.api('GET', `/api/v1/users/${bob.id}/keys`)).body[0].id;
    expect((await stack.api('DELETE', `/api/v1/users/${alice.id}/keys/${bobKeyId}`)).status).toBe(404);
    expect((await as(null, 'GET', '/api/v1/users/me/keys')).status).toBe(401);
    expect((await as('hl-unknown-000000000000000000', 'POST', '/api/v1/users/me/keys')).status).toBe(401);
  });

  it('helix user key list|create|revoke: the key printed once, --json, 403 relayed', async () => {
    const create = await helix(['user', 'key', 'create'], bob.api_key, stack.url);
    expect(create).toMatchObject({ code: 0, stderr: '' });
    const [, cliKey] = /^API key: (hl-\S+)$/m.exec(create.stdout)!;
    stack.responses.push({ label: 'helix user key create', text: create.stdout });
    created(cliKey);
    expect(create.stdout).toMatch(/This key is shown only once and stored only as a hash: save it now\./);
    expect(await me(cliKey)).toBe(200);
    const list = await helix(['user', 'key', 'list', '--json'], cliKey, stack.url);
    const listed = JSON.parse(list.stdout);
    expect(listed.map((k: any) => k.prefix)).toContain(cliKey.slice(0, 9));
    const table = await helix(['user', 'key', 'list'], cliKey, stack.url);
    expect(table.stdout).toMatch(/^ID\s+PREFIX\s+CREATED\s+STATE\s+BOOTSTRAP\n/);
    const cliKeyId = listed.find((k: any) => k.prefix === cliKey.slice(0, 9)).id;
    const revoke = await helix(['user', 'key', 'revoke', cliKeyId, '--user', bob.id, '--json'], bob.api_key, stack.url);
    expect(revoke.code).toBe(0);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ id: cliKeyId, revoked: expect.any(String) });
    expect(await me(cliKey)).toBe(401);
    const denied = await helix(['user', 'key', 'list', '--user', alice.id], bob.api_key, stack.url);
    expect(denied).toMatchObject({ code: 1, stdout: '' });
    expect(denied.stderr).toMatch(/^error: permission denied: Only an admin or the user themself may see or change a user's API keys/);
    for (const r of [list, table, revoke, denied]) stack.responses.push({ label: 'helix output', text: r.stdout + r.stderr });
  });

  it('deleting a user stops every key of theirs at once', async () => {
    const carol = (await stack.api('POST', '/api/v1/users', { name: 'carol' })).body;
    created(carol.api_key);
    const extra = (await as(carol.api_key, 'POST', '/api/v1/users/me/keys')).body;
    created(extra.api_key);
    expect(await me(extra.api_key)).toBe(200);
    const deleted = await stack.api('DELETE', `/api/v1/users/${carol.id}`);
    expect(deleted.status).toBe(200);
    expect(await me(carol.api_key)).toBe(401);
    expect(await me(extra.api_key)).toBe(401);
    expect((await stack.api('GET', `/api/v1/users/${carol.id}/keys`)).status).toBe(404);
    const [entry] = await eventually(() => auditOf(`user:${carol.id}`, 'user.delete').then((e) => (e.length ? e : null)));
    expect(entry.details).toMatchObject({ user_id: carol.id, keys_revoked: 2 });
  });

  it('the key routes are in the OpenAPI document with their schemas', async () => {
    const doc = (await stack.api('GET', '/api/docs-json', undefined, null)).body;
    const keysPath = doc.paths['/api/v1/users/{user_id}/keys'];
    expect(keysPath.get.responses['200'].content['application/json'].schema).toEqual({ type: 'array', items: { $ref: '#/components/schemas/ApiKeyViewDto' } });
    expect(keysPath.post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreatedApiKeyViewDto' });
    expect(doc.paths['/api/v1/users/me/keys/{key_id}'].delete.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ApiKeyViewDto',
    });
    expect(doc.paths['/api/v1/users/{user_id}/keys/{key_id}'].delete.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(doc.components.schemas.ApiKeyViewDto.properties).sort()).toEqual(['bootstrap', 'created', 'id', 'prefix', 'revoked']);
  });

  it('a new HELIX_ADMIN_API_KEY (two replicas restarting together) becomes the key of the same admin and revokes the previous one', async () => {
    const adminBefore = (await stack.api('GET', '/api/v1/users/me')).body;
    const usersBefore = (await stack.api('GET', '/api/v1/users')).body;
    const [bootstrap] = (await stack.api('GET', '/api/v1/users/me/keys')).body;
    expect(bootstrap).toMatchObject({ bootstrap: true, revoked: null, prefix: firstAdminKey().slice(0, 9) });

    const next = `hl-${randomBytes(32).toString('base64url')}`;
    keys.bootstrap.push(next);
    seen.push({ key: next, after: -1 }); // never in any response
    const gateways = await stack.restartGateway({ adminKey: next, replicas: 2 });
    const lines = await Promise.all(gateways.map((g) => g.waitFor((l) => l.outcome !== undefined && /HELIX_ADMIN_API_KEY/.test(l.msg))));
    expect(lines.map((l) => l.outcome).sort()).toEqual(['rotated', 'unchanged']);
    const rotated = lines.find((l) => l.outcome === 'rotated');
    expect(rotated).toMatchObject({ user_id: adminBefore.id, revoked_key_ids: [bootstrap.id] });

    expect(await me(next)).toBe(200);
    expect(await me(firstAdminKey())).toBe(401);
    const users = (await stack.api('GET', '/api/v1/users')).body;
    expect(users).toEqual(usersBefore);
    expect(users.filter((u: any) => u.admin)).toEqual([adminBefore]);
    expect((await stack.api('GET', '/api/v1/users/me')).body).toEqual(adminBefore);
    const adminKeys = (await stack.api('GET', '/api/v1/users/me/keys')).body;
    expect(adminKeys).toEqual([
      { ...bootstrap, revoked: expect.any(String) },
      { ...KEY_VIEW, prefix: next.slice(0, 9), revoked: null, bootstrap: true },
    ]);
    const creates = await auditOf(`user:${adminBefore.id}`, 'key.create');
    const revoked = await auditOf(`user:${adminBefore.id}`, 'key.revoke');
    expect(creates).toEqual([
      expect.objectContaining({ actor_id: null, details: { user_id: adminBefore.id, key_id: adminKeys[1].id, prefix: adminKeys[1].prefix, bootstrap: true } }),
    ]);
    expect(revoked).toEqual([
      expect.objectContaining({ actor_id: null, details: { user_id: adminBefore.id, key_id: bootstrap.id, prefix: bootstrap.prefix, bootstrap: true } }),
    ]);

    // Another start with the same key changes nothing.
    const [again] = await stack.restartGateway();
    expect((await again.waitFor((l) => l.outcome !== undefined)).outcome).toBe('unchanged');
    expect((await stack.api('GET', '/api/v1/users/me/keys')).body).toEqual(adminKeys);
    expect(await me(alice.api_key)).toBe(200);
  });

  it('no key appears in any response after its creation, in any log line or in Postgres', async () => {
    for (const { key, after } of seen) {
      expect(
        stack.responses
          .slice(after + 1)
          .filter((r) => r.text.includes(key))
          .map((r) => r.label),
      ).toEqual([]);
    }
    // Logs and rows: never a key, not even the one being created.
    const findings = await scanForSecrets(
      seen.map((s) => s.key),
      { texts: [...capturedLogs(), { label: 'postgres rows', text: await dumpPostgres(stack.pg.url) }] },
    );
    expect(findings).toEqual([]);
    expect(stack.responses.filter((r) => /→ 5\d\d$/.test(r.label))).toEqual([]);
  });
});
