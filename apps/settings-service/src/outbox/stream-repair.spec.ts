import { describe, expect, it } from 'vitest';
import type { EntityManager } from 'typeorm';
import { TimeoutError } from '@nats-io/nats-core';
import { settingsSubject, type SettingsUpdatedEvent } from '@helix/contracts';
import { generateKeyBase64, Secret, SettingsBusCipher, TokenAtRestCipher } from '@helix/secrets';
import { HfTokenEntity } from '../entities';
import { SettingsEventFactory } from '../settings/settings-event.factory';
import type { StreamHead } from '../streams/settings-streams';
import { StreamRepair } from './stream-repair.service';

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

/** Fakes for the table, the outbox and the stream; the event factory and ciphers are real. */
function setup(options: { rows: HfTokenEntity[]; head: StreamHead | Error; pending?: string[]; rowsOnceLocked?: HfTokenEntity[] }) {
  const added: Array<{ subject: string; msgId: string; event: SettingsUpdatedEvent }> = [];
  const warnings: Array<{ msg: string; obj: any }> = [];
  const infos: Array<{ msg: string; obj: any }> = [];
  let locked = 0;
  let holdingLock = false;
  const repair = new StreamRepair(
    // What another replica committed and published while this one waited for the lock is only visible once it holds it.
    { listChanged: async () => (holdingLock && options.rowsOnceLocked) || options.rows },
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
      hasPending: async (_tx, subject) => (options.pending ?? []).includes(subject),
      add: async (_tx, subject, msgId, event) => void added.push({ subject, msgId, event: event as SettingsUpdatedEvent }),
    },
    {
      ensure: async () => undefined,
      head: async () => {
        if (options.head instanceof Error) throw options.head;
        return options.head;
      },
    },
    new SettingsEventFactory(bus, atRest),
    { info: (obj, msg) => void infos.push({ obj, msg }), warn: (obj, msg) => void warnings.push({ obj, msg }) },
  );
  return { repair, added, warnings, infos, locked: () => locked };
}

describe('StreamRepair', () => {
  it('reads the stored versions while holding the publish lock: an event another replica published meanwhile is not "never had"', async () => {
    // Before the lock: version 6 stored; meanwhile another replica stored and published 7 and 8.
    const { repair, added, warnings } = setup({
      rows: [storedGlobal(6, 'hf_repair_race6')],
      rowsOnceLocked: [storedGlobal(8, 'hf_repair_race8')],
      head: { kind: 'event', version: 8, kid: 'k1' },
    });
    expect(await repair.repair()).toBe(0);
    expect(added).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('leaves a stream whose last event is the stored version alone', async () => {
    const { repair, added, warnings } = setup({ rows: [storedGlobal(3, 'hf_repair_1')], head: { kind: 'event', version: 3, kid: 'k1' } });
    expect(await repair.repair()).toBe(0);
    expect(added).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('a stream behind the database gets the stored token again, re-sealed for the bus with a fresh message id', async () => {
    const { repair, added, warnings, locked } = setup({ rows: [storedGlobal(3, 'hf_repair_2')], head: { kind: 'empty' } });
    expect(await repair.repair()).toBe(1);
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
    expect(await repair.repair()).toBe(1);
    expect(added[0].event).toMatchObject({ version: 4, huggingface_token: null, fingerprint: null });
  });

  it('a last event that is not valid, or has a version the database never had, is replaced by the stored state', async () => {
    const invalid = setup({ rows: [storedGlobal(3, 'hf_repair_3')], head: { kind: 'invalid' } });
    expect(await invalid.repair.repair()).toBe(1);
    expect(invalid.warnings[0].msg).toBe('settings stream ends with an invalid event; publishing the current state again');
    const ahead = setup({ rows: [storedGlobal(3, 'hf_repair_3')], head: { kind: 'event', version: 103, kid: 'k1' } });
    expect(await ahead.repair.repair()).toBe(1);
    expect(ahead.warnings[0]).toMatchObject({
      msg: 'settings stream holds a version the database never had; publishing the current state again',
      obj: { stream_version: 103 },
    });
  });

  it('a scope with an event still in the outbox is left to the publisher', async () => {
    const { repair, added } = setup({ rows: [storedGlobal(3, 'hf_repair_4')], head: { kind: 'empty' }, pending: [GLOBAL] });
    expect(await repair.repair()).toBe(0);
    expect(added).toEqual([]);
  });

  it('a stream that cannot be read is an error, never a "behind" warning', async () => {
    const { repair, added, warnings } = setup({ rows: [storedGlobal(3, 'hf_repair_5')], head: new TimeoutError() });
    await expect(repair.repair()).rejects.toBeInstanceOf(TimeoutError);
    expect(added).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('publishes the stored version again when the stream holds it sealed with an older HELIX_SETTINGS_KEY (rotation), and only then', async () => {
    const rotated = setup({ rows: [storedGlobal(3, 'hf_repair_rotated')], head: { kind: 'event', version: 3, kid: 'k0' } });
    expect(await rotated.repair.repair()).toBe(1);
    expect(rotated.added[0].event).toMatchObject({ version: 3, huggingface_token: { kid: 'k1' } });
    expect(rotated.added[0].msgId).toMatch(/~repair-/);
    expect(rotated.infos.map((i) => i.msg)).toEqual([
      'settings stream holds a token sealed with an older settings key; publishing it again with the current key',
    ]);
    expect(rotated.warnings).toEqual([]);
    const cleared = setup({ rows: [storedGlobal(4, null)], head: { kind: 'event', version: 4, kid: null } });
    expect(await cleared.repair.repair()).toBe(0);
  });
});
