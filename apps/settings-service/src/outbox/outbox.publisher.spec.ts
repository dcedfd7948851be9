import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { connect } from '@nats-io/transport-node';
import type { Msg } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { register } from 'prom-client';
import { AUDIT_RECORDED, AUDIT_STREAM, SETTINGS_STREAM, settingsSubject } from '@helix/contracts';
import { fingerprint, Secret } from '@helix/secrets';
import { ensureAuditStream } from '@helix/nats';
import { startNats, startPostgres, type NatsProcess, type PostgresProcess } from '@helix/testing';
import { loadConfig } from '@helix/config';
import { SettingsServiceModule } from '../app.module';
import { SettingsServiceConfig } from '../config';
import { SettingsService } from '../settings/settings.service';
import { OutboxPublisher } from './outbox.publisher';

/** Integration: the real module against a private nats-server and Postgres. */
describe('settings outbox', () => {
  let nats: NatsProcess;
  let pg: PostgresProcess;
  const apps: INestApplication[] = [];

  // Replicas of one deployment share both keys.
  const keys = {
    HELIX_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    HELIX_SETTINGS_KEY: randomBytes(32).toString('base64'),
    HELIX_EVENT_SIGNING_KEY: randomBytes(32).toString('base64'),
  };

  async function replica(): Promise<INestApplication> {
    const config = loadConfig(SettingsServiceConfig, { DATABASE_URL: pg.url, HELIX_NATS_URL: nats.url, LOG_LEVEL: 'silent', ...keys });
    const moduleRef = await Test.createTestingModule({ imports: [SettingsServiceModule.forRoot(config)] }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    await app.init();
    apps.push(app);
    return app;
  }

  // Published rows are deleted, so every row left is waiting.
  const unpublished = async (db: DataSource) => Number((await db.query('SELECT count(*) AS n FROM settings.outbox'))[0].n);

  /** A gauge's value as a scrape of /metrics reads it. */
  async function gauge(name: string): Promise<number | undefined> {
    return (await register.getSingleMetric(name)?.get())?.values[0]?.value;
  }

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

  async function withNats<T>(work: (nc: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
    const nc = await connect({ servers: nats.url });
    try {
      return await work(nc);
    } finally {
      await nc.close();
    }
  }

  beforeAll(async () => {
    [nats, pg] = await Promise.all([startNats(), startPostgres()]);
    await withNats((nc) => ensureAuditStream(nc)); // the gateway's stream, as in a running deployment
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close().catch(() => undefined)));
    await Promise.all([nats?.dispose(), pg?.dispose()]);
  });

  it('an update committed while NATS is down is published once NATS returns, exactly once', async () => {
    const app = await replica();
    const settings = app.get(SettingsService);
    const db = app.get<DataSource>(getDataSourceToken());
    const before = await streamLastSeq();

    await nats.stop();
    const row = await settings.setToken('global', null, Secret.of('hf_outbox_down_1'), 'test');
    expect(row.version).toBe(1);
    await new Promise((r) => setTimeout(r, 1_500)); // the publisher tries and fails meanwhile
    expect(await unpublished(db)).toBe(2); // the settings event and its audit event
    // The outbox lag on /metrics (HelixOutboxLag): what waits, and for how long.
    expect(await gauge('helix_settings_outbox_pending')).toBe(2);
    expect(await gauge('helix_settings_outbox_oldest_age_seconds')).toBeGreaterThan(1);

    await nats.start();
    await until(async () => (await unpublished(db)) === 0, 'the outbox drained after NATS returned');
    await app.get(OutboxPublisher).flush();
    expect(await streamLastSeq()).toBe(before + 1);
    expect(await gauge('helix_settings_outbox_pending')).toBe(0);
    expect(await gauge('helix_settings_outbox_oldest_age_seconds')).toBe(0);
  });

  it('two replicas draining the same outbox publish every version once, in order', async () => {
    const [a, b] = [apps[0] ?? (await replica()), await replica()];
    const db = a.get<DataSource>(getDataSourceToken());
    const before = await streamLastSeq();
    const start = (await a.get(SettingsService).get()).version;
    // What runners see: every settings.updated.global message, in the order NATS delivers it.
    const nc = await connect({ servers: nats.url });
    const arrived: number[] = [];
    nc.subscribe(settingsSubject('global', null), { callback: (_err: Error | null, msg: Msg) => arrived.push(JSON.parse(msg.string()).version) });
    await nc.flush();
    try {
      const writers = [a.get(SettingsService), b.get(SettingsService)];
      // Concurrent writers on both replicas: versions serialize on the row lock, publishing on the advisory lock.
      await Promise.all(Array.from({ length: 40 }, (_, i) => writers[i % 2].setToken('global', null, Secret.of(`hf_outbox_race_${i}`), 'test')));
      await until(async () => (await unpublished(db)) === 0, 'both outboxes drained');
      await Promise.all([a.get(OutboxPublisher).flush(), b.get(OutboxPublisher).flush()]);
      await nc.flush();
      expect(await streamLastSeq()).toBe(before + 40);
      expect(arrived).toEqual(Array.from({ length: 40 }, (_, i) => start + 1 + i));
    } finally {
      await nc.close();
    }
  });

  it('a change queues its audit event in the same transaction; a missing AUDIT stream holds back only the audit event', async () => {
    const app = apps[0] ?? (await replica());
    const settings = app.get(SettingsService);
    const db = app.get<DataSource>(getDataSourceToken());
    await settings.setToken('global', null, Secret.of('hf_audit_first_1'), 'test');
    await until(async () => (await unpublished(db)) === 0, 'drained');
    await withNats(async (nc) => (await jetstreamManager(nc)).streams.delete(AUDIT_STREAM));
    const before = await streamLastSeq();

    const row = await settings.setToken('global', null, Secret.of('hf_audit_second_2'), '0b7d2c4e-8f1a-4c3b-9e8f-0a1b2c3d4e5f');
    // The next change queues behind the first one's audit event, which cannot be published yet.
    const cleared = await settings.setToken('global', null, null, 'test');
    await until(async () => (await streamLastSeq()) === before + 2, 'both token changes are published without the AUDIT stream');
    const waiting = await db.query(`SELECT payload FROM settings.outbox WHERE subject = '${AUDIT_RECORDED}' ORDER BY id`);
    expect(waiting.map((r: { payload: unknown }) => r.payload)).toEqual([
      expect.objectContaining({
        type: 'audit.recorded',
        actor_id: '0b7d2c4e-8f1a-4c3b-9e8f-0a1b2c3d4e5f',
        action: 'token.set',
        target: 'global',
        details: {
          scope: 'global',
          scope_id: null,
          version: row.version,
          old_fingerprint: fingerprint('hf_audit_first_1'),
          new_fingerprint: fingerprint('hf_audit_second_2'),
          // Set without a Hub check (setToken called directly): unverified.
          hub_status: 'unverified',
          hub_owner: null,
          hub_role: null,
        },
      }),
      expect.objectContaining({
        actor_id: null,
        action: 'token.clear',
        target: 'global',
        details: { scope: 'global', scope_id: null, version: cleared.version, old_fingerprint: fingerprint('hf_audit_second_2'), new_fingerprint: null },
      }),
    ]);
    expect(JSON.stringify(waiting)).not.toContain('hf_audit_second_2');

    await withNats((nc) => ensureAuditStream(nc));
    await until(async () => (await unpublished(db)) === 0, 'the audit event is published once its stream exists');
    const stored = await withNats(async (nc) => (await jetstreamManager(nc)).streams.getMessage(AUDIT_STREAM, { last_by_subj: AUDIT_RECORDED }));
    expect(stored?.json()).toMatchObject({ action: 'token.clear', details: { version: cleared.version } });
  });

  it('the stored token and the queued event are envelopes, never the clear text', async () => {
    const app = apps[0] ?? (await replica());
    const db = app.get<DataSource>(getDataSourceToken());
    await nats.stop(); // keeps the event in the outbox while we look
    try {
      await app.get(SettingsService).setToken('global', null, Secret.of('hf_outbox_at_rest_1'), 'test');
      const tokens = JSON.stringify(await db.query('SELECT * FROM settings.hf_tokens'));
      const outbox = JSON.stringify(await db.query('SELECT * FROM settings.outbox'));
      expect(tokens).toContain('A256GCM');
      expect(outbox).toContain('A256GCM');
      expect(tokens + outbox).not.toContain('hf_outbox_at_rest_1');
    } finally {
      await nats.start();
    }
    await until(async () => (await unpublished(db)) === 0, 'the outbox drained after NATS returned');
  });
});
