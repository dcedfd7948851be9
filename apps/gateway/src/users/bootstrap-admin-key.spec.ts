import { describe, expect, it } from 'vitest';
import { hashApiKey } from '@helix/secrets';
import type { ApiKeyRepository } from './api-key.repository';
import { BootstrapAdminKey } from './bootstrap-admin-key';
import type { UserRepository } from './user.repository';
import { UsersService } from './users.service';
import { FakeIdentity } from './testing/fake-identity';

const KEY = 'hl-admin-key-for-the-spec-0123456789';
const NEXT = 'hl-rotated-admin-key-0123456789abcdef';

function setup(adminKey: string | undefined, store = new FakeIdentity()) {
  const sut = new BootstrapAdminKey(
    { HELIX_ADMIN_API_KEY: adminKey },
    store.db,
    store.userRepo as UserRepository,
    store.keyRepo as ApiKeyRepository,
    store.recorder,
    store.logger,
    store.caches,
  );
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
  return { store, sut, users };
}

describe('BootstrapAdminKey (HELIX_ADMIN_API_KEY at start)', () => {
  it('creates the admin once, owning the key as its bootstrap key (only the hash stored); a second start changes nothing', async () => {
    const { store, sut } = setup(KEY);
    await sut.onApplicationBootstrap();
    await sut.onApplicationBootstrap();
    expect(store.users).toEqual([expect.objectContaining({ name: 'admin', admin: true })]);
    expect(store.keys).toEqual([
      expect.objectContaining({ userId: store.users[0].id, keyHash: hashApiKey(KEY), prefix: 'hl-admin-', bootstrap: true, revokedAt: null }),
    ]);
    expect(store.audit).toEqual([
      {
        actor_id: null,
        action: 'user.create',
        target: `user:${store.users[0].id}`,
        details: { user_id: store.users[0].id, name: 'admin', admin: true, key_id: store.keys[0].id, prefix: 'hl-admin-', bootstrap: true },
      },
    ]);
    expect(store.logs.map((l) => [l.fields.outcome, l.msg])).toEqual([
      ['created', 'ensured the admin user of HELIX_ADMIN_API_KEY'],
      ['unchanged', 'HELIX_ADMIN_API_KEY is the active bootstrap admin key: nothing to change'],
    ]);
    expect(JSON.stringify([store.users, store.keys, store.audit, store.logs])).not.toContain(KEY);
  });

  it('a new HELIX_ADMIN_API_KEY becomes the bootstrap key of the same admin and revokes the previous one; no second admin', async () => {
    const store = new FakeIdentity();
    await setup(KEY, store).sut.ensure(KEY);
    const [admin] = store.users;
    const [first] = store.keys;
    const { sut, users } = setup(NEXT, store);
    expect(await sut.ensure(NEXT)).toEqual({ outcome: 'rotated', userId: admin.id, keyId: expect.any(String), revokedKeyIds: [first.id] });
    expect(store.users).toEqual([admin]);
    expect(store.keys.map((k) => [k.userId, k.bootstrap, k.revokedAt === null])).toEqual([
      [admin.id, true, false],
      [admin.id, true, true],
    ]);
    expect(await users.authenticate(NEXT)).toMatchObject({ id: admin.id });
    expect(await users.authenticate(KEY)).toBeNull();
    const [, created, revoked] = store.audit;
    expect(created).toEqual({
      actor_id: null,
      action: 'key.create',
      target: `user:${admin.id}`,
      details: { user_id: admin.id, key_id: store.keys[1].id, prefix: 'hl-rotate', bootstrap: true },
    });
    expect(revoked).toEqual({
      actor_id: null,
      action: 'key.revoke',
      target: `user:${admin.id}`,
      details: { user_id: admin.id, key_id: first.id, prefix: 'hl-admin-', bootstrap: true },
    });
    expect(store.audit).toHaveLength(3);
    expect(store.logs.at(-1)).toMatchObject({ level: 'info', fields: { outcome: 'rotated', revoked_key_ids: [first.id] } });
    expect(JSON.stringify([store.audit, store.logs])).not.toMatch(/hl-admin-key-for|hl-rotated-admin-key/);
  });

  it('rotating back to a revoked key leaves it revoked (an admin revoked it on purpose) and says so', async () => {
    const store = new FakeIdentity();
    await setup(KEY, store).sut.ensure(KEY);
    await setup(NEXT, store).sut.ensure(NEXT);
    const before = structuredClone([store.users, store.keys, store.audit]);
    const { sut, users } = setup(KEY, store);
    expect(await sut.ensure(KEY)).toMatchObject({ outcome: 'revoked' });
    expect(structuredClone([store.users, store.keys, store.audit])).toEqual(before);
    expect(await users.authenticate(KEY)).toBeNull();
    expect(store.logs.at(-1)).toMatchObject({ level: 'warn', fields: { outcome: 'revoked' } });
  });

  it('a key of an existing user makes it an admin and the bootstrap key when there is none; "admin" taken → admin-<hash prefix>', async () => {
    const { store, sut } = setup(KEY);
    store.addUser('admin');
    const bob = store.addUser('bob');
    const bobKey = store.addKey(bob.id, hashApiKey(KEY));
    expect(await sut.ensure(KEY)).toEqual({ outcome: 'adopted', userId: bob.id, keyId: bobKey.id, promoted: true, marked: true });
    expect(bob.admin).toBe(true);
    expect(bobKey).toMatchObject({ bootstrap: true, prefix: 'hl-admin-' });
    expect(store.users).toHaveLength(2);

    const fresh = setup(NEXT, new FakeIdentity());
    fresh.store.addUser('admin');
    await fresh.sut.ensure(NEXT);
    expect(fresh.store.users.at(-1)).toMatchObject({ name: `admin-${hashApiKey(NEXT).slice(0, 8)}`, admin: true });
  });

  it('replicas starting together with a new key: one rotates under the lock, the others find it in place', async () => {
    const store = new FakeIdentity();
    await setup(KEY, store).sut.ensure(KEY);
    const outcomes = await Promise.all([1, 2, 3].map(() => setup(NEXT, store).sut.ensure(NEXT)));
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['rotated', 'unchanged', 'unchanged']);
    expect(store.keys.filter((k) => k.revokedAt === null)).toHaveLength(1);
    expect(store.audit.map((a) => a.action)).toEqual(['user.create', 'key.create', 'key.revoke']);
  });

  it('without the lock, replicas would race (the test above depends on it)', async () => {
    const store = new FakeIdentity();
    await setup(KEY, store).sut.ensure(KEY);
    store.lockingEnabled = false;
    const results = await Promise.allSettled([1, 2].map(() => setup(NEXT, store).sut.ensure(NEXT)));
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
  });

  it('does nothing without HELIX_ADMIN_API_KEY', async () => {
    const { store, sut } = setup(undefined);
    await sut.onApplicationBootstrap();
    expect([store.users, store.keys, store.audit, store.logs]).toEqual([[], [], [], []]);
  });
});
