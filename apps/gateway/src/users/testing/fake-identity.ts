// Test-only: gateway.users, gateway.api_keys and the audit log in memory, with the same rules as the
// repositories' SQL (unique names and key hashes, cascade, revoke once), and transactions that roll
// back on a throw. The SQL itself is covered by the migration spec and the e2e suites.
import { randomUUID } from 'node:crypto';
import { ReadCaches } from '../../cache/read-caches';
import type { PinoLogger } from 'nestjs-pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditRecord } from '@helix/contracts';
import type { ApiKeyEntity } from '../api-key.entity';
import type { ApiKeyRepository, NewApiKey } from '../api-key.repository';
import type { UserEntity } from '../user.entity';
import type { NewUser, UserRepository } from '../user.repository';

type Methods<T> = { [K in keyof T]: T[K] };

export interface LogLine {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  msg: string;
}

export class FakeIdentity {
  users: UserEntity[] = [];
  keys: ApiKeyEntity[] = [];
  audit: AuditRecord[] = [];
  readonly logs: LogLine[] = [];
  private clock = Date.UTC(2026, 0, 1);
  /** The advisory lock of the HELIX_ADMIN_API_KEY check: held until the transaction ends. */
  private bootstrapLock: Promise<void> = Promise.resolve();
  /** Set to false to see what happens without the lock (a test that the lock is what makes it safe). */
  lockingEnabled = true;

  /** Every transaction sees the same tables; a throw restores them as they were. */
  readonly db = {
    transaction: async <T>(work: (tx: EntityManager) => Promise<T>): Promise<T> => {
      const tx = { releases: [] as Array<() => void> };
      const saved = { users: this.users.map((u) => ({ ...u })), keys: this.keys.map((k) => ({ ...k })), audit: [...this.audit] };
      try {
        return await work(tx as unknown as EntityManager);
      } catch (err) {
        Object.assign(this, saved);
        throw err;
      } finally {
        for (const release of tx.releases) release();
      }
    },
  } as unknown as Pick<DataSource, 'transaction'>;

  readonly recorder = { recordIn: async (_tx: EntityManager, record: AuditRecord) => void this.audit.push(structuredClone(record)) };

  /** The gateway's real read caches; announcing a change to other replicas goes nowhere here. */
  get caches(): ReadCaches {
    return (this.cachesInstance ??= new ReadCaches(
      { publish: () => undefined, subscribe: () => ({ unsubscribe: () => undefined }) } as never,
      this.logger as never,
    ));
  }
  private cachesInstance?: ReadCaches;

  readonly logger = {
    info: (fields: Record<string, unknown> | string, msg?: string) => this.logs.push(line('info', fields, msg)),
    warn: (fields: Record<string, unknown> | string, msg?: string) => this.logs.push(line('warn', fields, msg)),
  } as unknown as PinoLogger;

  now(): Date {
    this.clock += 1000;
    return new Date(this.clock);
  }

  addUser(name: string, admin = false): UserEntity {
    const user: UserEntity = { id: randomUUID(), name, admin, createdAt: this.now() };
    this.users.push(user);
    return user;
  }

  addKey(userId: string, keyHash: string, extra: Partial<ApiKeyEntity> = {}): ApiKeyEntity {
    const key: ApiKeyEntity = { id: randomUUID(), userId, keyHash, prefix: null, bootstrap: false, createdAt: this.now(), revokedAt: null, ...extra };
    this.keys.push(key);
    return key;
  }

  readonly userRepo: Methods<UserRepository> = {
    getByName: async (name) => {
      const user = this.users.find((u) => u.name === name);
      if (!user) throw new Error('not found');
      return user;
    },
    existsById: async (id) => this.users.some((u) => u.id === id),
    nameTaken: async (name) => this.users.some((u) => u.name === name),
    makeAdmin: async (id) => void (this.users.find((u) => u.id === id)!.admin = true),
    insertIfAbsent: async (user: NewUser) => {
      if (this.users.some((u) => u.name === user.name)) return null;
      return this.addUser(user.name, user.admin).id;
    },
    delete: async (id) => {
      const before = this.users.length;
      this.users = this.users.filter((u) => u.id !== id);
      this.keys = this.keys.filter((k) => k.userId !== id); // ON DELETE CASCADE
      return this.users.length < before;
    },
    lock: async (id) => this.users.find((u) => u.id === id) ?? null,
    listOldestFirst: async () => [...this.users].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()),
  };

  readonly keyRepo: Methods<ApiKeyRepository> = {
    findActiveWithUser: async (keyHash) => {
      const key = this.keys.find((k) => k.keyHash === keyHash && k.revokedAt === null);
      return key ? { ...key, user: this.users.find((u) => u.id === key.userId) } : null;
    },
    findByHash: async (keyHash) => this.keys.find((k) => k.keyHash === keyHash) ?? null,
    findForUser: async (userId, keyId) => this.keys.find((k) => k.id === keyId && k.userId === userId) ?? null,
    listForUser: async (userId) => this.keys.filter((k) => k.userId === userId),
    countActive: async (userId) => this.keys.filter((k) => k.userId === userId && k.revokedAt === null).length,
    insert: async (key: NewApiKey) => {
      if (this.keys.some((k) => k.keyHash === key.keyHash)) throw new Error('duplicate key value violates unique constraint "api_keys_key_hash_key"');
      if (!this.users.some((u) => u.id === key.userId)) throw new Error('violates foreign key constraint');
      return { ...this.addKey(key.userId, key.keyHash, { prefix: key.prefix, bootstrap: key.bootstrap }) };
    },
    revoke: async (id) => {
      const key = this.keys.find((k) => k.id === id)!;
      key.revokedAt ??= this.now();
      return { ...key };
    },
    lockBootstrap: async (tx) => {
      if (!this.lockingEnabled) return;
      const previous = this.bootstrapLock;
      let release!: () => void;
      this.bootstrapLock = new Promise<void>((resolve) => (release = resolve));
      (tx as unknown as { releases: Array<() => void> }).releases.push(release);
      await previous;
    },
    newestBootstrap: async () => [...this.keys].reverse().find((k) => k.bootstrap) ?? null,
    activeBootstrap: async () => this.keys.filter((k) => k.bootstrap && k.revokedAt === null).map((k) => ({ ...k })),
    markBootstrap: async (id) => void (this.keys.find((k) => k.id === id)!.bootstrap = true),
    fillPrefix: async (id, prefix) => {
      const key = this.keys.find((k) => k.id === id);
      if (key && key.prefix === null) key.prefix = prefix;
    },
  };
}

function line(level: LogLine['level'], fields: Record<string, unknown> | string, msg?: string): LogLine {
  return typeof fields === 'string' ? { level, fields: {}, msg: fields } : { level, fields, msg: msg ?? '' };
}
