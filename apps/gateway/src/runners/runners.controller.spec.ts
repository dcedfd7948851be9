import { describe, expect, it } from 'vitest';
import type { RunnerRecord, RunnerSyncRecord, SyncStatusView } from '@helix/contracts';
import { joinSyncState } from './runners.controller';

const record = (over: Partial<RunnerRecord> = {}): RunnerRecord => ({
  id: 'gpu-1',
  state: 'online',
  last_seen: '2026-11-27T10:05:00.000Z',
  memory_total: 80e9,
  memory_allocated: 0,
  settings_version: 3,
  settings_seq: 120,
  settings_applied: 5,
  hf_token_provided: true,
  gpus: [{ index: 0, memory_total: 80e9, memory_allocated: 0, slot_ids: [] }],
  slots: [],
  ...over,
});

const globalAck = (version: number, runnerId = 'gpu-1'): RunnerSyncRecord => ({
  runner_id: runnerId,
  scope: 'global',
  scope_id: null,
  version,
  hf_token_provided: true,
  applied_at: '2026-11-27T10:05:00.000Z',
});

const sync = (over: Partial<SyncStatusView> = {}): SyncStatusView => ({ global_version: 3, settings_seq: 120, acks: [], ...over });

describe('joinSyncState', () => {
  it('is in sync once the runner processed the stream up to its last sequence and holds the global version', () => {
    expect(joinSyncState(record(), sync())).toMatchObject({ in_sync: true, settings_version: 3, settings_applied: 5 });
    expect(joinSyncState(record({ settings_seq: 130 }), sync())).toMatchObject({ in_sync: true });
  });

  it('is not in sync while the runner is behind the stream, even with the current global version', () => {
    expect(joinSyncState(record({ settings_seq: 119 }), sync())).toMatchObject({ in_sync: false, settings_version: 3 });
  });

  it('is not in sync while a committed change has not reached the stream (no sequence)', () => {
    expect(joinSyncState(record({ settings_seq: 1_000 }), sync({ settings_seq: null }))).toMatchObject({ in_sync: false });
  });

  it('is not in sync below the current global version', () => {
    expect(joinSyncState(record({ settings_version: 2 }), sync())).toMatchObject({ in_sync: false, settings_version: 2 });
  });

  it("takes the runner's global ack when it is newer than its last heartbeat, and only its own", () => {
    const view = joinSyncState(record({ settings_version: 2 }), sync({ global_version: 4, acks: [globalAck(9, 'gpu-2'), globalAck(4)] }));
    expect(view).toMatchObject({ settings_version: 4, in_sync: true });
    expect(joinSyncState(record({ settings_version: 2 }), sync({ global_version: 4, acks: [globalAck(9, 'gpu-2')] }))).toMatchObject({
      settings_version: 2,
      in_sync: false,
    });
  });

  it('keeps the other fields of the runner', () => {
    const view = joinSyncState(record({ state: 'offline', memory_allocated: 7 }), sync());
    expect(view).toEqual({
      id: 'gpu-1',
      state: 'offline',
      last_seen: '2026-11-27T10:05:00.000Z',
      memory_total: 80e9,
      memory_allocated: 7,
      settings_version: 3,
      in_sync: true,
      settings_applied: 5,
      hf_token_provided: true,
      gpus: [{ index: 0, memory_total: 80e9, memory_allocated: 0, slot_ids: [] }],
      slots: [],
    });
  });
});
