import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { HealthModule, ReadinessRegistry } from '@helix/health';
import { startNats, type NatsProcess } from '@helix/testing';
import {
  connectNats,
  isNoResponders,
  isStreamNotFound,
  isTimeout,
  NATS_CONNECTION,
  natsConnectionOptions,
  natsSettingsFromEnv,
  NatsLink,
  NatsModule,
  runConsumer,
  waitForStream,
} from './index';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const until = async (probe: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Against a real nats-server: the error kinds nats.js reports, and the helpers built on them. */
describe('libs/nats', () => {
  let nats: NatsProcess;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it('recognises a missing stream and a request nobody answers by their types', async () => {
    const jsm = await jetstreamManager(nc);
    const missing = await jsm.streams.info('NO_SUCH_STREAM').catch((e) => e);
    expect(isStreamNotFound(missing)).toBe(true);
    expect(isStreamNotFound(new Error('stream not found'))).toBe(false); // the words alone are not enough
    const unanswered = await nc.request('nobody.listens.here', undefined, { timeout: 1_000 }).catch((e) => e);
    expect(isNoResponders(unanswered)).toBe(true);
    expect(isTimeout(unanswered)).toBe(false);
  });

  it('waitForStream only reads: it waits for the owner to create the stream and never creates it', async () => {
    const jsm = await jetstreamManager(nc);
    let missingReported = 0;
    const waiting = waitForStream(nc, 'WAITED', { pollMs: 50, onMissing: () => missingReported++ });
    await new Promise((r) => setTimeout(r, 300));
    expect(isStreamNotFound(await jsm.streams.info('WAITED').catch((e) => e))).toBe(true);
    await jsm.streams.add({ name: 'WAITED', subjects: ['waited.>'] });
    expect((await waiting).config.name).toBe('WAITED');
    expect(missingReported).toBe(1);
    const aborted = new AbortController();
    const never = waitForStream(nc, 'NEVER', { pollMs: 50, signal: aborted.signal });
    aborted.abort();
    await expect(never).rejects.toThrow();
  });

  it('runConsumer skips a message whose handler throws instead of replaying it forever', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'LOOP', subjects: ['loop.>'] });
    const js = jetstream(nc);
    for (const body of ['poison', 'good-1', 'good-2']) await js.publish('loop.x', body);
    const seen: string[] = [];
    let opened = 0;
    const loop = runConsumer({
      name: 'loop',
      nc,
      logger: quiet,
      retryMs: 50,
      open: async () => {
        opened++;
        return (await js.consumers.get('LOOP')).consume();
      },
      handle: (msg: JsMsg) => {
        seen.push(msg.string());
        if (msg.string() === 'poison') throw new Error('cannot handle');
      },
    });
    await until(() => seen.length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    await loop.stop();
    expect(seen).toEqual(['poison', 'good-1', 'good-2']);
    expect(opened).toBe(1);
  });

  it('runConsumer opens a durable consumer again after it was deleted', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'DURABLE', subjects: ['durable.>'] });
    const js = jetstream(nc);
    const seen: string[] = [];
    let opened = 0;
    const loop = runConsumer({
      name: 'durable',
      nc,
      logger: quiet,
      retryMs: 50,
      open: async () => {
        opened++;
        await jsm.consumers.add('DURABLE', { durable_name: 'd', ack_policy: AckPolicy.Explicit });
        return (await js.consumers.get('DURABLE', 'd')).consume({ idle_heartbeat: 500, expires: 1_000 });
      },
      handle: (msg: JsMsg) => {
        seen.push(msg.string());
        msg.ack();
      },
    });
    await js.publish('durable.x', 'one');
    await until(() => seen.includes('one'));
    await jsm.consumers.delete('DURABLE', 'd');
    await until(() => opened >= 2, 15_000);
    await js.publish('durable.x', 'two');
    await until(() => seen.includes('two'));
    await loop.stop();
  });

  it('NatsModule: one injectable connection, a nats readiness check, onReconnect, and a drain on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot(), NatsModule.forRoot({ name: 'nats-spec', settings: { servers: [nats.url] } })],
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    await app.init();
    const connection = app.get<NatsConnection>(NATS_CONNECTION);
    const link = app.get(NatsLink);
    const readiness = app.get(ReadinessRegistry);
    expect(await readiness.evaluate()).toEqual({ ready: true, checks: { nats: true } });

    let reconnects = 0;
    link.onReconnect(() => reconnects++);
    await nats.stop();
    await until(async () => !(await readiness.evaluate()).ready);
    await nats.start();
    await until(() => reconnects === 1, 20_000);
    expect(await readiness.evaluate()).toMatchObject({ ready: true });

    await app.close();
    expect(connection.isClosed()).toBe(true);
  });
});

describe('TLS to NATS (HELIX_NATS_TLS_CA)', () => {
  let nats: NatsProcess;
  let dir: string;

  beforeAll(async () => {
    // A private CA and a server certificate for 127.0.0.1, as an operator would make them.
    dir = mkdtempSync(join(tmpdir(), 'helix-nats-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=helix-test-ca',
    );
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
    writeFileSync(join(dir, 'tls.conf'), `tls {\n  cert_file: "${join(dir, 'server.pem')}"\n  key_file: "${join(dir, 'server.key')}"\n}\n`);
    nats = await startNats({ configFile: join(dir, 'tls.conf') });
  });

  afterAll(async () => {
    await nats?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects over TLS with the private CA, and not without it', async () => {
    const settings = natsSettingsFromEnv({ HELIX_NATS_URL: nats.url, HELIX_NATS_TLS_CA: join(dir, 'ca.pem') });
    const secure = await connectNats(settings, 'tls-test');
    await secure.flush();
    await secure.close();
    await expect(connect({ ...natsConnectionOptions({ servers: [nats.url] }, 'no-ca'), waitOnFirstConnect: false, maxReconnectAttempts: 0 })).rejects.toThrow(
      /certificate/i,
    );
  });
});
