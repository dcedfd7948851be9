// Against a real Postgres: gateway replicas starting together with a new HELIX_ADMIN_API_KEY. The
// advisory lock (ApiKeyRepository.lockBootstrap) is what lets exactly one of them rotate the key.
import type { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServiceDataSource, serviceDataSourceOptions } from '@helix/persistence';
import { hashApiKey } from '@helix/secrets';
import { startPostgres, type PostgresProcess } from '@helix/testing';
import { AuditLogRepository } from '../audit/audit-log.repository';
import { AuditService } from '../audit/audit.service';
import { Users1764230500000 } from '../migrations/1764230500000-users';
import { Orgs1764230900000 } from '../migrations/1764230900000-orgs';
import { AuditLog1764231000000 } from '../migrations/1764231000000-audit-log';
import { ApiKeys1764231200000 } from '../migrations/1764231200000-api-keys';
import { MembershipEntity, OrgEntity } from '../orgs/org.entity';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyRepository } from './api-key.repository';
import { BootstrapAdminKey } from './bootstrap-admin-key';
import { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

const FIRST = 'hl-first-admin-key-0123456789abcdef0123456789';
const NEXT = 'hl-next-admin-key-0123456789abcdef01234567890';
const REPLICAS = 6;
const quiet = { info: () => undefined, warn: () => undefined } as unknown as PinoLogger;

describe('BootstrapAdminKey against Postgres', () => {
  let pg: PostgresProcess;
  const sources: DataSource[] = [];

  /** One gateway replica: its own connection pool, as separate processes would have. */
  async function replica(adminKey: string): Promise<BootstrapAdminKey> {
    const db = await openServiceDataSource(
      serviceDataSourceOptions({
        url: pg.url,
        schema: 'gateway',
        entities: [UserEntity, ApiKeyEntity, OrgEntity, MembershipEntity],
        migrations: [Users1764230500000, Orgs1764230900000, AuditLog1764231000000, ApiKeys1764231200000],
        applicationName: 'bootstrap-spec',
      }),
      'gateway',
    );
    sources.push(db);
    const audit = new AuditService(new AuditLogRepository(db), quiet);
    return new BootstrapAdminKey({ HELIX_ADMIN_API_KEY: adminKey }, db, new UserRepository(db), new ApiKeyRepository(db), audit, quiet, announced);
  }

  /** What the replicas tell the other gateways (to forget cached keys). */
  const announced = { changes: 0, authChanged: () => void announced.changes++ };

  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await Promise.all(sources.map((s) => s.destroy()));
    await pg?.dispose();
  });

  it(`${REPLICAS} replicas start together with a new key: one rotates, the others find it in place; one admin, one active bootstrap key`, async () => {
    expect(await (await replica(FIRST)).ensure(FIRST)).toMatchObject({ outcome: 'created' });
    const replicas = await Promise.all(Array.from({ length: REPLICAS }, () => replica(NEXT)));
    const outcomes = await Promise.all(replicas.map((r) => r.ensure(NEXT)));
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['rotated', ...Array<string>(REPLICAS - 1).fill('unchanged')]);
    expect(announced.changes).toBe(1); // the replaced key is forgotten by every gateway that cached it

    const [db] = sources;
    expect(await db.query('SELECT name, admin FROM gateway.users')).toEqual([{ name: 'admin', admin: true }]);
    const keys = await db.query('SELECT key_hash, prefix, bootstrap, revoked_at IS NOT NULL AS revoked FROM gateway.api_keys ORDER BY created_at');
    expect(keys).toEqual([
      { key_hash: hashApiKey(FIRST), prefix: 'hl-first-', bootstrap: true, revoked: true },
      { key_hash: hashApiKey(NEXT), prefix: 'hl-next-a', bootstrap: true, revoked: false },
    ]);
    const audit = await db.query('SELECT actor_id, action FROM gateway.audit_log ORDER BY seq');
    expect(audit).toEqual([
      { actor_id: null, action: 'user.create' },
      { actor_id: null, action: 'key.create' },
      { actor_id: null, action: 'key.revoke' },
    ]);
    const repo = new ApiKeyRepository(db);
    expect(await repo.findActiveWithUser(hashApiKey(FIRST))).toBeNull();
    expect((await repo.findActiveWithUser(hashApiKey(NEXT)))?.user).toMatchObject({ name: 'admin', admin: true });
  });
});
