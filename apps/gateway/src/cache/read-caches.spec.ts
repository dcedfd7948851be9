import { afterEach, describe, expect, it, vi } from 'vitest';
import { GATEWAY_AUTH_CHANGED, SETTINGS_UPDATED_ALL, type SettingsView } from '@helix/contracts';
import type { UserEntity } from '../users/user.entity';
import { READ_CACHE_TTL_MS, ReadCaches } from './read-caches';
import { TtlCache } from './ttl-cache';

/** A NATS connection that records publishes and lets the test deliver messages to subscriptions. */
function fakeBus() {
  const callbacks = new Map<string, () => void>();
  const published: string[] = [];
  const nc = {
    publish: (subject: string) => void published.push(subject),
    subscribe: (subject: string, opts: { callback: () => void }) => {
      callbacks.set(subject, opts.callback);
      return { unsubscribe: () => callbacks.delete(subject) };
    },
  };
  return { nc, published, deliver: (subject: string) => callbacks.get(subject)?.() };
}
const quiet = { warn: () => undefined };
const alice = { id: 'u-alice', name: 'alice', admin: false } as UserEntity;
const view = { version: 3 } as SettingsView;

afterEach(() => void vi.useRealTimers());

/** What the caches hold for a key (null: nothing; the probe's own lookup answers null). */
const cachedUser = (caches: ReadCaches, hash: string) => caches.userOr(hash, async () => null);
const cachedView = (caches: ReadCaches, key: string) => caches.viewOr(key, async () => null as unknown as SettingsView);
const remember = {
  user: (caches: ReadCaches, hash: string, user: UserEntity) => caches.userOr(hash, async () => user),
  view: (caches: ReadCaches, key: string, v: SettingsView) => caches.viewOr(key, async () => v),
};

describe('ReadCaches', () => {
  it("forgets every API key when another replica announces a key change, and announces this replica's own", async () => {
    const bus = fakeBus();
    const caches = new ReadCaches(bus.nc as never, quiet as never);
    caches.onApplicationBootstrap();
    await remember.user(caches, 'hash-a', alice);
    expect(await cachedUser(caches, 'hash-a')).toBe(alice);
    bus.deliver(GATEWAY_AUTH_CHANGED);
    expect(await cachedUser(caches, 'hash-a')).toBeNull();

    await remember.user(caches, 'hash-a', alice);
    caches.authChanged();
    expect(await cachedUser(caches, 'hash-a')).toBeNull();
    expect(bus.published).toEqual([GATEWAY_AUTH_CHANGED]);
  });

  it('forgets settings views on any settings.updated event, and a scope this replica changed at once', async () => {
    const bus = fakeBus();
    const caches = new ReadCaches(bus.nc as never, quiet as never);
    caches.onApplicationBootstrap();
    await remember.view(caches, 'global', view);
    await remember.view(caches, 'org:acme', view);
    caches.settingsChanged('org:acme');
    expect(await cachedView(caches, 'org:acme')).toBeNull();
    expect(await cachedView(caches, 'global')).toBe(view);
    bus.deliver(SETTINGS_UPDATED_ALL);
    expect(await cachedView(caches, 'global')).toBeNull();
  });

  it('answers from memory for at most READ_CACHE_TTL_MS when no event arrives', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const caches = new ReadCaches(fakeBus().nc as never, quiet as never);
    await remember.user(caches, 'hash-a', alice);
    await remember.view(caches, 'global', view);
    vi.advanceTimersByTime(READ_CACHE_TTL_MS - 1);
    expect(await cachedUser(caches, 'hash-a')).toBe(alice);
    expect(await cachedView(caches, 'global')).toBe(view);
    vi.advanceTimersByTime(1);
    expect(await cachedUser(caches, 'hash-a')).toBeNull();
    expect(await cachedView(caches, 'global')).toBeNull();
  });

  it('stops listening on shutdown', async () => {
    const bus = fakeBus();
    const caches = new ReadCaches(bus.nc as never, quiet as never);
    caches.onApplicationBootstrap();
    caches.onApplicationShutdown();
    await remember.user(caches, 'hash-a', alice);
    bus.deliver(GATEWAY_AUTH_CHANGED);
    expect(await cachedUser(caches, 'hash-a')).toBe(alice);
  });
});

describe('TtlCache', () => {
  it('holds at most maxEntries, evicting the oldest stored first (a refreshed key counts as new)', () => {
    const cache = new TtlCache<number>(60_000, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([3, undefined, 4, 2]);
  });
});

describe('TtlCache.getOrLoad', () => {
  /** A loader whose answers the test releases one by one. */
  function gatedLoader<V>() {
    const calls: Array<(value: V | null) => void> = [];
    const load = () => new Promise<V | null>((resolve) => calls.push(resolve));
    return { load, calls };
  }

  it('concurrent misses of a key share one load, and its answer is cached', async () => {
    const cache = new TtlCache<string>(1_000, 10);
    const { load, calls } = gatedLoader<string>();
    const waiting = Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load), cache.getOrLoad('k', load)]);
    expect(calls).toHaveLength(1);
    calls[0]('v1');
    expect(await waiting).toEqual(['v1', 'v1', 'v1']);
    expect(await cache.getOrLoad('k', load)).toBe('v1');
    expect(calls).toHaveLength(1);
  });

  it('a load that started before a clear or delete stores nothing and is not shared with later callers', async () => {
    const cache = new TtlCache<string>(1_000, 10);
    const { load, calls } = gatedLoader<string>();
    const early = cache.getOrLoad('k', load);
    cache.clear(); // e.g. a key was revoked while its lookup was on its way
    const late = cache.getOrLoad('k', load);
    expect(calls).toHaveLength(2);
    calls[0]('stale');
    calls[1]('fresh');
    expect(await early).toBe('stale');
    expect(await late).toBe('fresh');
    expect(cache.get('k')).toBe('fresh');

    const again = cache.getOrLoad('j', load);
    cache.delete('other');
    calls[2]('read-before-delete');
    await again;
    expect(cache.get('j')).toBeUndefined();
  });

  it('a null answer is returned but not cached', async () => {
    const cache = new TtlCache<string>(1_000, 10);
    let loads = 0;
    const load = async () => (loads++, null);
    expect(await cache.getOrLoad('k', load)).toBeNull();
    expect(await cache.getOrLoad('k', load)).toBeNull();
    expect(loads).toBe(2);
  });
});
