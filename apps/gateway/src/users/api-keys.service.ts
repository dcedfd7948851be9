import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { ReadCaches } from '../cache/read-caches';
import type { DataSource } from 'typeorm';
import { API_KEY_ID_MESSAGE, auditTargets, isApiKeyId, isUserId, USER_ID_MESSAGE, type ApiKeyView, type CreatedApiKeyView } from '@helix/contracts';
import { generateApiKey, hashApiKey } from '@helix/secrets';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../http/errors';
import type { ApiKeyEntity } from './api-key.entity';
import { apiKeyPrefix } from './api-key-prefix';
import { ApiKeyRepository } from './api-key.repository';
import type { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';
import { userNotFound } from './users.service';

/**
 * A user's API keys (list, create, revoke): an admin manages anyone's, every user their own. The
 * routes are `@Authenticated()`; the rule is here. Order of checks: a malformed user or key id → 400,
 * an unknown user → 404, another user's keys without admin rights → 403, an unknown key (or another
 * user's key under this user's path) → 404. A key is shown once, when it is created, and is never
 * logged or recorded; lists and audit entries carry its id and prefix.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly db: Pick<DataSource, 'transaction'>,
    private readonly keys: ApiKeyRepository,
    private readonly users: UserRepository,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'recordIn'>,
    @InjectPinoLogger('ApiKeysService') private readonly logger: PinoLogger,
    @Inject(ReadCaches) private readonly caches: Pick<ReadCaches, 'authChanged'>,
  ) {}

  /** Every key of the user, revoked ones too, oldest first. */
  async list(userId: string, actor: UserEntity): Promise<ApiKeyView[]> {
    await this.requireAccess(userId, actor);
    return (await this.keys.listForUser(userId)).map(toApiKeyView);
  }

  /** A new key for the user, with its `key.create` entry in the same transaction. */
  async create(userId: string, actor: UserEntity): Promise<CreatedApiKeyView> {
    await this.requireAccess(userId, actor);
    const apiKey = generateApiKey();
    const key = await this.db.transaction(async (tx) => {
      // The user's row lock orders this against a revocation and a delete of the same user.
      if (!(await this.users.lock(userId, tx))) throw userNotFound(userId);
      const key = await this.keys.insert({ userId, keyHash: hashApiKey(apiKey), prefix: apiKeyPrefix(apiKey), bootstrap: false }, tx);
      await this.audit.recordIn(tx, {
        actor_id: actor.id,
        action: 'key.create',
        target: auditTargets.user(userId),
        details: { user_id: userId, key_id: key.id, prefix: key.prefix },
      });
      return key;
    });
    this.logger.info({ key_id: key.id, owner_id: userId, user_id: actor.id }, 'API key created');
    return { id: key.id, prefix: key.prefix ?? '', created: key.createdAt.toISOString(), api_key: apiKey };
  }

  /**
   * Revokes the key at once (the next request with it is a 401). Idempotent: revoking a revoked key
   * answers its view again and records nothing. Nobody revokes their own last active key (400): an
   * admin may revoke another user's last key.
   */
  async revoke(userId: string, keyId: string, actor: UserEntity): Promise<ApiKeyView> {
    if (!isApiKeyId(keyId)) throw invalidId('key_id', `the key id ${API_KEY_ID_MESSAGE}`);
    await this.requireAccess(userId, actor);
    const { key, changed } = await this.db.transaction(async (tx) => {
      // Locked, so that two revocations of a user's last two keys cannot both pass the check below.
      if (!(await this.users.lock(userId, tx))) throw userNotFound(userId);
      const key = await this.keys.findForUser(userId, keyId, tx);
      if (!key) throw new ApiError({ error: 'not_found', message: `The API key ${keyId} does not exist for user ${userId}.` });
      if (key.revokedAt !== null) return { key, changed: false };
      if (userId === actor.id && (await this.keys.countActive(userId, tx)) <= 1) {
        throw new ApiError({
          error: 'bad_request',
          message: 'This is your last active API key: create another one first (POST /api/v1/users/me/keys), so that you do not lock yourself out.',
        });
      }
      const revoked = await this.keys.revoke(key.id, tx);
      await this.audit.recordIn(tx, {
        actor_id: actor.id,
        action: 'key.revoke',
        target: auditTargets.user(userId),
        details: { user_id: userId, key_id: key.id, prefix: key.prefix },
      });
      return { key: revoked, changed: true };
    });
    if (changed) {
      this.caches.authChanged();
      this.logger.info({ key_id: key.id, owner_id: userId, user_id: actor.id }, 'API key revoked');
    }
    return toApiKeyView(key);
  }

  /** 400 for an id that cannot be a user's, 404 for an unknown user, 403 for someone else's keys without admin rights. */
  private async requireAccess(userId: string, actor: UserEntity): Promise<void> {
    if (userId === actor.id) return;
    if (!isUserId(userId)) throw invalidId('user_id', `the user id ${USER_ID_MESSAGE}`);
    if (!(await this.users.existsById(userId))) throw userNotFound(userId);
    if (!actor.admin) throw new ApiError({ error: 'forbidden', message: "Only an admin or the user themself may see or change a user's API keys." });
  }
}

function invalidId(field: string, message: string): ApiError {
  return new ApiError({ error: 'bad_request', message: `Invalid request: ${message}.`, details: [{ field, message }] });
}

/** Never the key or its hash. */
export function toApiKeyView(key: ApiKeyEntity): ApiKeyView {
  return { id: key.id, prefix: key.prefix, created: key.createdAt.toISOString(), revoked: key.revokedAt?.toISOString() ?? null, bootstrap: key.bootstrap };
}
