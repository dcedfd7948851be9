import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { SETTINGS_STREAM } from '@helix/contracts';
import { Secret } from '@helix/secrets';
import { startNats, startPostgres, type NatsProcess, type PostgresProcess } from '@helix/testing';
import { loadConfig } from '@helix/config';
import { SettingsServiceModule } from '../app.module';
import { SettingsServiceConfig } from '../config';
import { SystemSettingsService } from '../settings/system-settings.service';
import { OutboxPublisher } from './outbox.publisher';

/** Integration: the real module against a private nats-server and Postgres. */
describe('settings outbox', () => {
  let nats: NatsProcess;
  let pg: PostgresProcess;
  const apps: INestApplication[] = [];

  async function replica(): Promise<INestApplication> {
    const config = loadConfig(SettingsServiceConfig, {
      DATABASE_URL: pg.url,
      HELIX_NATS_URL: nats.url,
      LOG_LEVEL: 'silent',
      HELIX_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      HELIX_SETTINGS_KEY: randomBytes(32).toString('base64'),
    });
    const moduleRef = await Test.createTestingModule({ imports: [SettingsServiceModule.forRoot(config)] }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    await app.init();
    apps.push(app);
    return app;
  }

  const unpublished = async (db: DataSource) => Number((await db.query('SELECT count(*) AS n FROM settings.outbox WHERE published_at IS NULL'))[0].n);

  async function streamLastSeq(): Promise<number> {
    const nc = await connect({ servers: nats.url });
    try {
      return (await (await jetstreamManager(nc)).streams.info(SETTINGS_STREAM)).state.last_seq;
    } finally {
      await nc.close();
    }
  }

  async function until(probe: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    [nats, pg] = await Promise.all([startNats(), startPostgres()]);
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close().catch(() => undefined)));
    await Promise.all([nats?.dispose(), pg?.dispose()]);
  });

  it('an update committed while NATS is down is published once NATS returns, exactly once', async () => {
    const app = await replica();
    const settings = app.get(SystemSettingsService);
    const db = app.get<DataSource>(getDataSourceToken());
    const before = await streamLastSeq();

    await nats.stop();
    const row = await settings.setToken('global', null, Secret.of('hf_outbox_down_1'), 'test');
    expect(row.version).toBe(1);
    await new Promise((r) => setTimeout(r, 1_500)); // the publisher tries and fails meanwhile
    expect(await unpublished(db)).toBe(1);

    await nats.start();
    await until(async () => (await unpublished(db)) === 0, 'the outbox drained after NATS returned');
    await app.get(OutboxPublisher).flush();
    expect(await streamLastSeq()).toBe(before + 1);
  });

  it('two replicas draining the same outbox publish every version once, in order', async () => {
    const [a, b] = [apps[0], await replica()];
    const db = a.get<DataSource>(getDataSourceToken());
    const before = await streamLastSeq();
    const writers = [a.get(SystemSettingsService), b.get(SystemSettingsService)];
    // Concurrent writers on both replicas: versions serialize on the row lock, publishing on the advisory lock.
    await Promise.all(Array.from({ length: 40 }, (_, i) => writers[i % 2].setToken('global', null, Secret.of(`hf_outbox_race_${i}`), 'test')));
    await until(async () => (await unpublished(db)) === 0, 'both outboxes drained');
    await Promise.all([a.get(OutboxPublisher).flush(), b.get(OutboxPublisher).flush()]);
    expect(await streamLastSeq()).toBe(before + 40);
    const rows: Array<{ v: number }> = await db.query(
      `SELECT (payload->>'version')::int AS v FROM settings.outbox WHERE published_at IS NOT NULL ORDER BY published_at, id`,
    );
    const versions = rows.map((r) => r.v);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('the stored token is an envelope, never the clear text', async () => {
    const db = apps[0].get<DataSource>(getDataSourceToken());
    const dump = JSON.stringify(await db.query('SELECT * FROM settings.hf_tokens')) + JSON.stringify(await db.query('SELECT * FROM settings.outbox'));
    expect(dump).toContain('A256GCM');
    expect(dump).not.toMatch(/hf_outbox_(down|race)_/);
  });
});
