import { ConflictException, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { auditTargets, type CreatedUserView, type CreateUserDto, type UserView } from '@helix/contracts';
import { apiKeyMatches, generateApiKey, hashApiKey } from '@helix/secrets';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import type { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';
import { AuditService } from '../audit/audit.service';

/** Who may call the API: the admin of HELIX_ADMIN_API_KEY, key authentication, and new users. */
@Injectable()
export class UsersService implements OnApplicationBootstrap {
  constructor(
    private readonly users: UserRepository,
    @Inject(GATEWAY_CONFIG) private readonly config: Pick<GatewayConfig, 'HELIX_ADMIN_API_KEY'>,
    @InjectPinoLogger('UsersService') private readonly logger: PinoLogger,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'recordIn'>,
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

  async list(): Promise<UserView[]> {
    return (await this.users.listOldestFirst()).map(toUserView);
  }
}

export function toUserView(user: UserEntity): UserView {
  return { id: user.id, name: user.name, admin: user.admin, created: user.createdAt.toISOString() };
}
