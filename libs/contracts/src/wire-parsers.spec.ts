import { describe, expect, it } from 'vitest';
import { parseSlotCreate, parseSlotStop } from './models';
import { parseHeartbeat, parseSlotReport, type SlotView } from './runners';
import { runnerIdOfSubject } from './subjects';

const SLOT_ID = '3f2b8c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';
const report: SlotView = {
  id: SLOT_ID,
  model_id: 'Qwen/Qwen2.5',
  runner_id: 'gpu-1',
  state: 'running',
  restarts: 0,
  endpoint: 'http://127.0.0.1:9000',
  hf_token_source: 'global',
  hf_token_fingerprint: 'sha256:0123456789ab',
  error: null,
  gpus: [0],
  created: '2026-11-01T00:00:00.000Z',
  updated: '2026-11-01T00:00:01.000Z',
};
const heartbeat = {
  runner_id: 'gpu-1',
  memory_total: 80e9,
  memory_allocated: 0,
  settings_version: 3,
  settings_seq: 41,
  settings_applied: 2,
  hf_token_provided: true,
  gpus: [{ index: 0, memory: 80e9 }],
  slots: [report],
  sent_at: report.updated,
};
const fields = (r: { ok: boolean; errors?: Array<{ field: string }> }) => (r.ok ? [] : r.errors!.map((e) => e.field));

describe('parseSlotReport (runner.<id>.slots.status)', () => {
  it('accepts a report as the runner sends it', () => expect(parseSlotReport(report)).toEqual({ ok: true, value: report }));

  it.each([
    ['state', { state: 'exploded' }],
    ['hf_token_source', { hf_token_source: 'neighbour' }],
    ['hf_token_fingerprint', { hf_token_fingerprint: 'hf_notAFingerprint' }],
    ['error', { state: 'failed', error: { code: 'gremlins', message: 'x' } }],
    ['updated', { updated: 'yesterday' }],
    ['id', { id: 'not-a-uuid' }],
    ['restarts', { restarts: 1.5 }],
    ['gpus', { gpus: [0, 0] }],
  ])('names %s when it is wrong', (field, patch) => expect(fields(parseSlotReport({ ...report, ...patch }))).toEqual([`slot.${field}`]));

  it('never repeats a value in its messages', () => {
    const result = parseSlotReport({ ...report, state: 'hf_secretValueXYZ', hf_token_fingerprint: 'hf_secretValueXYZ' });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('hf_secretValueXYZ');
  });

  it.each([[null], ['running'], [[report]]])('refuses %j as not an object', (input) => expect(fields(parseSlotReport(input))).toEqual(['slot']));
});

describe('parseHeartbeat (runners.heartbeat)', () => {
  it('accepts a heartbeat and keeps its valid slots', () => {
    const result = parseHeartbeat(heartbeat);
    expect(result).toEqual({ ok: true, value: { heartbeat, ignoredSlots: [] } });
  });

  it('reads the per-scope map of a runner from before the stream sequence (rolling upgrade)', () => {
    const { settings_version: _v, settings_seq: _s, settings_applied: _a, ...rest } = heartbeat;
    const result = parseHeartbeat({ ...rest, settings_versions: { global: 3, 'org:acme': 1 } });
    expect(result).toEqual({ ok: true, value: { heartbeat: { ...rest, settings_version: 3, settings_seq: 0, settings_applied: 2 }, ignoredSlots: [] } });
  });

  it('leaves out a malformed slot entry but keeps the heartbeat', () => {
    const result = parseHeartbeat({ ...heartbeat, slots: [{ ...report, state: 'exploded' }, report] });
    expect(result.ok && result.value.heartbeat.slots).toEqual([report]);
    expect(result.ok && result.value.ignoredSlots.map((e) => e.field)).toEqual(['slots[0].state']);
  });

  it('names every bad top-level field', () => {
    const bad = {
      runner_id: 'has space',
      memory_total: -1,
      memory_allocated: '1GB',
      settings_version: 1.5,
      settings_seq: -1,
      settings_applied: '3',
      hf_token_provided: 'yes',
      slots: {},
    };
    expect(fields(parseHeartbeat(bad))).toEqual([
      'runner_id',
      'memory_total',
      'memory_allocated',
      'settings_version',
      'settings_seq',
      'settings_applied',
      'hf_token_provided',
      'slots',
    ]);
  });
});

describe('parseSlotCreate / parseSlotStop (runner.<id>.slots.create|stop)', () => {
  const create = { slot_id: SLOT_ID, model: { id: 'Qwen/Qwen2.5', type: 'chat', memory: 39e9, context_length: 32768, runtime_args: ['--x'] } };

  it('accepts well-formed commands', () => {
    expect(parseSlotCreate(create)).toEqual({ ok: true, value: create });
    expect(parseSlotStop({ slot_id: SLOT_ID })).toEqual({ ok: true, value: { slot_id: SLOT_ID } });
  });

  it('names every bad field of a create', () => {
    const bad = { slot_id: 'nope', model: { id: 'a//b', type: 'audio', memory: -1, context_length: 0, runtime_args: [1] }, user_id: 'has space' };
    expect(fields(parseSlotCreate(bad))).toEqual([
      'slot_id',
      'model.id',
      'model.type',
      'model.memory',
      'model.context_length',
      'model.runtime_args',
      'user_id',
    ]);
    expect(fields(parseSlotCreate({ slot_id: SLOT_ID }))).toEqual(['model']);
  });

  it('refuses a stop without a slot id', () => {
    expect(fields(parseSlotStop({ slot_id: 'x' }))).toEqual(['slot_id']);
    expect(fields(parseSlotStop('stop'))).toEqual(['command']);
  });
});

describe('runnerIdOfSubject', () => {
  it('names the runner of its own per-runner subjects, and nothing else', () => {
    expect(runnerIdOfSubject('settings.applied.gpu-1')).toBe('gpu-1');
    expect(runnerIdOfSubject('runners.heartbeat.gpu_2')).toBe('gpu_2');
    expect(runnerIdOfSubject('runner.gpu-3.slots.status')).toBe('gpu-3');
    for (const subject of [
      'settings.applied',
      'runners.heartbeat',
      'settings.applied.a.b',
      'runners.heartbeat.*',
      'runner.gpu.slots',
      'settings.updated.gpu-1',
      'runners.heartbeat.a%b',
    ])
      expect(runnerIdOfSubject(subject)).toBeUndefined();
  });
});
