import { ConflictException } from '@nestjs/common';
import type { PinoLogger } from 'nestjs-pino';
import { describe, expect, it } from 'vitest';
import type { EntityManager } from 'typeorm';
import type { AuditRecord } from '@helix/contracts';
import { hashApiKey } from '@helix/secrets';
import type { UserEntity } from './user.entity';
import type { NewUser, UserRepository } from './user.repository';
import { UsersService } from './users.service';

/** An in-memory gateway.users with the same uniqueness rules (name, key hash). */
class FakeUsers implements Pick<UserRepository, keyof UserRepository> {
  rows: UserEntity[] = [];
  async findByKeyHash(hash: string) {
    return this.rows.find((u) => u.apiKeyHash === hash) ?? null;
  }
  async getByName(name: string) {
    const user = this.rows.find((u) => u.name === name);
    if (!user) throw new Error('not found');
    return user;
  }
  async existsById(id: string) {
    return this.rows.some((u) => u.id === id);
  }
  async nameTaken(name: string) {
    return this.rows.some((u) => u.name === name);
  }
  async makeAdmin(id: string) {
    this.rows.find((u) => u.id === id)!.admin = true;
  }
  async insertIfAbsent(user: NewUser, also?: (tx: EntityManager, id: string) => Promise<void>) {
    if (this.rows.some((u) => u.name === user.name || u.apiKeyHash === user.apiKeyHash)) return false;
    const id = `id-${this.rows.length}`;
    this.rows.push({ ...user, id, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, this.rows.length)) });
    await also?.({} as EntityManager, id);
    return true;
  }
  async delete(id: string) {
    const before = this.rows.length;
    this.rows = this.rows.filter((u) => u.id !== id);
    return this.rows.length < before;
  }
  async lock(id: string) {
    return this.rows.find((u) => u.id === id) ?? null;
  }
  async listOldestFirst() {
    return [...this.rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }
}

const logger = { info: () => undefined, warn: () => undefined } as unknown as PinoLogger;
const KEY = 'hl-admin-key-for-the-spec-0123456789';

function service(adminKey?: string) {
  const users = new FakeUsers();
  const audit: AuditRecord[] = [];
  const recorder = { recordIn: async (_tx: EntityManager, r: AuditRecord) => void audit.push(r) };
  return { users, audit, sut: new UsersService(users as unknown as UserRepository, { HELIX_ADMIN_API_KEY: adminKey }, logger, recorder, ...unusedHere()) };
}

describe('UsersService', () => {
  it('ensures the admin of HELIX_ADMIN_API_KEY once, storing only the hash', async () => {
    const { users, sut } = service(KEY);
    await sut.onApplicationBootstrap();
    await sut.onApplicationBootstrap();
    expect(users.rows).toEqual([expect.objectContaining({ name: 'admin', admin: true, apiKeyHash: hashApiKey(KEY) })]);
    expect(JSON.stringify(users.rows)).not.toContain(KEY);
  });

  it('promotes an existing owner of the key, and picks another name when "admin" is taken', async () => {
    const { users, sut } = service();
    await users.insertIfAbsent({ name: 'admin', admin: false, apiKeyHash: hashApiKey('hl-someone-else-000000000') });
    await users.insertIfAbsent({ name: 'bob', admin: false, apiKeyHash: hashApiKey(KEY) });
    await sut.ensureAdmin(KEY);
    expect(users.rows.find((u) => u.name === 'bob')!.admin).toBe(true);
    expect(users.rows).toHaveLength(2);

    const other = 'hl-second-admin-key-000000000000';
    await sut.ensureAdmin(other);
    expect(users.rows.at(-1)).toMatchObject({ name: `admin-${hashApiKey(other).slice(0, 8)}`, admin: true });
  });

  it('authenticates by key and refuses an unknown one', async () => {
    const { sut } = service(KEY);
    await sut.onApplicationBootstrap();
    expect(await sut.authenticate(KEY)).toMatchObject({ name: 'admin' });
    expect(await sut.authenticate(`${KEY}x`)).toBeNull();
  });

  it('creates a user with a new key shown once, and refuses a taken name without repeating it', async () => {
    const { users, sut } = service();
    const created = await sut.create({ name: 'alice', admin: false }, 'admin-id');
    expect(created).toMatchObject({ name: 'alice', admin: false, api_key: expect.stringMatching(/^hl-/) });
    expect(users.rows[0].apiKeyHash).toBe(hashApiKey(created.api_key));
    const err = await sut.create({ name: 'alice' }, 'admin-id').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictException);
    expect((err as Error).message).toBe('A user with this name already exists.');
    expect(await sut.list()).toHaveLength(1);
  });

  it('records user.create with the creator, the new id, name and admin flag, never the key; a refused name records nothing', async () => {
    const { audit, sut } = service();
    const created = await sut.create({ name: 'alice', admin: true }, 'admin-id');
    await sut.create({ name: 'alice' }, 'admin-id').catch(() => undefined);
    expect(audit).toEqual([
      { actor_id: 'admin-id', action: 'user.create', target: `user:${created.id}`, details: { user_id: created.id, name: 'alice', admin: true } },
    ]);
    expect(JSON.stringify(audit)).not.toContain(created.api_key);
  });
});

/** The database, models-service and settings-service are only used by delete(), which e2e tests cover. */
function unusedHere(): [never, never, never] {
  return [undefined as never, undefined as never, undefined as never];
}
