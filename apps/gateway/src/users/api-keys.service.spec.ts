import { describe, expect, it } from 'vitest';
import type { ErrorBody } from '@helix/contracts';
import { hashApiKey } from '@helix/secrets';
import type { ApiError } from '../http/errors';
import type { ApiKeyRepository } from './api-key.repository';
import { ApiKeysService } from './api-keys.service';
import type { UserRepository } from './user.repository';
import { UsersService } from './users.service';
import { FakeIdentity } from './testing/fake-identity';

function setup() {
  const store = new FakeIdentity();
  const sut = new ApiKeysService(store.db, store.keyRepo as ApiKeyRepository, store.userRepo as UserRepository, store.recorder, store.logger, store.caches);
  const users = new UsersService(
    store.userRepo as UserRepository,
    store.keyRepo as ApiKeyRepository,
    store.logger,
    store.recorder,
    store.db,
    undefined as never,
    undefined as never,
    store.caches,
  );
  const admin = store.addUser('admin', true);
  store.addKey(admin.id, hashApiKey('hl-admin-000000000000000000'), { prefix: 'hl-admin-', bootstrap: true });
  const alice = store.addUser('alice');
  const aliceKey = store.addKey(alice.id, hashApiKey('hl-alice-000000000000000000'), { prefix: 'hl-alice-' });
  const bob = store.addUser('bob');
  store.addKey(bob.id, hashApiKey('hl-bob-00000000000000000000'), { prefix: 'hl-bob-00' });
  return { store, sut, users, admin, alice, aliceKey, bob };
}

/** The error body (docs/reference/rest.md shape) and status of a refused call. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; body: ErrorBody }> {
  const err = (await call.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  )) as ApiError;
  return { status: err.getStatus(), body: err.body };
}

describe('ApiKeysService', () => {
  it('a user creates a second key (shown once, only its hash stored); both work; the list shows prefixes and times only', async () => {
    const { store, sut, users, alice, aliceKey } = setup();
    const created = await sut.create(alice.id, alice);
    expect(created).toEqual({
      id: expect.any(String),
      prefix: created.api_key.slice(0, 9),
      created: expect.any(String),
      api_key: expect.stringMatching(/^hl-/),
    });
    expect(await users.authenticate(created.api_key)).toMatchObject({ id: alice.id });
    expect(await users.authenticate('hl-alice-000000000000000000')).toMatchObject({ id: alice.id });
    const list = await sut.list(alice.id, alice);
    expect(list).toEqual([
      { id: aliceKey.id, prefix: 'hl-alice-', created: aliceKey.createdAt.toISOString(), revoked: null, bootstrap: false },
      { id: created.id, prefix: created.prefix, created: created.created, revoked: null, bootstrap: false },
    ]);
    expect(JSON.stringify([list, store.keys, store.audit, store.logs])).not.toContain(created.api_key);
    expect(JSON.stringify(list)).not.toContain(hashApiKey(created.api_key));
    expect(store.audit).toEqual([
      { actor_id: alice.id, action: 'key.create', target: `user:${alice.id}`, details: { user_id: alice.id, key_id: created.id, prefix: created.prefix } },
    ]);
  });

  it('revoking stops the key at once and is recorded once; revoking it again answers the same view and records nothing', async () => {
    const { store, sut, users, alice, aliceKey } = setup();
    const second = await sut.create(alice.id, alice);
    const revoked = await sut.revoke(alice.id, aliceKey.id, alice);
    expect(revoked).toMatchObject({ id: aliceKey.id, prefix: 'hl-alice-', revoked: expect.any(String) });
    expect(await users.authenticate('hl-alice-000000000000000000')).toBeNull();
    expect(await users.authenticate(second.api_key)).toMatchObject({ id: alice.id });
    expect(await sut.revoke(alice.id, aliceKey.id, alice)).toEqual(revoked);
    expect(store.audit.filter((a) => a.action === 'key.revoke')).toEqual([
      { actor_id: alice.id, action: 'key.revoke', target: `user:${alice.id}`, details: { user_id: alice.id, key_id: aliceKey.id, prefix: 'hl-alice-' } },
    ]);
    expect((await sut.list(alice.id, alice)).map((k) => k.revoked !== null)).toEqual([true, false]);
  });

  it('nobody revokes their own last active key (400, nothing changes); an admin may revoke another user’s last key', async () => {
    const { store, sut, users, admin, alice, aliceKey, bob } = setup();
    const mine = await refusal(sut.revoke(alice.id, aliceKey.id, alice));
    expect(mine).toEqual({
      status: 400,
      body: { error: 'bad_request', message: expect.stringMatching(/^This is your last active API key: create another one first/) },
    });
    const adminKey = store.keys.find((k) => k.userId === admin.id)!;
    expect((await refusal(sut.revoke(admin.id, adminKey.id, admin))).status).toBe(400);
    expect(store.keys.every((k) => k.revokedAt === null)).toBe(true);
    expect(store.audit).toEqual([]);
    const bobKey = store.keys.find((k) => k.userId === bob.id)!;
    expect(await sut.revoke(bob.id, bobKey.id, admin)).toMatchObject({ revoked: expect.any(String) });
    expect(await users.authenticate('hl-bob-00000000000000000000')).toBeNull();
  });

  it("a non-admin gets 403 on another user's keys and changes nothing; an admin manages anyone's", async () => {
    const { store, sut, admin, alice, bob } = setup();
    const bobKey = store.keys.find((k) => k.userId === bob.id)!;
    const forbidden = { status: 403, body: { error: 'forbidden', message: "Only an admin or the user themself may see or change a user's API keys." } };
    expect(await refusal(sut.list(bob.id, alice))).toEqual(forbidden);
    expect(await refusal(sut.create(bob.id, alice))).toEqual(forbidden);
    expect(await refusal(sut.revoke(bob.id, bobKey.id, alice))).toEqual(forbidden);
    expect(store.keys).toHaveLength(3);
    expect(store.audit).toEqual([]);
    expect(await sut.list(bob.id, admin)).toHaveLength(1);
    const created = await sut.create(bob.id, admin);
    expect(store.audit).toEqual([
      { actor_id: admin.id, action: 'key.create', target: `user:${bob.id}`, details: { user_id: bob.id, key_id: created.id, prefix: created.prefix } },
    ]);
  });

  it('malformed ids are 400 (never repeated), an unknown user or key 404, another user’s key under this user 404', async () => {
    const { store, sut, admin, alice, bob } = setup();
    const bobKey = store.keys.find((k) => k.userId === bob.id)!;
    const ghost = '00000000-0000-4000-8000-000000000000';
    for (const bad of ['nope', '..%2F', 'AAAAAAAA-0000-4000-8000-000000000000']) {
      const res = await refusal(sut.list(bad, admin));
      expect(res).toMatchObject({ status: 400, body: { error: 'bad_request', details: [{ field: 'user_id' }] } });
      expect(res.body.message).not.toContain(bad);
      expect(await refusal(sut.revoke(alice.id, bad, alice))).toMatchObject({ status: 400, body: { details: [{ field: 'key_id' }] } });
    }
    expect(await refusal(sut.list(ghost, admin))).toEqual({ status: 404, body: { error: 'not_found', message: `The user ${ghost} does not exist.` } });
    expect(await refusal(sut.create(ghost, alice))).toMatchObject({ status: 404 });
    expect(await refusal(sut.revoke(alice.id, ghost, alice))).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await refusal(sut.revoke(alice.id, bobKey.id, admin))).toMatchObject({ status: 404 });
    expect(bobKey.revokedAt).toBeNull();
  });
});
