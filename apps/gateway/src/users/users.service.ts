import { ConflictException, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import {
  auditTargets,
  isUserId,
  Patterns,
  USER_ID_MESSAGE,
  type CreatedUserView,
  type CreateUserDto,
  type DetachOwnerReply,
  type DetachOwnerRequest,
  type UserView,
} from '@helix/contracts';
import { apiKeyMatches, generateApiKey, hashApiKey } from '@helix/secrets';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import type { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../http/errors';
import { ServiceClient } from '../services/service-client';
import { SettingsClient } from '../settings/settings.client';

/** Who may call the API: the admin of HELIX_ADMIN_API_KEY, key authentication, and new users. */
@Injectable()
export class UsersService implements OnApplicationBootstrap {
  constructor(
    private readonly users: UserRepository,
    @Inject(GATEWAY_CONFIG) private readonly config: Pick<GatewayConfig, 'HELIX_ADMIN_API_KEY'>,
    @InjectPinoLogger('UsersService') private readonly logger: PinoLogger,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'recordIn'>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly services: ServiceClient,
    private readonly settings: SettingsClient,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.HELIX_ADMIN_API_KEY;
    if (!key) return;
    if (key.length < 16) this.logger.warn('HELIX_ADMIN_API_KEY is shorter than 16 characters; use a long random key (e.g. hl- plus 32 random bytes)');
    await this.ensureAdmin(key);
  }

  /** Idempotent: the owner of this key exists and is an admin (replicas may race; the unique hash settles it). */
  async ensureAdmin(apiKey: string): Promise<void> {
    const hash = hashApiKey(apiKey);
    const existing = await this.users.findByKeyHash(hash);
    if (existing) {
      if (!existing.admin) await this.users.makeAdmin(existing.id);
      return;
    }
    const name = (await this.users.nameTaken('admin')) ? `admin-${hash.slice(0, 8)}` : 'admin';
    // Recorded with no actor: the deployment's configuration created it, not a caller.
    await this.users.insertIfAbsent({ name, admin: true, apiKeyHash: hash }, (tx, id) =>
      this.audit.recordIn(tx, { actor_id: null, action: 'user.create', target: auditTargets.user(id), details: { user_id: id, name, admin: true } }),
    );
    this.logger.info({ name }, 'ensured the admin user of HELIX_ADMIN_API_KEY');
  }

  /** Finds the user owning a key. The lookup is by hash; the final comparison is constant-time. */
  async authenticate(apiKey: string): Promise<UserEntity | null> {
    const user = await this.users.findByKeyHash(hashApiKey(apiKey));
    return user && apiKeyMatches(apiKey, user.apiKeyHash) ? user : null;
  }

  /** The user and its `user.create` audit entry commit together. */
  async create(dto: CreateUserDto, actorId: string | null): Promise<CreatedUserView> {
    const apiKey = generateApiKey();
    const admin = dto.admin ?? false;
    const inserted = await this.users.insertIfAbsent({ name: dto.name, admin, apiKeyHash: hashApiKey(apiKey) }, (tx, id) =>
      this.audit.recordIn(tx, { actor_id: actorId, action: 'user.create', target: auditTargets.user(id), details: { user_id: id, name: dto.name, admin } }),
    );
    // The message names the field, not the value: error messages never repeat the request.
    if (!inserted) throw new ConflictException('A user with this name already exists.');
    return { ...toUserView(await this.users.getByName(dto.name)), api_key: apiKey };
  }

  /**
   * Admin only (route marking). The user's models keep existing with `owner_id: null`, the user's
   * token is cleared with a normal clear event, then the user, its memberships (cascade) and its key
   * go in one transaction with the audit entry. A failure before that transaction leaves the user.
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
      await this.users.delete(userId, tx);
      await this.audit.recordIn(tx, {
        actor_id: actor.id,
        action: 'user.delete',
        target: auditTargets.user(userId),
        details: { user_id: userId, name: user.name, models_detached: models.length },
      });
      return user;
    });
    this.logger.info({ deleted_user_id: userId, user_id: actor.id, models_detached: models.length }, 'user deleted');
    return toUserView(user);
  }

  async list(): Promise<UserView[]> {
    return (await this.users.listOldestFirst()).map(toUserView);
  }
}

function userNotFound(userId: string): ApiError {
  return new ApiError({ error: 'not_found', message: `The user ${userId} does not exist.` });
}

export function toUserView(user: UserEntity): UserView {
  return { id: user.id, name: user.name, admin: user.admin, created: user.createdAt.toISOString() };
}
