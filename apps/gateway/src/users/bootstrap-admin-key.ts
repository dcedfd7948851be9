import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { ReadCaches } from '../cache/read-caches';
import type { DataSource, EntityManager } from 'typeorm';
import { auditTargets } from '@helix/contracts';
import { hashApiKey } from '@helix/secrets';
import { AuditService } from '../audit/audit.service';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { apiKeyPrefix } from './api-key-prefix';
import { ApiKeyRepository } from './api-key.repository';
import { UserRepository } from './user.repository';

/** What the start-up check of HELIX_ADMIN_API_KEY did. */
export type BootstrapOutcome =
  /** The key is the active key of an admin: nothing changed. */
  | { outcome: 'unchanged'; userId: string; keyId: string }
  /** The key belonged to a user who was not an admin, or to an admin before bootstrap keys existed: made an admin / marked as bootstrap key. */
  | { outcome: 'adopted'; userId: string; keyId: string; promoted: boolean; marked: boolean }
  /** The key was revoked through the API: it stays revoked. */
  | { outcome: 'revoked'; userId: string; keyId: string }
  /** A new key: it became the bootstrap key of the same admin, and the previous bootstrap key was revoked. */
  | { outcome: 'rotated'; userId: string; keyId: string; revokedKeyIds: string[] }
  /** No bootstrap key existed: a new admin user owns the key. */
  | { outcome: 'created'; userId: string; keyId: string; name: string };

/**
 * The admin of HELIX_ADMIN_API_KEY, checked at every start (docs/reference/configuration.md and docs/reference/rest.md). Changing the variable
 * rotates the key: the new key becomes the bootstrap key of the same admin user and the previous
 * one is revoked, instead of a second admin appearing. Replicas start together: the whole check is
 * one transaction under an advisory lock, so exactly one of them changes anything and the others
 * then find the key in place.
 */
@Injectable()
export class BootstrapAdminKey implements OnApplicationBootstrap {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: Pick<GatewayConfig, 'HELIX_ADMIN_API_KEY'>,
    @InjectDataSource() private readonly db: Pick<DataSource, 'transaction'>,
    private readonly users: UserRepository,
    private readonly keys: ApiKeyRepository,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'recordIn'>,
    @InjectPinoLogger('BootstrapAdminKey') private readonly logger: PinoLogger,
    @Inject(ReadCaches) private readonly caches: Pick<ReadCaches, 'authChanged'>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.HELIX_ADMIN_API_KEY;
    if (!key) return;
    if (key.length < 16) this.logger.warn('HELIX_ADMIN_API_KEY is shorter than 16 characters; use a long random key (e.g. hl- plus 32 random bytes)');
    await this.ensure(key);
  }

  async ensure(apiKey: string): Promise<BootstrapOutcome> {
    const result = await this.db.transaction(async (tx) => {
      await this.keys.lockBootstrap(tx);
      return this.decide(apiKey, tx);
    });
    this.log(result);
    // The replaced key may be remembered by replicas still running with it.
    if (result.outcome === 'rotated') this.caches.authChanged();
    return result;
  }

  private async decide(apiKey: string, tx: EntityManager): Promise<BootstrapOutcome> {
    const hash = hashApiKey(apiKey);
    const prefix = apiKeyPrefix(apiKey);
    const known = await this.keys.findByHash(hash, tx);
    if (known) {
      if (known.revokedAt !== null) return { outcome: 'revoked', userId: known.userId, keyId: known.id };
      if (known.prefix === null) await this.keys.fillPrefix(known.id, prefix, tx);
      const owner = await this.users.lock(known.userId, tx);
      const promoted = owner !== null && !owner.admin;
      if (promoted) await this.users.makeAdmin(known.userId, tx);
      // A key from before bootstrap keys existed (or an admin's own key): it becomes the bootstrap
      // key when there is none yet, so that the next change of the variable rotates it.
      const marked = !known.bootstrap && (await this.keys.newestBootstrap(tx)) === null;
      if (marked) await this.keys.markBootstrap(known.id, tx);
      if (promoted || marked) return { outcome: 'adopted', userId: known.userId, keyId: known.id, promoted, marked };
      return { outcome: 'unchanged', userId: known.userId, keyId: known.id };
    }

    const previous = await this.keys.newestBootstrap(tx);
    if (previous) {
      const userId = previous.userId;
      const owner = await this.users.lock(userId, tx);
      if (owner && !owner.admin) await this.users.makeAdmin(userId, tx);
      const replaced = await this.keys.activeBootstrap(tx);
      const key = await this.keys.insert({ userId, keyHash: hash, prefix, bootstrap: true }, tx);
      // Recorded with no actor: the deployment's configuration changed, not a caller.
      await this.audit.recordIn(tx, {
        actor_id: null,
        action: 'key.create',
        target: auditTargets.user(userId),
        details: { user_id: userId, key_id: key.id, prefix, bootstrap: true },
      });
      for (const old of replaced) {
        await this.keys.revoke(old.id, tx);
        await this.audit.recordIn(tx, {
          actor_id: null,
          action: 'key.revoke',
          target: auditTargets.user(old.userId),
          details: { user_id: old.userId, key_id: old.id, prefix: old.prefix, bootstrap: true },
        });
      }
      return { outcome: 'rotated', userId, keyId: key.id, revokedKeyIds: replaced.map((k) => k.id) };
    }

    const name = (await this.users.nameTaken('admin', tx)) ? `admin-${hash.slice(0, 8)}` : 'admin';
    const userId = await this.users.insertIfAbsent({ name, admin: true }, tx);
    // Under the lock nobody else inserts; a taken name here means a user took `admin-<hash>` by hand.
    if (userId === null) throw new Error(`HELIX_ADMIN_API_KEY: a user named ${name} exists already; rename it or choose another key`);
    const key = await this.keys.insert({ userId, keyHash: hash, prefix, bootstrap: true }, tx);
    await this.audit.recordIn(tx, {
      actor_id: null,
      action: 'user.create',
      target: auditTargets.user(userId),
      details: { user_id: userId, name, admin: true, key_id: key.id, prefix, bootstrap: true },
    });
    return { outcome: 'created', userId, keyId: key.id, name };
  }

  /** One line naming what happened; never the key. */
  private log(result: BootstrapOutcome): void {
    const ids = { user_id: result.userId, key_id: result.keyId, outcome: result.outcome };
    switch (result.outcome) {
      case 'unchanged':
        return this.logger.info(ids, 'HELIX_ADMIN_API_KEY is the active bootstrap admin key: nothing to change');
      case 'adopted':
        return this.logger.info(
          { ...ids, promoted: result.promoted, marked_bootstrap: result.marked },
          'HELIX_ADMIN_API_KEY is an existing key: its user is an admin and the key is the bootstrap admin key',
        );
      case 'revoked':
        return this.logger.warn(ids, 'HELIX_ADMIN_API_KEY is a revoked key and stays revoked: set a new key to rotate the bootstrap admin key');
      case 'rotated':
        return this.logger.info(
          { ...ids, revoked_key_ids: result.revokedKeyIds },
          'rotated the bootstrap admin key: HELIX_ADMIN_API_KEY is the new key of the same admin, the previous key is revoked',
        );
      case 'created':
        return this.logger.info({ ...ids, name: result.name }, 'ensured the admin user of HELIX_ADMIN_API_KEY');
    }
  }
}
