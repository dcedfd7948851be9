import { describe, expect, it, vi } from 'vitest';
import { RpcException } from '@nestjs/microservices';
import type { PinoLogger } from 'nestjs-pino';
import type { ErrorBody, ModelSpec } from '@helix/contracts';
import type { Scheduler } from '../scheduling/scheduler.service';
import type { RunnerCommands } from '../slots/runner-commands';
import type { SlotRepository } from '../slots/slot.repository';
import { fakeCommands, fakeDataSource, fakeLogger } from '../testing/fakes';
import type { ModelRepository } from './model.repository';
import { ModelsService } from './models.service';

const TOKEN = 'hf_serviceSideRecheck0123456789AbCdEf';
const spec: ModelSpec = {
  id: 'org/model',
  name: 'm',
  type: 'embed',
  runtime: 'vllm',
  memory: 1e9,
  context_length: null,
  description: '',
  enabled: false,
  auto_pull: false,
  prewarm: false,
  runtime_args: [],
  org_id: null,
  owner_id: null,
};

function newService() {
  const record = { ...spec, created: '2026-11-01T00:00:00.000Z', updated: '2026-11-01T00:00:00.000Z' };
  const mocks = {
    models: {
      insert: vi.fn(async () => record),
      lock: vi.fn(async () => record),
      update: vi.fn(),
      find: vi.fn(async () => record),
      delete: vi.fn(),
      detachOrg: vi.fn(async () => ['org/model']),
    },
    slots: { listForModel: vi.fn(async () => []), deleteForModel: vi.fn(async () => []) },
    // A placement transaction runs its work at once, as the fake DataSource's do.
    scheduler: { placeNew: vi.fn(), dispatch: vi.fn(), transaction: vi.fn(async (work: (tx: unknown) => Promise<unknown>) => work({})) },
    audit: { record: vi.fn() },
  };
  const sut = new ModelsService(
    fakeDataSource(),
    mocks.models as unknown as ModelRepository,
    mocks.slots as unknown as SlotRepository,
    mocks.scheduler as unknown as Scheduler,
    fakeCommands() as unknown as RunnerCommands,
    fakeLogger() as unknown as PinoLogger,
    mocks.audit,
  );
  return { sut, mocks };
}

async function rpcErrorOf(work: Promise<unknown>): Promise<ErrorBody> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RpcException);
  return (err as RpcException).getError() as ErrorBody;
}

describe('ModelsService re-checks what reaches the database (a client may skip the gateway)', () => {
  it.each([[['--hf-token', TOKEN]], [[`--hf-token=${TOKEN}`]], [[TOKEN]]])(
    'create refuses a token in runtime_args %j and writes nothing',
    async (runtime_args) => {
      const { sut, mocks } = newService();
      const body = await rpcErrorOf(sut.create({ model: { ...spec, runtime_args }, created_by: 'u1' }));
      expect(body).toMatchObject({
        error: 'bad_request',
        details: [{ field: 'runtime_args', message: expect.stringMatching(/PUT \/api\/v1\/system\/settings/) }],
      });
      expect(JSON.stringify(body)).not.toContain(TOKEN);
      expect(mocks.models.insert).not.toHaveBeenCalled();
    },
  );

  it('update refuses a token in runtime_args and writes nothing', async () => {
    const { sut, mocks } = newService();
    const body = await rpcErrorOf(sut.update({ id: spec.id, patch: { runtime_args: [`--hf-token=${TOKEN}`] }, updated_by: 'u1' }));
    expect(body.details?.map((d) => d.field)).toEqual(['runtime_args']);
    expect(JSON.stringify(body)).not.toContain(TOKEN);
    expect(mocks.models.update).not.toHaveBeenCalled();
  });

  it('refuses a malformed id with the shared id rule', async () => {
    const { sut } = newService();
    expect((await rpcErrorOf(sut.get({ id: 'a//b' }))).details).toEqual([{ field: 'id', message: expect.stringMatching(/^id must be 1 to 256 letters/) }]);
  });

  it('stores runtime_args as an array when a client sends {"args": [...]}', async () => {
    const { sut, mocks } = newService();
    await sut.create({ model: { ...spec, runtime_args: { args: ['--x'] } as never }, created_by: 'u1' });
    expect(mocks.models.insert).toHaveBeenCalledWith(expect.objectContaining({ runtime_args: ['--x'] }), 'u1', expect.anything());
  });

  it('create without org_id/owner_id (a gateway of the previous release) stores a system model', async () => {
    const { sut, mocks } = newService();
    const { org_id: _o, owner_id: _w, ...old } = spec;
    await sut.create({ model: old as ModelSpec, created_by: 'u1' });
    expect(mocks.models.insert).toHaveBeenCalledWith(expect.objectContaining({ org_id: null, owner_id: null }), 'u1', expect.anything());
  });

  it.each([
    ['org_id', '../acme'],
    ['org_id', 'Acme'],
    ['owner_id', 'alice'],
    ['owner_id', 7],
  ])('refuses a malformed %s with the shared rule and writes nothing', async (field, value) => {
    const { sut, mocks } = newService();
    const body = await rpcErrorOf(sut.create({ model: { ...spec, [field]: value } as ModelSpec, created_by: 'u1' }));
    expect(body.details).toEqual([{ field, message: expect.stringMatching(new RegExp(`^${field} must be null or`)) }]);
    expect(JSON.stringify(body)).not.toContain(String(value));
    expect(mocks.models.insert).not.toHaveBeenCalled();
  });

  it('changing owner_id or org_id replaces the slots (the token chain changed); a description does not', async () => {
    const { sut, mocks } = newService();
    // An enabled model: a disabled one has no slots to keep whatever changed.
    mocks.models.lock.mockResolvedValue({ ...spec, enabled: true, created: '2026-11-01T00:00:00.000Z', updated: '2026-11-01T00:00:00.000Z' });
    await sut.update({ id: spec.id, patch: { owner_id: '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b' }, updated_by: 'u1' });
    expect(mocks.slots.deleteForModel).toHaveBeenCalledTimes(1);
    await sut.update({ id: spec.id, patch: { org_id: 'acme' }, updated_by: 'u1' });
    expect(mocks.slots.deleteForModel).toHaveBeenCalledTimes(2);
    await sut.update({ id: spec.id, patch: { description: 'x' }, updated_by: 'u1' });
    expect(mocks.slots.deleteForModel).toHaveBeenCalledTimes(2);
  });

  it('detachOrg checks the org id and returns the detached models', async () => {
    const { sut, mocks } = newService();
    expect(await sut.detachOrg({ org_id: 'acme', deleted_by: 'u1' })).toEqual({ models: ['org/model'] });
    expect(mocks.models.detachOrg).toHaveBeenCalledWith('acme');
    expect((await rpcErrorOf(sut.detachOrg({ org_id: '../x', deleted_by: 'u1' }))).error).toBe('bad_request');
    expect(mocks.models.detachOrg).toHaveBeenCalledTimes(1);
  });
});

describe('ModelsService audit events (after each commit; field names, never values)', () => {
  it('records model.create, model.update and model.delete with the caller and the fields given', async () => {
    const { sut, mocks } = newService();
    await sut.create({ model: { ...spec, runtime_args: ['--secret-looking-arg'] }, created_by: 'u1' });
    await sut.update({ id: spec.id, patch: { description: 'new', enabled: undefined }, updated_by: 'u2' });
    await sut.delete({ id: spec.id, deleted_by: 'u3' });
    expect(mocks.audit.record.mock.calls.map(([r]) => r)).toEqual([
      { actor_id: 'u1', action: 'model.create', target: 'model:org/model', details: { model_id: 'org/model', fields: Object.keys(spec).sort() } },
      { actor_id: 'u2', action: 'model.update', target: 'model:org/model', details: { model_id: 'org/model', fields: ['description'] } },
      { actor_id: 'u3', action: 'model.delete', target: 'model:org/model', details: { model_id: 'org/model', fields: [] } },
    ]);
    expect(JSON.stringify(mocks.audit.record.mock.calls)).not.toContain('--secret-looking-arg');
  });

  it('records nothing for a change that was refused', async () => {
    const { sut, mocks } = newService();
    await rpcErrorOf(sut.update({ id: spec.id, patch: { runtime_args: [`--hf-token=${TOKEN}`] }, updated_by: 'u1' }));
    mocks.models.insert.mockResolvedValueOnce(null as never);
    await rpcErrorOf(sut.create({ model: spec, created_by: 'u1' }));
    expect(mocks.audit.record).not.toHaveBeenCalled();
  });
});
