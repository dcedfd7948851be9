// SlotsService's wiring, with fakes for NATS, the settings sync and the supervisor: who is offered a
// token after a new version, and how a supervisor status becomes the wire view.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/nats-core';
import type { PinoLogger } from 'nestjs-pino';
import { runnerSlotsCreate, runnerSlotsStop, type Scope, type SlotView } from '@helix/contracts';
import { decodeJson, encodeJson } from '@helix/nats';
import { Secret } from '@helix/secrets';
import { TokenStore, type ResolveContext } from '@helix/token-store';
import type { SlotStatus, StartSpec, VllmSupervisor } from '@helix/vllm-supervisor';
import type { RunnerSettings } from '../config';
import type { AppliedSettings, SettingsSyncService } from '../settings/settings-sync.service';
import { SlotsService } from './slots.service';

const SLOT = '3f2b8c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';

class FakeSupervisor extends EventEmitter<{ status: [SlotStatus] }> {
  readonly started: StartSpec[] = [];
  readonly offered: Array<{ slotId: string; token: string | null; source: string }> = [];
  readonly stopped: string[] = [];
  /** Like the real one: returns the first status and announces nothing until the process is spawned. */
  start(spec: StartSpec): SlotStatus {
    this.started.push(spec);
    const { slotId, modelId, tokenSource: hfTokenSource } = spec;
    return { slotId, modelId, state: 'starting', restarts: 0, endpoint: null, error: null, hfTokenSource, hfTokenFingerprint: null };
  }
  stop(slotId: string): Promise<void> {
    this.stopped.push(slotId);
    return Promise.resolve();
  }
  retryParked(slotId: string, token: Secret | null, source: string): boolean {
    this.offered.push({ slotId, token: token?.reveal() ?? null, source });
    return true;
  }
}

/** Each service registers a process 'exit' hook at bootstrap; shutting it down removes it. */
const running: SlotsService[] = [];
afterEach(() => {
  for (const service of running.splice(0)) service.onApplicationShutdown();
});

function setup(gpus = [{ index: 0, memory: 80e9 }]) {
  const callbacks = new Map<string, (err: Error | null, msg: unknown) => void>();
  const published: SlotView[] = [];
  const nc = {
    subscribe: (subject: string, opts: { callback: (err: Error | null, msg: unknown) => void }) => {
      callbacks.set(subject, opts.callback);
      return { unsubscribe: () => undefined };
    },
    publish: (_subject: string, data: Uint8Array) => published.push(decodeJson<SlotView>(data)),
    isClosed: () => false,
  } as unknown as NatsConnection;
  const store = new TokenStore();
  const supervisor = new FakeSupervisor();
  const applied: Array<(a: AppliedSettings) => void> = [];
  const sync = {
    whenReplayed: () => Promise.resolve(),
    onApplied: (l: (a: AppliedSettings) => void) => applied.push(l),
    resolve: (ctx: ResolveContext) => store.resolve(ctx),
  } as unknown as SettingsSyncService;
  const settings = { runnerId: 'gpu-1', memoryTotal: gpus.reduce((a, g) => a + g.memory, 0), gpus } as RunnerSettings;
  const logger = { info: () => undefined, error: () => undefined } as unknown as PinoLogger;
  const service = new SlotsService(nc, settings, supervisor as unknown as VllmSupervisor, sync, logger);
  service.onApplicationBootstrap();
  running.push(service);
  const stop = (slotId: string) =>
    new Promise<Record<string, unknown>>((respond) =>
      callbacks.get(runnerSlotsStop('gpu-1'))!(null, { data: encodeJson({ slot_id: slotId }), respond: (data: Uint8Array) => respond(decodeJson(data)) }),
    );
  const create = (slotId: string, chain: { model?: string; user?: string; org?: string; memory?: number; gpus?: number[] } = {}) =>
    new Promise<Record<string, unknown>>((respond) =>
      callbacks.get(runnerSlotsCreate('gpu-1'))!(null, {
        data: encodeJson({
          slot_id: slotId,
          model: { id: chain.model ?? 'meta-llama/x', type: 'chat', memory: chain.memory ?? 1e9, context_length: null, runtime_args: [] },
          ...(chain.user ? { user_id: chain.user } : {}),
          ...(chain.org ? { org_id: chain.org } : {}),
          ...(chain.gpus ? { gpus: chain.gpus } : {}),
        }),
        respond: (data: Uint8Array) => respond(decodeJson(data)),
      }),
    );
  const versions = new Map<string, number>();
  const newVersion = (token: string, scope: Scope = 'global', scopeId: string | null = null) => {
    const key = `${scope}:${scopeId}`;
    const version = (versions.get(key) ?? 0) + 1;
    versions.set(key, version);
    store.apply({ scope, scopeId, version, token: Secret.of(token) });
    for (const l of applied) l({ scope, scopeId, version, tokenProvided: true });
  };
  /** The supervisor parks a started slot on hf_auth. */
  const park = (slotId: string, modelId: string) =>
    supervisor.emit('status', {
      slotId,
      modelId,
      state: 'failed',
      restarts: 0,
      endpoint: null,
      error: { code: 'hf_auth', message: 'm' },
      hfTokenSource: 'none',
      hfTokenFingerprint: null,
    });
  return { service, supervisor, published, create, stop, newVersion, park };
}

describe('SlotsService', () => {
  it('a stop that arrives before the process is spawned goes to the supervisor (which has the slot), not just out of the table', async () => {
    const { supervisor, published, create, stop } = setup();
    await create(SLOT);
    await new Promise((r) => setImmediate(r)); // started: the supervisor is launching, no status event yet
    expect(supervisor.started).toHaveLength(1);
    expect(await stop(SLOT)).toEqual({ accepted: true });
    expect(supervisor.stopped).toEqual([SLOT]);
    expect(published).toEqual([]); // its `stopped` comes from the supervisor once the process is gone
  });

  it('after a new token version, hands each started slot the token it now resolves to', async () => {
    const { supervisor, create, newVersion } = setup();
    await create(SLOT);
    await new Promise((r) => setImmediate(r)); // the start waits for the (already finished) replay
    expect(supervisor.started.map((s) => [s.slotId, s.tokenSource])).toEqual([[SLOT, 'none']]);
    supervisor.emit('status', {
      slotId: SLOT,
      modelId: 'meta-llama/x',
      state: 'failed',
      restarts: 0,
      endpoint: null,
      error: { code: 'hf_auth', message: 'm' },
      hfTokenSource: 'none',
      hfTokenFingerprint: null,
    });

    newVersion('hf_newGlobalToken_1');
    expect(supervisor.offered).toEqual([{ slotId: SLOT, token: 'hf_newGlobalToken_1', source: 'global' }]);
  });

  it('after a scoped token version, offers a token only to the slots whose chain contains that scope', async () => {
    const { supervisor, create, newVersion, park } = setup();
    const A = '00000000-0000-4000-8000-00000000000a';
    const B = '00000000-0000-4000-8000-00000000000b';
    const C = '00000000-0000-4000-8000-00000000000c';
    await create(A, { model: 'm/a', user: 'u1', org: 'o1' });
    await create(B, { model: 'm/b', user: 'u2', org: 'o2' });
    await create(C, { model: 'm/c' });
    await new Promise((r) => setImmediate(r));
    park(A, 'm/a');
    park(B, 'm/b');
    park(C, 'm/c');
    const offeredAfter = (token: string, scope: Scope, scopeId: string | null) => {
      supervisor.offered.length = 0;
      newVersion(token, scope, scopeId);
      return supervisor.offered.map((o) => [o.slotId, o.source, o.token]);
    };

    expect(offeredAfter('hf_model', 'model', 'm/a')).toEqual([[A, 'model', 'hf_model']]);
    expect(offeredAfter('hf_user', 'user', 'u2')).toEqual([[B, 'user', 'hf_user']]);
    expect(offeredAfter('hf_org', 'org', 'o1')).toEqual([[A, 'model', 'hf_model']]);
    // Another model's, user's or org's token is not in these chains, even with an id another level uses.
    expect(offeredAfter('hf_other', 'model', 'm/z')).toEqual([]);
    expect(offeredAfter('hf_other', 'user', 'm/c')).toEqual([]);
    expect(offeredAfter('hf_other', 'org', 'u1')).toEqual([]);
    expect(offeredAfter('hf_other', 'model', 'u2')).toEqual([]);
    // The global level is in every chain.
    expect(offeredAfter('hf_global', 'global', null)).toEqual([
      [A, 'model', 'hf_model'],
      [B, 'user', 'hf_user'],
      [C, 'global', 'hf_global'],
    ]);
  });

  it('publishes supervisor statuses in the snake_case wire shape', async () => {
    const { service, supervisor, published, create } = setup();
    await create(SLOT);
    await new Promise((r) => setImmediate(r));
    supervisor.emit('status', {
      slotId: SLOT,
      modelId: 'meta-llama/x',
      state: 'running',
      restarts: 2,
      endpoint: 'http://127.0.0.1:40000',
      error: null,
      hfTokenSource: 'env',
      hfTokenFingerprint: 'sha256:0123456789ab',
    });
    const expected = {
      id: SLOT,
      model_id: 'meta-llama/x',
      runner_id: 'gpu-1',
      state: 'running',
      restarts: 2,
      endpoint: 'http://127.0.0.1:40000',
      hf_token_source: 'env',
      hf_token_fingerprint: 'sha256:0123456789ab',
      error: null,
    };
    expect(published.at(-1)).toMatchObject(expected);
    expect(service.views()).toEqual([{ ...expected, gpus: [0], created: expect.any(String), updated: expect.any(String) }]);
    expect(service.memoryAllocated()).toBe(1e9);
  });

  describe('GPUs', () => {
    const GB = 1e9;
    const two = [
      { index: 0, memory: 40 * GB },
      { index: 1, memory: 40 * GB },
    ];
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

    it('starts a slot on the GPUs of the command with its share as --gpu-memory-utilization, and never over-commits one', async () => {
      const { service, supervisor, create } = setup(two);
      expect(await create(id(1), { model: 'm/a', memory: 30 * GB, gpus: [0] })).toEqual({ accepted: true });
      expect(await create(id(2), { model: 'm/b', memory: 30 * GB, gpus: [0] })).toEqual({
        error: 'unavailable',
        message: `Runner gpu-1 has ${10 * GB} bytes free on GPU 0; the model needs ${30 * GB} there.`,
      });
      expect(await create(id(2), { model: 'm/b', memory: 30 * GB, gpus: [1] })).toEqual({ accepted: true });
      expect(await create(id(3), { model: 'm/c', memory: 1 * GB, gpus: [2] })).toMatchObject({
        error: 'unavailable',
        message: expect.stringContaining('no GPU 2'),
      });
      await new Promise((r) => setImmediate(r));
      expect(supervisor.started.map((s) => [s.modelId, s.gpus, s.gpuMemoryUtilization])).toEqual([
        ['m/a', [0], 0.75],
        ['m/b', [1], 0.75],
      ]);
      expect(service.views().map((v) => v.gpus)).toEqual([[0], [1]]);
    });

    it('frees the GPUs of a stopped slot', async () => {
      const { supervisor, create } = setup(two);
      await create(id(1), { model: 'm/a', memory: 70 * GB, gpus: [0, 1] });
      await new Promise((r) => setImmediate(r));
      expect(supervisor.started[0]).toMatchObject({ gpus: [0, 1], gpuMemoryUtilization: 0.87 });
      expect(await create(id(2), { model: 'm/b', memory: 10 * GB, gpus: [1] })).toMatchObject({ error: 'unavailable' });
      const status = { modelId: 'm/a', restarts: 0, endpoint: null, error: null, hfTokenSource: 'none', hfTokenFingerprint: null } as const;
      supervisor.emit('status', { ...status, slotId: id(1), state: 'stopped' });
      expect(await create(id(2), { model: 'm/b', memory: 10 * GB, gpus: [1] })).toEqual({ accepted: true });
    });

    it('picks the GPUs itself for a command without them (a models-service of an older release)', async () => {
      const { supervisor, create } = setup(two);
      await create(id(1), { model: 'm/a', memory: 15 * GB });
      await create(id(2), { model: 'm/b', memory: 15 * GB });
      await create(id(3), { model: 'm/c', memory: 40 * GB });
      expect(await create(id(4), { model: 'm/d', memory: 20 * GB })).toMatchObject({ error: 'unavailable' });
      await new Promise((r) => setImmediate(r));
      expect(supervisor.started.map((s) => [s.modelId, s.gpus])).toEqual([
        ['m/a', [0]],
        ['m/b', [0]],
        ['m/c', [1]],
      ]);
    });
  });
});
