import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EntityManager } from 'typeorm';
import { TimeoutError } from '@nats-io/nats-core';
import { settingsSubject, type SettingsUpdatedEvent } from '@helix/contracts';
import { generateKeyBase64, Secret, SettingsBusCipher, TokenAtRestCipher } from '@helix/secrets';
import { HfTokenEntity } from '../entities';
import { SettingsEventFactory } from '../settings/settings-event.factory';
import type { StreamHead } from '../streams/settings-streams';
import { REPAIR_CHUNK, StreamRepair, StreamRepairScheduler } from './stream-repair.service';

const GLOBAL = settingsSubject('global', null);
const bus = SettingsBusCipher.fromBase64(generateKeyBase64());
const atRest = TokenAtRestCipher.fromBase64(generateKeyBase64());

function storedGlobal(version: number, token: string | null): HfTokenEntity {
  return Object.assign(new HfTokenEntity(), {
    scope: 'global',
    scopeId: '',
    version,
    envelope: token ? atRest.seal(Secret.of(token), 'global', null) : null,
    fingerprint: token ? Secret.of(token).fingerprint : null,
    createdAt: new Date(0),
    updatedAt: new Date(1_000),
    updatedBy: 'admin',
  });
}

function storedModel(i: number, version: number): HfTokenEntity {
  return Object.assign(new HfTokenEntity(), {
    scope: 'model',
    scopeId: `org/model-${String(i).padStart(4, '0')}`,
    version,
    envelope: atRest.seal(Secret.of(`hf_model_${i}`), 'model', `org/model-${String(i).padStart(4, '0')}`),
    fingerprint: Secret.of(`hf_model_${i}`).fingerprint,
    createdAt: new Date(0),
    updatedAt: new Date(1_000),
    updatedBy: 'admin',
  });
}

const keyOf = (row: HfTokenEntity) => `${row.scope}\u0000${row.scopeId}`;

/** A head as the tests describe it; the fake stream adds the digest of its message. */
type FakeHead = { kind: 'empty' } | { kind: 'invalid' } | { kind: 'event'; version: number; kid: string | null };

/** The fake message digest: one per subject and version (the real one hashes the message's bytes). */
const digestOf = (subject: string, version: number) => createHash('sha256').update(`${subject}@${version}`).digest();

/** Fakes for the table, the outbox, the stream and the kept digests; the event factory and ciphers are real. */
function setup(options: {
  rows: HfTokenEntity[];
  head: FakeHead | Error | ((subject: string) => FakeHead);
  pending?: string[];
  rowsOnceLocked?: HfTokenEntity[];
  verified?: Map<string, Buffer>;
}) {
  const added: Array<{ subject: string; msgId: string; event: SettingsUpdatedEvent }> = [];
  const warnings: Array<{ msg: string; obj: any }> = [];
  const infos: Array<{ msg: string; obj: any }> = [];
  const heads: string[] = [];
  /** Subjects whose head was asked for with its own digest as the verified one (so not verified again). */
  const skipped: string[] = [];
  const verified = options.verified ?? new Map<string, Buffer>();
  let locked = 0;
  let holdingLock = false;
  let turns = 0;
  // What another replica committed and published while this one waited for the lock is only visible once it holds it.
  const table = () => {
    if (!holdingLock) throw new Error('the stored versions must be read under the publish lock');
    return [...(options.rowsOnceLocked ?? options.rows)].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  };
  const repair = new StreamRepair(
    {
      listChangedPage: async (_tx, after, limit) =>
        table()
          .filter((r) => r.version > 0 && (!after || keyOf(r) > keyOf(after)))
          .slice(0, limit),
      findChanged: async (_tx, refs) => table().filter((r) => r.version > 0 && refs.some((ref) => ref.scope === r.scope && (ref.scopeId ?? '') === r.scopeId)),
    },
    {
      withPublishLock: async (work) => {
        locked++;
        holdingLock = true;
        try {
          return await work({} as EntityManager);
        } finally {
          holdingLock = false;
        }
      },
      pendingSubjects: async (_tx, subjects) => new Set(subjects.filter((s) => (options.pending ?? []).includes(s))),
      addAll: async (_tx, events) => void added.push(...events.map(({ subject, msgId, event }) => ({ subject, msgId, event: event as SettingsUpdatedEvent }))),
    },
    {
      ensure: async () => undefined,
      head: async (subject, known): Promise<StreamHead> => {
        heads.push(subject);
        if (options.head instanceof Error) throw options.head;
        const head = typeof options.head === 'function' ? options.head(subject) : options.head;
        if (head.kind !== 'event') return head;
        const digest = digestOf(subject, head.version);
        if (known && digest.equals(known)) skipped.push(subject);
        return { ...head, digest };
      },
    },
    {
      digests: async (_tx, subjects) => {
        if (!holdingLock) throw new Error('the kept digests are read under the publish lock');
        return new Map(subjects.filter((s) => verified.has(s)).map((s) => [s, verified.get(s)!]));
      },
      record: async (_tx, recorded) => {
        if (!holdingLock) throw new Error('digests are kept under the publish lock');
        for (const { subject, digest } of recorded) verified.set(subject, digest);
      },
    },
    new SettingsEventFactory(bus, atRest),
    { info: (obj, msg) => void infos.push({ obj, msg }), warn: (obj, msg) => void warnings.push({ obj, msg }) },
    async () => {
      if (holdingLock) throw new Error("the publisher's turn comes between chunks, not inside one");
      turns++;
    },
  );
  return { repair, added, warnings, infos, heads, skipped, verified, locked: () => locked, turns: () => turns };
}

describe('StreamRepair', () => {
  it('reads the stored versions while holding the publish lock: an event another replica published meanwhile is not "never had"', async () => {
    // Before the lock: version 6 stored; meanwhile another replica stored and published 7 and 8.
    const { repair, added, warnings } = setup({
      rows: [storedGlobal(6, 'hf_repair_race6')],
      rowsOnceLocked: [storedGlobal(8, 'hf_repair_race8')],
      head: { kind: 'event', version: 8, kid: 'k1' },
    });
    expect(await repair.repairAll()).toBe(0);
    expect(added).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('leaves a stream whose last event is the stored version alone', async () => {
    const { repair, added, warnings } = setup({ rows: [storedGlobal(3, 'hf_repair_1')], head: { kind: 'event', version: 3, kid: 'k1' } });
    expect(await repair.repairAll()).toBe(0);
    expect(added).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('a stream behind the database gets the stored token again, re-sealed for the bus with a fresh message id', async () => {
    const { repair, added, warnings, locked } = setup({ rows: [storedGlobal(3, 'hf_repair_2')], head: { kind: 'empty' } });
    expect(await repair.repairAll()).toBe(1);
    expect(locked()).toBe(1);
    expect(added).toHaveLength(1);
    const [{ subject, msgId, event }] = added;
    expect(subject).toBe(GLOBAL);
    expect(msgId).toMatch(new RegExp(`^${GLOBAL.replaceAll('.', '\\.')}@3~repair-\\d+$`)); // not deduplicated with the first publish of v3
    expect(event).toMatchObject({ type: 'settings.updated', scope: 'global', scope_id: null, version: 3, updated_by: 'admin' });
    // The at-rest copy is the source of truth: the event opens on the runners' side to the stored token.
    expect(bus.openEvent(event.huggingface_token, 'global', null, 3).reveal()).toBe('hf_repair_2');
    expect(warnings.map((w) => w.msg)).toEqual(['settings stream was behind the database; publishing the current state again']);
    expect(warnings[0].obj).toMatchObject({ version: 3, stream_version: 0 });
  });

  it('a cleared scope is republished as a clear', async () => {
    const { repair, added } = setup({ rows: [storedGlobal(4, null)], head: { kind: 'event', version: 2, kid: 'k1' } });
    expect(await repair.repairAll()).toBe(1);
    expect(added[0].event).toMatchObject({ version: 4, huggingface_token: null, fingerprint: null });
  });

  it('a last event that is not valid, or has a version the database never had, is replaced by the stored state', async () => {
    const invalid = setup({ rows: [storedGlobal(3, 'hf_repair_3')], head: { kind: 'invalid' } });
    expect(await invalid.repair.repairAll()).toBe(1);
    expect(invalid.warnings[0].msg).toBe('settings stream ends with an invalid event; publishing the current state again');
    const ahead = setup({ rows: [storedGlobal(3, 'hf_repair_3')], head: { kind: 'event', version: 103, kid: 'k1' } });
    expect(await ahead.repair.repairAll()).toBe(1);
    expect(ahead.warnings[0]).toMatchObject({
      msg: 'settings stream holds a version the database never had; publishing the current state again',
      obj: { stream_version: 103 },
    });
  });

  it('a scope with an event still in the outbox is left to the publisher', async () => {
    const { repair, added } = setup({ rows: [storedGlobal(3, 'hf_repair_4')], head: { kind: 'empty' }, pending: [GLOBAL] });
    expect(await repair.repairAll()).toBe(0);
    expect(added).toEqual([]);
  });

  it('a stream that cannot be read is an error, never a "behind" warning', async () => {
    const { repair, added, warnings } = setup({ rows: [storedGlobal(3, 'hf_repair_5')], head: new TimeoutError() });
    await expect(repair.repairAll()).rejects.toBeInstanceOf(TimeoutError);
    expect(added).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('publishes the stored version again when the stream holds it sealed with an older HELIX_SETTINGS_KEY (rotation), and only then', async () => {
    const rotated = setup({ rows: [storedGlobal(3, 'hf_repair_rotated')], head: { kind: 'event', version: 3, kid: 'k0' } });
    expect(await rotated.repair.repairAll()).toBe(1);
    expect(rotated.added[0].event).toMatchObject({ version: 3, huggingface_token: { kid: 'k1' } });
    expect(rotated.added[0].msgId).toMatch(/~repair-/);
    expect(rotated.infos.map((i) => i.msg)).toEqual([
      'settings stream holds a token sealed with an older settings key; publishing it again with the current key',
      'compared every scope with the settings stream',
    ]);
    expect(rotated.warnings).toEqual([]);
    const cleared = setup({ rows: [storedGlobal(4, null)], head: { kind: 'event', version: 4, kid: null } });
    expect(await cleared.repair.repairAll()).toBe(0);
  });
  it('compares every scope a chunk at a time, each under its own hold of the publish lock', async () => {
    const rows = Array.from({ length: 2 * REPAIR_CHUNK + 10 }, (_, i) => storedModel(i, 2));
    const behind = rows[2 * REPAIR_CHUNK + 3];
    const behindSubject = settingsSubject('model', behind.scopeId);
    const { repair, added, heads, infos, locked, turns } = setup({
      rows,
      head: (subject) => (subject === behindSubject ? { kind: 'event', version: 1, kid: 'k1' } : { kind: 'event', version: 2, kid: 'k1' }),
    });
    expect(await repair.repairAll()).toBe(1);
    expect(locked()).toBe(3); // publishing goes on between chunks
    expect(new Set(heads).size).toBe(rows.length); // every scope once
    expect(added.map((a) => a.subject)).toEqual([behindSubject]);
    expect(turns()).toBe(2); // the publisher's turn between chunks
    expect(infos.at(-1)).toMatchObject({ msg: 'compared every scope with the settings stream', obj: { scopes: rows.length, requeued: 1 } });
  });

  it('compares only the scopes of the subjects it is given, ignoring subjects no scope has', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => storedModel(i, 3));
    const forged = settingsSubject('model', rows[7].scopeId);
    const { repair, added, heads, warnings } = setup({ rows, head: { kind: 'invalid' } });
    expect(
      await repair.repairSubjects([forged, 'settings.updated.model.not-base64url!', 'settings.updated.team.eA', settingsSubject('user', 'never-set')]),
    ).toBe(1);
    expect(heads).toEqual([forged]);
    expect(added.map((a) => a.subject)).toEqual([forged]);
    expect(warnings.map((w) => w.msg)).toEqual(['settings stream ends with an invalid event; publishing the current state again']);
  });

  it('keeps the digest of each head it verified, and passes it back next time so that unchanged heads are not verified again', async () => {
    const rows = Array.from({ length: REPAIR_CHUNK + 5 }, (_, i) => storedModel(i, 2));
    const subjects = rows.map((r) => settingsSubject('model', r.scopeId));
    let version = (_subject: string) => 2;
    const first = setup({ rows, head: (subject) => ({ kind: 'event', version: version(subject), kid: 'k1' }) });
    expect(await first.repair.repairAll()).toBe(0);
    expect(first.skipped).toEqual([]); // nothing kept yet: every head verified
    expect([...first.verified.keys()].sort()).toEqual([...subjects].sort());
    expect(first.verified.get(subjects[3])).toEqual(digestOf(subjects[3], 2));

    // The next comparison: one head is a new message (its old digest no longer matches), one has no digest kept.
    version = (subject) => (subject === subjects[7] ? 1 : 2);
    first.verified.delete(subjects[9]);
    const second = setup({ rows, head: (subject) => ({ kind: 'event', version: version(subject), kid: 'k1' }), verified: first.verified });
    expect(await second.repair.repairAll()).toBe(1); // version 1 is behind the stored 2
    expect(second.skipped).toHaveLength(rows.length - 2);
    expect(second.skipped).not.toContain(subjects[7]);
    expect(second.skipped).not.toContain(subjects[9]);
    expect(second.verified.get(subjects[7])).toEqual(digestOf(subjects[7], 1)); // the new head, once verified
    expect(second.verified.get(subjects[9])).toEqual(digestOf(subjects[9], 2));
  });

  it('keeps no digest for an invalid or missing head', async () => {
    const invalid = setup({ rows: [storedGlobal(3, 'hf_repair_6')], head: { kind: 'invalid' } });
    await invalid.repair.repairAll();
    const empty = setup({ rows: [storedGlobal(3, 'hf_repair_7')], head: { kind: 'empty' } });
    await empty.repair.repairAll();
    expect([...invalid.verified.keys(), ...empty.verified.keys()]).toEqual([]);
  });
});

describe('StreamRepairScheduler', () => {
  /** The scheduler on fakes: which comparisons ran (every scope, or the scopes of some subjects). */
  function scheduler(options: { headFails?: (subject: string) => boolean; firstPageFull?: boolean; flush?: () => Promise<void> } = {}) {
    const passes: Array<'all' | string[]> = [];
    let onMessage!: (err: unknown, msg: { subject: string }) => void;
    let onReconnect!: () => void;
    const warnings: string[] = [];
    const nc = {
      subscribe: (_subject: string, opts: { callback: typeof onMessage }) => {
        onMessage = opts.callback;
        return { unsubscribe: () => undefined };
      },
    };
    const link = { onReconnect: (fn: () => void) => void (onReconnect = fn) };
    const tokens = {
      listChangedPage: async (_tx: unknown, after: unknown) => {
        if (after) return [];
        passes.push('all');
        return options.firstPageFull ? Array.from({ length: REPAIR_CHUNK }, (_, i) => storedModel(i, 1)) : [];
      },
      findChanged: async (_tx: unknown, refs: Array<{ scope: string; scopeId: string | null }>) => {
        passes.push(refs.map((r) => settingsSubject(r.scope as 'model', r.scopeId)));
        return refs.map((r) => storedModel(Number(r.scopeId!.split('-').pop()), 1));
      },
    };
    const outbox = {
      withPublishLock: async (work: (tx: EntityManager) => unknown) => work({} as EntityManager),
      pendingSubjects: async () => new Set(),
      addAll: async () => undefined,
    };
    const streams = {
      ensure: async () => undefined,
      head: async (subject: string): Promise<StreamHead> => {
        if (options.headFails?.(subject)) throw new TimeoutError();
        return { kind: 'event', version: 1, kid: 'k1', digest: digestOf(subject, 1) };
      },
    };
    const verifiedHeads = { digests: async () => new Map(), record: async () => undefined };
    const publisher = { kick: () => undefined, flush: options.flush ?? (async () => undefined) };
    const logger = { info: () => undefined, warn: (_obj: unknown, msg: string) => void warnings.push(msg) };
    const s = new StreamRepairScheduler(
      nc as never,
      link as never,
      tokens as never,
      outbox as never,
      streams as never,
      verifiedHeads as never,
      new SettingsEventFactory(bus, atRest),
      publisher as never,
      logger as never,
    );
    const message = (subject: string) => onMessage(null, { subject });
    return { s, passes, warnings, message, reconnect: () => onReconnect() };
  }
  const subjectOf = (i: number) => settingsSubject('model', storedModel(i, 1).scopeId);
  const settle = async () => {
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(0);
  };

  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('compares every scope at start-up and after a reconnect, and only the subjects that had messages once they settle', async () => {
    const { s, passes, message, reconnect } = scheduler();
    s.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toEqual(['all']);
    message(subjectOf(1));
    message(subjectOf(2));
    message(subjectOf(1));
    await vi.advanceTimersByTimeAsync(900);
    expect(passes).toHaveLength(1); // not before a quiet second
    await settle();
    expect(passes).toEqual(['all', [subjectOf(1), subjectOf(2)]]);
    reconnect();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toEqual(['all', [subjectOf(1), subjectOf(2)], 'all']);
    await s.onApplicationShutdown();
  });

  it('keeps the subjects of a comparison that failed for the next one', async () => {
    let failing = true;
    const { s, passes, warnings, message } = scheduler({ headFails: () => failing });
    s.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(0);
    message(subjectOf(3));
    await settle();
    expect(warnings).toEqual(['could not compare the settings stream with the database']);
    failing = false;
    message(subjectOf(4));
    await settle();
    expect(new Set(passes.at(-1))).toEqual(new Set([subjectOf(3), subjectOf(4)]));
    await s.onApplicationShutdown();
  });
  it('stops waiting for the publisher between chunks when the service shuts down (NATS down: its passes keep retrying)', async () => {
    let flushes = 0;
    const { s, warnings } = scheduler({ firstPageFull: true, flush: () => (flushes++, new Promise<void>(() => undefined)) });
    s.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(0);
    expect(flushes).toBe(1); // after the first chunk, waiting for the publisher's turn
    let stopped = false;
    void s.onApplicationShutdown().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(true);
    expect(warnings).toEqual([]);
  });
});
