// The heartbeat's settings fields: constant size whatever the number of scopes, and sent again soon
// after any progress through the settings stream (an ignored message counts), at most once a second.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NatsConnection } from '@nats-io/nats-core';
import { runnerHeartbeatSubject, type RunnerHeartbeat } from '@helix/contracts';
import { decodeJson } from '@helix/nats';
import { Secret } from '@helix/secrets';
import { TokenStore } from '@helix/token-store';
import type { RunnerSettings } from '../config';
import type { SettingsSyncService } from '../settings/settings-sync.service';
import { HeartbeatService, type SlotsSource } from './heartbeat.service';

function setup() {
  const sent: RunnerHeartbeat[] = [];
  const sentAt: number[] = [];
  const nc = {
    publish: (subject: string, data: Uint8Array) => {
      if (subject !== runnerHeartbeatSubject('gpu-1')) return;
      sent.push(decodeJson<RunnerHeartbeat>(data));
      sentAt.push(Date.now());
    },
    isClosed: () => false,
  } as unknown as NatsConnection;
  const store = new TokenStore();
  const processed: Array<(seq: number) => void> = [];
  const sync = {
    processedSeq: 0,
    onProcessed: (l: (seq: number) => void) => processed.push(l),
    resolve: () => store.resolve({}),
    version: (scope: 'global', id: null) => store.version(scope, id),
    get heldScopes() {
      return store.size;
    },
  };
  const slots: SlotsSource = { views: () => [], memoryAllocated: () => 0 };
  const service = new HeartbeatService(
    nc,
    { runnerId: 'gpu-1', memoryTotal: 80e9, gpus: [{ index: 0, memory: 80e9 }] } as RunnerSettings,
    slots,
    sync as unknown as SettingsSyncService,
  );
  const progress = (seq: number) => {
    sync.processedSeq = seq;
    for (const l of processed) l(seq);
  };
  return { service, store, sent, sentAt, progress };
}

describe('HeartbeatService', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reports the global version, the processed stream sequence and how many scopes it holds', () => {
    const { service, store, progress } = setup();
    store.apply({ scope: 'global', scopeId: null, version: 3, token: Secret.of('hf_global') });
    for (let i = 0; i < 50; i++) store.apply({ scope: 'model', scopeId: `m/${i}`, version: 1, token: null });
    progress(57);
    const hb = service.heartbeat();
    expect(hb).toMatchObject({ runner_id: 'gpu-1', settings_version: 3, settings_seq: 57, settings_applied: 51, hf_token_provided: true });
    expect(hb).not.toHaveProperty('settings_versions');
  });

  it('sends a heartbeat at once after progress through the stream, then at most one a second during a burst', () => {
    const { service, sent, sentAt, progress } = setup();
    service.onApplicationBootstrap();
    expect(sent.map((h) => h.settings_seq)).toEqual([0]);
    vi.advanceTimersByTime(1_000);
    progress(1);
    expect(sent.map((h) => h.settings_seq)).toEqual([0, 1]);
    // Two seconds of rotations 10 ms apart: each heartbeat is a database write in the models-service,
    // for each runner, so their rate is bounded per runner, not per rotation.
    for (let seq = 2; seq <= 201; seq++) {
      vi.advanceTimersByTime(10);
      progress(seq);
    }
    vi.advanceTimersByTime(1_000);
    const changes = sentAt.slice(1);
    for (let i = 1; i < changes.length; i++) expect(changes[i] - changes[i - 1]).toBeGreaterThanOrEqual(1_000);
    expect(sent.at(-1)!.settings_seq).toBe(201); // the end of the burst is reported
    service.onApplicationShutdown();
  });
});
