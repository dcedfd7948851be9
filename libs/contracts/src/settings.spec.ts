import { describe, expect, it } from 'vitest';
import {
  describeFieldErrors,
  MAX_ACKS_PER_MESSAGE,
  parseSettingsApplied,
  parseSettingsAppliedMessage,
  parseSettingsUpdatedEvent,
  scopeOfSettingsSubject,
  settingsSubject,
} from './index';

const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

const EVENT = {
  type: 'settings.updated',
  schema: 1,
  scope: 'global',
  scope_id: null,
  version: 3,
  huggingface_token: { kid: 'k1', alg: 'A256GCM', iv: 'a', ct: 'b', tag: 'c' },
  fingerprint: 'sha256:1a2b3c4d5e6f',
  updated_at: '2026-11-01T00:00:00.000Z',
  updated_by: 'user-1',
};

const fieldsOf = (result: { ok: boolean; errors?: Array<{ field: string }> }) => (result.ok ? [] : result.errors!.map((e) => e.field));

describe('parseSettingsUpdatedEvent', () => {
  it('accepts the docs/reference/events.md event, a clear (null token) and a scoped event', () => {
    expect(parseSettingsUpdatedEvent(bytes(EVENT))).toEqual({ ok: true, value: EVENT });
    expect(parseSettingsUpdatedEvent(bytes({ ...EVENT, huggingface_token: null, fingerprint: null })).ok).toBe(true);
    expect(parseSettingsUpdatedEvent(bytes({ ...EVENT, scope: 'model', scope_id: 'Qwen/Qwen2.5' })).ok).toBe(true);
  });

  // What TokenStore.apply would throw on must be refused here, or the runner cannot skip it.
  it.each([
    ['version 0', { version: 0 }, 'version'],
    ['a negative version', { version: -1 }, 'version'],
    ['a string version', { version: '3' }, 'version'],
    ['a fractional version', { version: 1.5 }, 'version'],
    ['a global event with a scope id', { scope_id: 'acme' }, 'scope_id'],
    ['a scoped event without an id', { scope: 'org', scope_id: null }, 'scope_id'],
    ['a scoped event with an empty id', { scope: 'user', scope_id: '' }, 'scope_id'],
    ['an unknown scope', { scope: 'team' }, 'scope'],
    ['another schema', { schema: 2 }, 'schema'],
    ['another type', { type: 'settings.deleted' }, 'type'],
    ['a token that is not an object', { huggingface_token: 'hf_plain' }, 'huggingface_token'],
    ['a missing updated_at', { updated_at: undefined }, 'updated_at'],
  ])('refuses %s', (_, change, field) => {
    expect(fieldsOf(parseSettingsUpdatedEvent(bytes({ ...EVENT, ...change })))).toEqual([field]);
  });

  it.each([
    ['garbage bytes', Uint8Array.from([0xff, 0xfe, 0x00])],
    ['JSON that is not an object', bytes('[1,2]')],
    ['null', bytes('null')],
    ['truncated JSON', bytes('{"type":')],
  ])('refuses %s as one message-level error', (_, data) => {
    expect(fieldsOf(parseSettingsUpdatedEvent(data))).toEqual(['(message)']);
  });

  it('never repeats the input in its errors', () => {
    const result = parseSettingsUpdatedEvent(bytes({ ...EVENT, version: 'hf_secretish', scope_id: 'hf_secretish', huggingface_token: 'hf_secretish' }));
    expect(result.ok).toBe(false);
    expect(describeFieldErrors(result.ok ? [] : result.errors)).not.toContain('hf_secretish');
  });
});

describe('parseSettingsApplied', () => {
  const ACK = { runner_id: 'gpu-1', scope: 'global', scope_id: null, version: 3, hf_token_provided: true };

  it('accepts what a runner publishes', () => {
    expect(parseSettingsApplied(bytes(ACK))).toEqual({ ok: true, value: ACK });
  });

  it.each([
    ['a runner id that is not one subject token', { runner_id: 'gpu 1' }, 'runner_id'],
    ['version 0', { version: 0 }, 'version'],
    ['a scope id for global', { scope_id: 'x' }, 'scope_id'],
    ['a non-boolean hf_token_provided', { hf_token_provided: 'yes' }, 'hf_token_provided'],
  ])('refuses %s', (_, change, field) => {
    expect(fieldsOf(parseSettingsApplied(bytes({ ...ACK, ...change })))).toEqual([field]);
  });
});

describe('parseSettingsAppliedMessage', () => {
  const ACK = { runner_id: 'gpu-1', scope: 'global', scope_id: null, version: 3, hf_token_provided: true };
  const ORG = { scope: 'org', scope_id: 'acme', version: 1, hf_token_provided: false };

  it('reads the single form and the batch form, each ack with the runner id', () => {
    expect(parseSettingsAppliedMessage(bytes(ACK))).toEqual({ ok: true, value: [ACK] });
    expect(parseSettingsAppliedMessage(bytes({ runner_id: 'gpu-1', acks: [ORG, { ...ACK, runner_id: undefined }] }))).toEqual({
      ok: true,
      value: [{ runner_id: 'gpu-1', ...ORG }, ACK],
    });
  });

  it("a batch cannot speak for another runner: an entry's own runner_id is ignored", () => {
    const parsed = parseSettingsAppliedMessage(bytes({ runner_id: 'gpu-1', acks: [{ ...ORG, runner_id: 'gpu-2' }] }));
    expect(parsed).toEqual({ ok: true, value: [{ ...ORG, runner_id: 'gpu-1' }] });
  });

  it.each([
    ['an empty batch', { runner_id: 'gpu-1', acks: [] }, ['acks']],
    ['too many acks', { runner_id: 'gpu-1', acks: Array.from({ length: MAX_ACKS_PER_MESSAGE + 1 }, () => ORG) }, ['acks']],
    ['a bad entry, named by its place', { runner_id: 'gpu-1', acks: [ORG, { ...ORG, version: 0 }] }, ['acks[1].version']],
    ['a bad runner id', { runner_id: 'gpu 1', acks: [ORG] }, ['runner_id']],
    ['an entry that is not an object', { runner_id: 'gpu-1', acks: [7] }, ['runner_id', 'acks[0].scope', 'acks[0].version', 'acks[0].hf_token_provided']],
  ])('refuses %s', (_, message, fields) => {
    expect(fieldsOf(parseSettingsAppliedMessage(bytes(message)))).toEqual(fields);
  });
});

describe('scopeOfSettingsSubject', () => {
  it('inverts settingsSubject for every scope, ids with dots, slashes and non-ASCII included', () => {
    const refs = [
      { scope: 'global', scopeId: null },
      { scope: 'org', scopeId: 'acme.eu' },
      { scope: 'user', scopeId: '7f3c2a9e-1b4d-4c8e-9f00-123456789abc' },
      { scope: 'model', scopeId: 'Qwen/Qwen2.5-7B-Instruct' },
      { scope: 'model', scopeId: 'ünïcode/模型' },
    ] as const;
    for (const ref of refs) expect(scopeOfSettingsSubject(settingsSubject(ref.scope, ref.scopeId))).toEqual(ref);
  });

  it('is null for subjects settingsSubject never makes', () => {
    for (const subject of [
      'settings.updated',
      'settings.updated.global.extra',
      'settings.updated.team.YWNtZQ',
      'settings.updated.org',
      'settings.updated.org.YWNtZQ.extra',
      'settings.updated.org.YWNtZQ==', // padded: not the canonical base64url of "acme"
      'settings.updated.org.not*base64',
      'settings.applied.org.YWNtZQ',
    ]) {
      expect(scopeOfSettingsSubject(subject), subject).toBeNull();
    }
  });
});
