import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { GATEWAY_AUTH_CHANGED, SETTINGS_UPDATED_ALL, type SettingsView } from '@helix/contracts';
import { InjectNats } from '@helix/nats';
import { Counter } from 'prom-client';
import type { UserEntity } from '../users/user.entity';
import { TtlCache } from './ttl-cache';

/**
 * How long a gateway may answer from its caches without hearing of a change: the bound on how late
 * a revocation or a settings change made through another replica is seen when its event is lost.
 */
export const READ_CACHE_TTL_MS = 1_000;
const MAX_KEYS = 10_000;
const MAX_SCOPES = 10_000;

const lookups = new Counter({ name: 'helix_gateway_read_cache_total', help: 'gateway read cache lookups', labelNames: ['cache', 'result'] as const });

/**
 * The gateway's read caches: who an API key belongs to (by its hash) and the settings view of a
 * scope. Both are emptied at once by the events that change them — `gateway.auth.changed` (any
 * replica revoked a key, deleted a user or rotated the bootstrap key) and `settings.updated.>`
 * (the settings-service published a change of any scope) — and expire after READ_CACHE_TTL_MS in
 * case an event is lost. A change made through this replica empties them before it answers.
 */
@Injectable()
export class ReadCaches implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly users = new TtlCache<UserEntity>(READ_CACHE_TTL_MS, MAX_KEYS);
  private readonly settings = new TtlCache<SettingsView>(READ_CACHE_TTL_MS, MAX_SCOPES);
  private readonly subs: Subscription[] = [];

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    @InjectPinoLogger('ReadCaches') private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.subs.push(
      this.nc.subscribe(GATEWAY_AUTH_CHANGED, { callback: () => this.users.clear() }),
      this.nc.subscribe(SETTINGS_UPDATED_ALL, { callback: () => this.settings.clear() }),
    );
  }

  onApplicationShutdown(): void {
    for (const sub of this.subs) sub.unsubscribe();
  }

  /** Who the key with this hash belongs to, from the cache or `lookup` (null: no such active key; not cached). */
  userOr(keyHash: string, lookup: () => Promise<UserEntity | null>): Promise<UserEntity | null> {
    return cachedOr('api_key', this.users, keyHash, lookup);
  }

  /** A key was revoked, a user deleted or changed: every replica forgets who keys belong to. */
  authChanged(): void {
    this.users.clear();
    try {
      this.nc.publish(GATEWAY_AUTH_CHANGED);
    } catch (err) {
      // Disconnected: the other replicas' entries expire within READ_CACHE_TTL_MS.
      this.logger.warn({ err: { message: (err as Error).message } }, 'could not announce an API key change to the other gateways');
    }
  }

  /** The settings view of a scope, from the cache or `fetch` (which never answers null). */
  async viewOr(scopeKey: string, fetch: () => Promise<SettingsView>): Promise<SettingsView> {
    return (await cachedOr('settings', this.settings, scopeKey, fetch))!;
  }

  /** This replica changed a scope: its next read goes to the settings-service (the event empties the others). */
  settingsChanged(scopeKey: string): void {
    this.settings.delete(scopeKey);
  }
}

/** A cached value (counted as a hit), or the shared load of a miss. */
function cachedOr<V>(name: 'api_key' | 'settings', cache: TtlCache<V>, key: string, load: () => Promise<V | null>): Promise<V | null> {
  const cached = cache.get(key);
  lookups.inc({ cache: name, result: cached === undefined ? 'miss' : 'hit' });
  return cached === undefined ? cache.getOrLoad(key, load) : Promise.resolve(cached);
}
