import { ConflictException } from '@nestjs/common';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { hashApiKey } from '@helix/secrets';
import type { ApiKeyRepository } from './api-key.repository';
import type { UserRepository } from './user.repository';
import { UsersService } from './users.service';
import { FakeIdentity } from './testing/fake-identity';
import { READ_CACHE_TTL_MS } from '../cache/read-caches';

function service() {
  const store = new FakeIdentity();
  const sut = new UsersService(
    store.userRepo as UserRepository,
    store.keyRepo as ApiKeyRepository,
    store.logger,
    store.recorder,
    store.db,
    ...unusedHere(),
    store.caches,
  );
  return { store, sut };
}

describe('UsersService', () => {
  it('authenticates an active key, and refuses an unknown or revoked one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    const { store, sut } = service();
    const bob = store.addUser('bob');
    store.addKey(bob.id, hashApiKey('hl-bob-first-key-000000000000'), { prefix: 'hl-bob-fi' });
    const revoked = store.addKey(bob.id, hashApiKey('hl-bob-old-key-0000000000000'), { prefix: 'hl-bob-ol' });
    expect(await sut.authenticate('hl-bob-first-key-000000000000')).toMatchObject({ id: bob.id, name: 'bob' });
    expect(await sut.authenticate('hl-bob-old-key-0000000000000')).toMatchObject({ id: bob.id });
    // Revoked through another replica: this one remembers the key for up to READ_CACHE_TTL_MS, then asks again.
    revoked.revokedAt = store.now();
    expect(await sut.authenticate('hl-bob-old-key-0000000000000')).toMatchObject({ id: bob.id });
    vi.advanceTimersByTime(READ_CACHE_TTL_MS);
    expect(await sut.authenticate('hl-bob-old-key-0000000000000')).toBeNull();
    expect(await sut.authenticate('hl-bob-first-key-000000000000x')).toBeNull();
  });

  it('records the prefix of a key migrated without one when its owner presents it', async () => {
    const { store, sut } = service();
    const bob = store.addUser('bob');
    const key = store.addKey(bob.id, hashApiKey('hl-legacyKey-0123456789abcdef-0123456789abcdef'));
    await sut.authenticate('hl-legacyKey-0123456789abcdef-0123456789abcdef');
    await new Promise((r) => setImmediate(r));
    expect(key.prefix).toBe('hl-legacy');
  });

  it('creates a user with its first key shown once (only the hash is stored), and refuses a taken name without repeating it', async () => {
    const { store, sut } = service();
    const created = await sut.create({ name: 'alice', admin: false }, 'admin-id');
    expect(created).toMatchObject({ name: 'alice', admin: false, api_key: expect.stringMatching(/^hl-[A-Za-z0-9_-]{43}$/) });
    expect(store.keys).toEqual([
      expect.objectContaining({
        userId: created.id,
        keyHash: hashApiKey(created.api_key),
        prefix: created.api_key.slice(0, 9),
        bootstrap: false,
        revokedAt: null,
      }),
    ]);
    expect(JSON.stringify([store.users, store.keys])).not.toContain(created.api_key);
    expect(await sut.authenticate(created.api_key)).toMatchObject({ id: created.id });
    const err = await sut.create({ name: 'alice' }, 'admin-id').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictException);
    expect((err as Error).message).toBe('A user with this name already exists.');
    expect(await sut.list()).toHaveLength(1);
    expect(store.keys).toHaveLength(1);
  });

  it('records user.create with the creator, the new id, name, admin flag and the key id and prefix, never the key; a refused name records nothing', async () => {
    const { store, sut } = service();
    const created = await sut.create({ name: 'alice', admin: true }, 'admin-id');
    await sut.create({ name: 'alice' }, 'admin-id').catch(() => undefined);
    expect(store.audit).toEqual([
      {
        actor_id: 'admin-id',
        action: 'user.create',
        target: `user:${created.id}`,
        details: { user_id: created.id, name: 'alice', admin: true, key_id: store.keys[0].id, prefix: created.api_key.slice(0, 9) },
      },
    ]);
    expect(JSON.stringify(store.audit)).not.toContain(created.api_key);
  });
});

/** The models-service and settings-service are only used by delete(), which e2e tests cover. */
function unusedHere(): [never, never] {
  return [undefined as never, undefined as never];
}
