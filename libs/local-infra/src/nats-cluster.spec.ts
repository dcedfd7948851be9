import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, tcpAccepts, type NatsCluster } from './index';

describe('startNatsCluster', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  const extra = mkdtempSync(join(tmpdir(), 'helix-nats-include-'));
  const include = join(extra, 'extra.conf');

  beforeAll(async () => {
    // Stands in for the auth file of bin/helix-nats-setup: a setting /varz shows, and a listen
    // address the node's own configuration must override.
    writeFileSync(include, 'max_connections: 4321\nlisten: "127.0.0.1:1"\n');
    cluster = await startNatsCluster({ nodes: 3, include });
    nc = await connect({ servers: cluster.url.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });
  afterAll(async () => {
    await nc?.close();
    await cluster?.dispose();
    rmSync(extra, { recursive: true, force: true });
  });

  it('runs three routed servers with JetStream, each with its own name, ports, store and the included file', async () => {
    expect(cluster.nodes.map((n) => n.name)).toEqual(['n0', 'n1', 'n2']);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);
    expect(new Set(cluster.nodes.map((n) => n.storeDir)).size).toBe(3);
    expect(cluster.url).toBe(cluster.nodes.map((n) => n.url).join(','));
    expect(cluster.urlFrom(2).split(',')[0]).toBe(cluster.nodes[2].url);
    for (const n of cluster.nodes) {
      expect(await tcpAccepts(n.port)).toBe(true);
      const varz = (await (await fetch(`${n.monitorUrl}/varz`)).json()) as any;
      expect(varz.server_name).toBe(n.name);
      expect(varz.max_connections).toBe(4321);
      expect(varz.cluster.name).toBe('helix');
      expect(varz.jetstream.config.store_dir).toContain(n.storeDir);
      expect(readFileSync(n.configFile, 'utf8')).toMatch(/^include "\.\.\/\.\.\/.*extra\.conf"$/m);
    }
    expect(cluster.indexOf(await cluster.waitForMetaLeader())).toBeGreaterThanOrEqual(0);
  });

  it('keeps an R3 stream writable when its leader is killed, and the node rejoins on the same ports', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'CLUSTER_TEST', subjects: ['cluster.test.>'], num_replicas: 3 });
    const js = jetstream(nc);
    await js.publish('cluster.test.a', 'one');
    const leader = await cluster.streamLeader('CLUSTER_TEST');
    expect(leader).toBeDefined();
    const i = cluster.indexOf(leader!);
    const port = cluster.nodes[i].port;
    await cluster.kill(i);
    expect(cluster.nodes[i].running).toBe(false);
    // A new leader is elected among the two left; the publish is retried until it is.
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await js.publish('cluster.test.b', 'two', { timeout: 2000 });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
    const newLeader = await cluster.streamLeader('CLUSTER_TEST');
    expect(newLeader).toBeDefined();
    expect(newLeader).not.toBe(leader);
    await cluster.start(i);
    expect(cluster.nodes[i].port).toBe(port);
    expect((await jsm.streams.info('CLUSTER_TEST')).state.messages).toBe(2);
    expect((await jsm.streams.info('CLUSTER_TEST')).cluster?.replicas?.length).toBe(2);
  });

  it('removes its directory on dispose, and wants at least two nodes', async () => {
    await expect(startNatsCluster({ nodes: 1 })).rejects.toThrow(/at least 2/);
    const other = await startNatsCluster({ nodes: 2 });
    const dir = join(other.nodes[0].storeDir, '..', '..');
    expect(existsSync(dir)).toBe(true);
    await other.dispose();
    expect(existsSync(dir)).toBe(false);
  });
});
