import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, tcpAccepts, type NatsProcess } from './index';

describe('startNats', () => {
  let nats: NatsProcess;
  const logDir = mkdtempSync(join(tmpdir(), 'helix-nats-log-'));
  const logFile = join(logDir, 'nats.log');

  beforeAll(async () => {
    nats = await startNats({ logFile });
  });
  afterAll(async () => {
    await nats?.dispose();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('runs a private server with JetStream on a random port, logging to the file', async () => {
    expect(nats.port).not.toBe(4222);
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    expect(nats.running).toBe(true);
    expect(await tcpAccepts(nats.port)).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toContain('Server is ready');
    const res = await fetch(`${nats.monitorUrl}/jsz`);
    expect(((await res.json()) as { config?: { store_dir?: string } }).config?.store_dir).toContain(nats.storeDir);
  });

  it('keeps JetStream streams across stop/start, and refuses connections while stopped', async () => {
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'HARNESS_TEST', subjects: ['harness.test.>'] });
    const js = jsm.jetstream();
    await js.publish('harness.test.a', 'hello');
    await nc.close();

    const port = nats.port;
    await nats.stop();
    expect(nats.running).toBe(false);
    expect(await tcpAccepts(port)).toBe(false);
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 1000 })).rejects.toThrow();

    await nats.start();
    expect(nats.port).toBe(port);
    const nc2 = await connect({ servers: nats.url });
    try {
      const info = await (await jetstreamManager(nc2)).streams.info('HARNESS_TEST');
      expect(info.config.subjects).toEqual(['harness.test.>']);
      expect(info.state.messages).toBe(1);
    } finally {
      await nc2.close();
    }
  });

  it('kill() ends the server abruptly and start() recovers', async () => {
    const pid = nats.pid!;
    await nats.kill();
    expect(() => process.kill(pid, 0)).toThrow();
    await nats.start();
    const nc = await connect({ servers: nats.url });
    try {
      expect((await (await jetstreamManager(nc)).streams.info('HARNESS_TEST')).state.messages).toBe(1);
    } finally {
      await nc.close();
    }
  });

  it('dispose() removes its temp store dir but keeps a caller-provided one', async () => {
    const own = await startNats();
    const ownDir = own.storeDir;
    expect(existsSync(ownDir)).toBe(true);
    await own.dispose();
    expect(existsSync(ownDir)).toBe(false);

    const mine = mkdtempSync(join(tmpdir(), 'helix-nats-mine-'));
    try {
      const provided = await startNats({ storeDir: mine });
      expect(provided.storeDir).toBe(mine);
      await provided.dispose();
      expect(existsSync(join(mine, 'jetstream'))).toBe(true);
    } finally {
      rmSync(mine, { recursive: true, force: true });
    }
  });

  it('fails with the log tail when the server cannot start', async () => {
    await expect(startNats({ port: nats.port })).rejects.toThrow(/address already in use/i);
  });
});
