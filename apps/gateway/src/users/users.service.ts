import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import {
  auditTargets,
  isUserId,
  Patterns,
  USER_ID_MESSAGE,
  type CreatedUserView,
  type DetachOwnerReply,
  type DetachOwnerRequest,
  type UserView,
} from '@helix/contracts';
import { type CreateUserDto } from '../dto';
import { apiKeyMatches, generateApiKey, hashApiKey } from '@helix/secrets';
import type { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';
import { ApiKeyRepository } from './api-key.repository';
import { apiKeyPrefix } from './api-key-prefix';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../http/errors';
import { ServiceClient } from '../services/service-client';
import { SettingsClient } from '../settings/settings.client';
import { ReadCaches } from '../cache/read-caches';

/** Who may call the API: key authentication and new users. The admin of HELIX_ADMIN_API_KEY is `BootstrapAdminKey`'s. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UserRepository,
    private readonly keys: ApiKeyRepository,
    @InjectPinoLogger('UsersService') private readonly logger: PinoLogger,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'recordIn'>,
    @InjectDataSource() private readonly db: Pick<DataSource, 'transaction'>,
    private readonly services: ServiceClient,
    private readonly settings: SettingsClient,
    @Inject(ReadCaches) private readonly caches: Pick<ReadCaches, 'userOr' | 'authChanged'>,
  ) {}

  /**
   * The user owning a key that is not revoked. The lookup is by hash; the final comparison is
   * constant-time. A found key is remembered for up to READ_CACHE_TTL_MS (1 s): a revocation on this
   * replica is seen by its next request, on another replica when its event arrives, at the latest
   * after that second.
   */
  async authenticate(apiKey: string): Promise<UserEntity | null> {
    const hash = hashApiKey(apiKey);
    return this.caches.userOr(hash, async () => {
      const key = await this.keys.findActiveWithUser(hash);
      if (!key?.user || !apiKeyMatches(apiKey, key.keyHash)) return null;
      if (key.prefix === null) {
        // A key migrated from before keys were listed: its owner just showed it, so its prefix can be recorded.
        void this.keys
          .fillPrefix(key.id, apiKeyPrefix(apiKey))
          .catch((err: unknown) => this.logger.warn({ err, key_id: key.id }, 'could not record the prefix of an API key'));
      }
      return key.user;
    });
  }

  /** The user, its first API key and its `user.create` audit entry commit together. */
  async create(dto: CreateUserDto, actorId: string | null): Promise<CreatedUserView> {
    const apiKey = generateApiKey();
    const admin = dto.admin ?? false;
    const user = await this.db.transaction(async (tx) => {
      const id = await this.users.insertIfAbsent({ name: dto.name, admin }, tx);
      if (id === null) return null;
      const key = await this.keys.insert({ userId: id, keyHash: hashApiKey(apiKey), prefix: apiKeyPrefix(apiKey), bootstrap: false }, tx);
      await this.audit.recordIn(tx, {
        actor_id: actorId,
        action: 'user.create',
        target: auditTargets.user(id),
        details: { user_id: id, name: dto.name, admin, key_id: key.id, prefix: key.prefix },
      });
      return this.users.getByName(dto.name, tx);
    });
    // The message names the field, not the value: error messages never repeat the request.
    if (!user) throw new ConflictException('A user with this name already exists.');
    return { ...toUserView(user), api_key: apiKey };
  }

  /**
   * Admin only (route marking). The user's models keep existing with `owner_id: null`, the user's
   * token is cleared with a normal clear event, then the user, its memberships and its API keys
   * (cascade) go in one transaction with the audit entry. A failure before that transaction leaves the user.
   */
  async delete(userId: string, actor: UserEntity): Promise<UserView> {
    if (!isUserId(userId)) {
      throw new ApiError({
        error: 'bad_request',
        message: `Invalid request: the user id ${USER_ID_MESSAGE}.`,
        details: [{ field: 'user_id', message: `the user id ${USER_ID_MESSAGE}` }],
      });
    }
    if (userId === actor.id) throw new ApiError({ error: 'bad_request', message: 'An admin cannot delete their own user; ask another admin.' });
    if (!(await this.users.existsById(userId))) throw userNotFound(userId);
    const detach: DetachOwnerRequest = { owner_id: userId, deleted_by: actor.id };
    const { models } = await this.services.request<DetachOwnerReply>(Patterns.modelsDetachOwner, detach, 'models service');
    await this.settings.clearScope('user', userId, actor.id);
    const user = await this.db.transaction(async (tx) => {
      const user = await this.users.lock(userId, tx);
      if (!user) throw userNotFound(userId);
      const keysRevoked = await this.keys.countActive(userId, tx);
      await this.users.delete(userId, tx);
      await this.audit.recordIn(tx, {
        actor_id: actor.id,
        action: 'user.delete',
        target: auditTargets.user(userId),
        details: { user_id: userId, name: user.name, models_detached: models.length, keys_revoked: keysRevoked },
      });
      return user;
    });
    this.caches.authChanged();
    this.logger.info({ deleted_user_id: userId, user_id: actor.id, models_detached: models.length }, 'user deleted');
    return toUserView(user);
  }

  async list(): Promise<UserView[]> {
    return (await this.users.listOldestFirst()).map(toUserView);
  }
}

export function userNotFound(userId: string): ApiError {
  return new ApiError({ error: 'not_found', message: `The user ${userId} does not exist.` });
}

export function toUserView(user: UserEntity): UserView {
  return { id: user.id, name: user.name, admin: user.admin, created: user.createdAt.toISOString() };
}
