import { ConflictException, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import type { CreatedUserView, CreateUserDto, UserView } from '@helix/contracts';
import { apiKeyMatches, generateApiKey, hashApiKey } from '@helix/secrets';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { UserEntity } from './user.entity';

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @InjectPinoLogger('UsersService') private readonly logger: PinoLogger,
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
    const repo = this.db.getRepository(UserEntity);
    const existing = await repo.findOneBy({ apiKeyHash: hash });
    if (existing) {
      if (!existing.admin) await repo.update({ id: existing.id }, { admin: true });
      return;
    }
    const name = (await repo.existsBy({ name: 'admin' })) ? `admin-${hash.slice(0, 8)}` : 'admin';
    await repo
      .createQueryBuilder()
      .insert()
      .values({ name, admin: true, apiKeyHash: hash })
      .orIgnore()
      .execute();
    this.logger.info({ name }, 'ensured the admin user of HELIX_ADMIN_API_KEY');
  }

  /** Finds the user owning a key. The lookup is by hash; the final comparison is constant-time. */
  async authenticate(apiKey: string): Promise<UserEntity | null> {
    const user = await this.db.getRepository(UserEntity).findOneBy({ apiKeyHash: hashApiKey(apiKey) });
    return user && apiKeyMatches(apiKey, user.apiKeyHash) ? user : null;
  }

  async create(dto: CreateUserDto): Promise<CreatedUserView> {
    const apiKey = generateApiKey();
    const repo = this.db.getRepository(UserEntity);
    const result = await repo
      .createQueryBuilder()
      .insert()
      .values({ name: dto.name, admin: dto.admin ?? false, apiKeyHash: hashApiKey(apiKey) })
      .orIgnore()
      .returning('*')
      .execute();
    if (result.raw.length === 0) throw new ConflictException(`A user named ${dto.name} already exists.`);
    const user = await repo.findOneByOrFail({ name: dto.name });
    return { ...toUserView(user), api_key: apiKey };
  }

  async list(): Promise<UserView[]> {
    const users = await this.db.getRepository(UserEntity).find({ order: { createdAt: 'ASC' } });
    return users.map(toUserView);
  }
}

export function toUserView(user: UserEntity): UserView {
  return { id: user.id, name: user.name, admin: user.admin, created: user.createdAt.toISOString() };
}
