import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import {
  auditTargets,
  modelFieldErrors,
  modelSpecErrors,
  normalizeRuntimeArgs,
  isOrgId,
  isUserId,
  USER_ID_MESSAGE,
  isRecord,
  ORG_ID_MESSAGE,
  type CreateModelRequest,
  type DeleteModelRequest,
  type DetachOrgReply,
  type DetachOrgRequest,
  type DetachOwnerReply,
  type DetachOwnerRequest,
  type GetModelRequest,
  type ModelSpec,
  type ModelView,
  type UpdateModelRequest,
} from '@helix/contracts';
import { rpcError } from '@helix/rpc';
import type { AuditPublisher } from '@helix/nats';
import { ModelAudit } from './model-audit';
import { badRequest } from '../rpc-errors';
import { Scheduler, type PlannedDispatch } from '../scheduling/scheduler.service';
import { RunnerCommands } from '../slots/runner-commands';
import { SlotRepository } from '../slots/slot.repository';
import { ModelRepository, specOf } from './model.repository';

/**
 * Fields whose change means the running processes no longer match the model: its slots are replaced.
 * `owner_id` and `org_id` pick the token chain (model → user → org → global → env) a process starts with.
 */
const DEPLOYMENT_FIELDS = ['type', 'runtime', 'memory', 'context_length', 'runtime_args', 'owner_id', 'org_id'] as const;

/** The model registry's use cases (create/get/list/update/delete); writes are one transaction each. */
@Injectable()
export class ModelsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly models: ModelRepository,
    private readonly slots: SlotRepository,
    private readonly scheduler: Scheduler,
    private readonly commands: RunnerCommands,
    @InjectPinoLogger('ModelsService') private readonly logger: PinoLogger,
    @Inject(ModelAudit) private readonly audit: Pick<AuditPublisher, 'record'>,
  ) {}

  async create(request: CreateModelRequest): Promise<ModelView> {
    // A gateway of the previous release sends no ownership fields: the model is a system model.
    const spec = validSpec(withOwnershipDefaults(request?.model));
    // Under the placement lock from the start: one round trip for BEGIN and the lock (see Scheduler.transaction).
    const { view, plan } = await this.scheduler.transaction(async (tx) => {
      const record = await this.models.insert(spec, request.created_by ?? null, tx);
      if (!record) throw rpcError('conflict', 'A model with this id already exists.');
      const plan = spec.enabled ? await this.scheduler.placeNew(tx, spec) : null;
      // A new model has no other rows (slots go with their model): a placed one has just its new slot.
      return { view: { ...record, slots: plan ? [plan.slot] : await this.slots.listForModel(spec.id, tx) }, plan };
    });
    // The runner's command goes out first: the log line and the audit event do not delay the start.
    if (plan) void this.scheduler.dispatch(plan);
    this.logger.info({ model: spec.id, user_id: request.created_by, enabled: spec.enabled, memory: spec.memory }, 'model created');
    this.recordAudit('model.create', request.created_by, spec.id, Object.keys(definedOnly(request.model as object)));
    return view;
  }

  async get(request: GetModelRequest): Promise<ModelView> {
    const id = validId(request?.id);
    const record = await this.models.find(id);
    if (!record) throw notFound(id);
    return { ...record, slots: await this.slots.listForModel(id) };
  }

  async list(): Promise<ModelView[]> {
    const [models, slots] = await Promise.all([this.models.list(), this.slots.listAll()]);
    return models.map((m) => ({ ...m, slots: slots.filter((s) => s.model_id === m.id) }));
  }

  async update(request: UpdateModelRequest): Promise<ModelView> {
    const id = validId(request?.id);
    const patch = definedOnly(request.patch ?? {});
    const { retired, merged } = await this.db.transaction(async (tx) => {
      const record = await this.models.lock(id, tx);
      if (!record) throw notFound(id);
      const current = specOf(record);
      const merged = validSpec({ ...current, ...patch, id });
      const redeploy = DEPLOYMENT_FIELDS.some((f) => JSON.stringify(current[f]) !== JSON.stringify(merged[f]));
      await this.models.update(merged, tx);
      const retired = !merged.enabled || redeploy ? await this.slots.deleteForModel(id, tx) : [];
      return { retired, merged };
    });
    this.logger.info({ model: id, user_id: request.updated_by, fields: Object.keys(patch), slots_replaced: retired.length }, 'model updated');
    this.recordAudit('model.update', request.updated_by, id, Object.keys(patch));
    // Old processes go first, so the new slot is placed against memory that is really free.
    await this.stopSlots(retired);
    if (merged.enabled) {
      const plan: PlannedDispatch | null = await this.scheduler
        .transaction(async (tx) => {
          const record = await this.models.find(id, tx);
          return record ? this.scheduler.placeNew(tx, specOf(record), { onlyIfUnplaced: true }) : null;
        })
        .catch(() => null); // the reconciler places it if this fails
      if (plan) void this.scheduler.dispatch(plan);
    }
    return this.get({ id });
  }

  /**
   * The gateway is deleting the org: its models keep existing with `org_id: null` (docs/reference/rest.md). Their
   * slots keep running: the token they were started with came from a chain whose org level is being
   * cleared with the org, so the next start resolves past it anyway.
   */
  async detachOrg(request: DetachOrgRequest): Promise<DetachOrgReply> {
    if (!isOrgId(request?.org_id)) throw badRequest([{ field: 'org_id', message: `org_id ${ORG_ID_MESSAGE}` }]);
    const models = await this.models.detachOrg(request.org_id);
    this.logger.info({ org_id: request.org_id, user_id: request.deleted_by, models: models.length }, 'models detached from deleted org');
    return { models };
  }

  async detachOwner(request: DetachOwnerRequest): Promise<DetachOwnerReply> {
    if (!isUserId(request?.owner_id)) throw badRequest([{ field: 'owner_id', message: `owner_id ${USER_ID_MESSAGE}` }]);
    const models = await this.models.detachOwner(request.owner_id);
    this.logger.info({ owner_id: request.owner_id, user_id: request.deleted_by, models: models.length }, 'models detached from deleted user');
    return { models };
  }

  async delete(request: DeleteModelRequest): Promise<ModelView> {
    const id = validId(request?.id);
    // Rows go in one transaction; then the processes are stopped. A runner that cannot be reached
    // now is told again when it next reports the slot (see SlotTracker: orphans are stopped).
    const view = await this.db.transaction(async (tx) => {
      const record = await this.models.lock(id, tx);
      if (!record) throw notFound(id);
      const view: ModelView = { ...record, slots: await this.slots.listForModel(id, tx) };
      await this.models.delete(id, tx);
      return view;
    });
    this.recordAudit('model.delete', request.deleted_by, id, []);
    const stopped = await this.stopSlots(view.slots);
    const now = new Date().toISOString();
    view.slots = view.slots.map((s) => (stopped.has(s.id) ? { ...s, state: 'stopped', endpoint: null, updated: now } : s));
    this.logger.info({ model: id, user_id: request.deleted_by, slots_stopped: stopped.size }, 'model deleted');
    return view;
  }

  /** After the commit: which fields were given (names only, never values). */
  private recordAudit(action: 'model.create' | 'model.update' | 'model.delete', actor: unknown, modelId: string, fields: string[]): void {
    this.audit.record({
      actor_id: typeof actor === 'string' ? actor : null,
      action,
      target: auditTargets.model(modelId),
      details: { model_id: modelId, fields: fields.sort() },
    });
  }

  /** Stops slots on their runners in parallel; returns the ids whose runner confirmed. */
  private async stopSlots(slots: Array<{ id: string; runner_id: string | null; state: string }>): Promise<Set<string>> {
    const done = new Set<string>();
    await Promise.all(
      slots.map(async (s) => {
        if (!s.runner_id || s.state === 'stopped') {
          done.add(s.id);
          return;
        }
        const outcome = await this.commands.stop(s.runner_id, { slot_id: s.id });
        if (outcome.ok) done.add(s.id);
        else
          this.logger.warn(
            { slot_id: s.id, runner_id: s.runner_id, reason: outcome.reason },
            'could not stop slot now; it is stopped when the runner reports it again',
          );
      }),
    );
    return done;
  }
}

/**
 * The gateway validates with the same rules (MODEL_SPEC_RULES); this re-checks what reaches the
 * database, since another client may skip the gateway. Returns the spec with runtime_args as an array.
 */
function validSpec(spec: unknown): ModelSpec {
  const errors = modelSpecErrors(spec);
  if (errors.length) throw badRequest(errors);
  const valid = spec as ModelSpec;
  return { ...valid, runtime_args: normalizeRuntimeArgs(valid.runtime_args)! };
}

/** A create request from a gateway of the previous release has no `org_id`/`owner_id`: a system model. */
function withOwnershipDefaults(model: unknown): unknown {
  return isRecord(model) ? { org_id: null, owner_id: null, ...model } : model;
}

function validId(id: unknown): string {
  const errors = modelFieldErrors('id', id);
  if (errors.length) throw badRequest(errors);
  return id as string;
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function notFound(id: string): ReturnType<typeof rpcError> {
  return rpcError('not_found', `Model ${id} was not found.`);
}
