import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RpcException } from '@nestjs/microservices';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource, EntityManager } from 'typeorm';
import {
  crossFieldErrors,
  isContextLength,
  isModelId,
  isModelName,
  MODEL_TYPES,
  normalizeRuntimeArgs,
  SUPPORTED_RUNTIMES,
  type CreateModelRequest,
  type DeleteModelRequest,
  type ErrorBody,
  type FieldError,
  type GetModelRequest,
  type ModelSpec,
  type ModelView,
  type UpdateModelRequest,
} from '@helix/contracts';
import { isDatabaseUnavailable } from '@helix/persistence';
import { Scheduler, type PlannedDispatch } from '../scheduling/scheduler.service';
import { RunnerCommands } from '../slots/runner-commands';
import { MODEL_COLUMNS, SLOT_COLUMNS, toModelView, toSpec, type ModelRow, type SlotRow } from './rows';

/** Fields whose change means the running processes no longer match the model: its slots are replaced. */
const DEPLOYMENT_FIELDS = ['type', 'runtime', 'memory', 'context_length', 'runtime_args'] as const;

/** The model registry's use cases (create/get/list/update/delete); writes are one transaction each. */
@Injectable()
export class ModelsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly scheduler: Scheduler,
    private readonly commands: RunnerCommands,
    @InjectPinoLogger('ModelsService') private readonly logger: PinoLogger,
  ) {}

  async create(request: CreateModelRequest): Promise<ModelView> {
    checkDeadline(request?.deadline_ms);
    const spec = request?.model;
    assertValidSpec(spec);
    const { view, plan } = await this.guard(() =>
      this.db.transaction(async (tx) => {
        const inserted: ModelRow[] = await tx.query(
          `INSERT INTO models.models (id, name, type, runtime, memory, context_length, description, enabled, auto_pull, prewarm, runtime_args, created_by, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now(), now())
           ON CONFLICT (id) DO NOTHING RETURNING ${MODEL_COLUMNS}`,
          [spec.id, spec.name, spec.type, spec.runtime, spec.memory, spec.context_length, spec.description, spec.enabled, spec.auto_pull, spec.prewarm, JSON.stringify(spec.runtime_args), request.created_by ?? null],
        );
        if (inserted.length === 0) throw rpc('conflict', `A model with id ${spec.id} already exists.`);
        const plan = spec.enabled ? await this.scheduler.placeNew(tx, inserted[0]) : null;
        return { view: await this.viewIn(tx, inserted[0]), plan };
      }),
    );
    this.logger.info({ model: spec.id, user_id: request.created_by, enabled: spec.enabled, memory: spec.memory }, 'model created');
    if (plan) void this.scheduler.dispatch(plan);
    return view;
  }

  async get(request: GetModelRequest): Promise<ModelView> {
    const id = request?.id;
    if (!isModelId(id)) throw badRequest([{ field: 'id', message: 'id must be a model id such as Qwen/Qwen2.5-VL-7B-Instruct' }]);
    return this.guard(async () => {
      const [row]: ModelRow[] = await this.db.query(`SELECT ${MODEL_COLUMNS} FROM models.models WHERE id = $1`, [id]);
      if (!row) throw notFound(id);
      return this.viewIn(this.db.manager, row);
    });
  }

  async list(): Promise<ModelView[]> {
    return this.guard(async () => {
      const [models, slots]: [ModelRow[], SlotRow[]] = await Promise.all([
        this.db.query(`SELECT ${MODEL_COLUMNS} FROM models.models ORDER BY id`),
        this.db.query(`SELECT ${SLOT_COLUMNS} FROM models.slots ORDER BY created_at`),
      ]);
      return models.map((m) => toModelView(m, slots.filter((s) => s.model_id === m.id)));
    });
  }

  async update(request: UpdateModelRequest): Promise<ModelView> {
    checkDeadline(request?.deadline_ms);
    const id = request?.id;
    if (!isModelId(id)) throw badRequest([{ field: 'id', message: 'id must be a model id such as Qwen/Qwen2.5-VL-7B-Instruct' }]);
    const patch = request.patch ?? {};
    const { retired, merged } = await this.guard(() =>
      this.db.transaction(async (tx) => {
        const [row]: ModelRow[] = await tx.query(`SELECT ${MODEL_COLUMNS} FROM models.models WHERE id = $1 FOR UPDATE`, [id]);
        if (!row) throw notFound(id);
        const current = toSpec(row);
        const merged: ModelSpec = { ...current, ...definedOnly(patch), id };
        assertValidSpec(merged);
        const redeploy = DEPLOYMENT_FIELDS.some((f) => JSON.stringify(current[f]) !== JSON.stringify(merged[f]));
        await tx.query(
          `UPDATE models.models SET name = $2, type = $3, runtime = $4, memory = $5, context_length = $6, description = $7, enabled = $8,
                  auto_pull = $9, prewarm = $10, runtime_args = $11, updated_at = now() WHERE id = $1`,
          [id, merged.name, merged.type, merged.runtime, merged.memory, merged.context_length, merged.description, merged.enabled, merged.auto_pull, merged.prewarm, JSON.stringify(merged.runtime_args)],
        );
        let retired: Array<{ id: string; runner_id: string | null }> = [];
        if (!merged.enabled || redeploy) {
          retired = await tx.query('SELECT id, runner_id FROM models.slots WHERE model_id = $1', [id]);
          await tx.query('DELETE FROM models.slots WHERE model_id = $1', [id]);
        }
        return { retired, merged };
      }),
    );
    this.logger.info({ model: id, user_id: request.updated_by, fields: Object.keys(definedOnly(patch)), slots_replaced: retired.length }, 'model updated');
    // Old processes go first, so the new slot is placed against memory that is really free.
    await this.stopSlots(retired);
    if (merged.enabled) {
      const plan: PlannedDispatch | null = await this.guard(() =>
        this.db.transaction(async (tx) => {
          const [row]: ModelRow[] = await tx.query(`SELECT ${MODEL_COLUMNS} FROM models.models WHERE id = $1`, [id]);
          return row ? this.scheduler.placeNew(tx, row, { onlyIfUnplaced: true }) : null;
        }),
      ).catch(() => null); // the reconciler places it if this fails
      if (plan) void this.scheduler.dispatch(plan);
    }
    return this.get({ id });
  }

  async delete(request: DeleteModelRequest): Promise<ModelView> {
    checkDeadline(request?.deadline_ms);
    const id = request?.id;
    if (!isModelId(id)) throw badRequest([{ field: 'id', message: 'id must be a model id such as Qwen/Qwen2.5-VL-7B-Instruct' }]);
    // Rows go in one transaction; then the processes are stopped. A runner that cannot be reached
    // now is told again when it next reports the slot (see SlotTracker: orphans are stopped).
    const view = await this.guard(() =>
      this.db.transaction(async (tx) => {
        const [row]: ModelRow[] = await tx.query(`SELECT ${MODEL_COLUMNS} FROM models.models WHERE id = $1 FOR UPDATE`, [id]);
        if (!row) throw notFound(id);
        const view = await this.viewIn(tx, row);
        await tx.query('DELETE FROM models.models WHERE id = $1', [id]);
        return view;
      }),
    );
    const stopped = await this.stopSlots(view.slots);
    const now = new Date().toISOString();
    view.slots = view.slots.map((s) => (stopped.has(s.id) ? { ...s, state: 'stopped', endpoint: null, updated: now } : s));
    this.logger.info({ model: id, user_id: request.deleted_by, slots_stopped: stopped.size }, 'model deleted');
    return view;
  }

  /** Stops slots on their runners in parallel; returns the ids whose runner confirmed. */
  private async stopSlots(slots: Array<{ id: string; runner_id: string | null; state?: string }>): Promise<Set<string>> {
    const done = new Set<string>();
    await Promise.all(
      slots.map(async (s) => {
        if (!s.runner_id || s.state === 'stopped') {
          done.add(s.id);
          return;
        }
        const outcome = await this.commands.stop(s.runner_id, { slot_id: s.id });
        if (outcome.ok) done.add(s.id);
        else this.logger.warn({ slot_id: s.id, runner_id: s.runner_id, reason: outcome.reason }, 'could not stop slot now; it is stopped when the runner reports it again');
      }),
    );
    return done;
  }

  private async viewIn(tx: EntityManager, row: ModelRow): Promise<ModelView> {
    const slots: SlotRow[] = await tx.query(`SELECT ${SLOT_COLUMNS} FROM models.slots WHERE model_id = $1 ORDER BY created_at`, [row.id]);
    return toModelView(row, slots);
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof RpcException) throw err;
      if (isDatabaseUnavailable(err)) throw rpc('unavailable', 'The models database is unavailable; nothing was changed. Try again shortly.');
      throw err;
    }
  }
}

/** The gateway validates; this re-checks what reaches the database (another client may skip the gateway). */
function assertValidSpec(spec: ModelSpec | undefined): asserts spec is ModelSpec {
  if (!spec || typeof spec !== 'object') throw badRequest([{ field: 'model', message: 'model must be an object' }]);
  const errors: FieldError[] = [];
  if (!isModelId(spec.id)) errors.push({ field: 'id', message: 'id must be a model id such as Qwen/Qwen2.5-VL-7B-Instruct' });
  if (!isModelName(spec.name)) errors.push({ field: 'name', message: 'name must be a string of 1 to 256 characters without control characters' });
  if (!(MODEL_TYPES as readonly unknown[]).includes(spec.type)) errors.push({ field: 'type', message: `type must be one of: ${MODEL_TYPES.join(', ')}` });
  if (!(SUPPORTED_RUNTIMES as readonly unknown[]).includes(spec.runtime)) errors.push({ field: 'runtime', message: 'runtime is not supported yet: only vllm models can be deployed' });
  if (!Number.isSafeInteger(spec.memory) || spec.memory <= 0) errors.push({ field: 'memory', message: 'memory must be a positive whole number of bytes' });
  if (!isContextLength(spec.context_length)) errors.push({ field: 'context_length', message: 'context_length must be a whole number from 1 to 10000000, or null' });
  if (typeof spec.description !== 'string' || spec.description.length > 4096) errors.push({ field: 'description', message: 'description must be a string of at most 4096 characters' });
  for (const f of ['enabled', 'auto_pull', 'prewarm'] as const) if (typeof spec[f] !== 'boolean') errors.push({ field: f, message: `${f} must be true or false` });
  if (normalizeRuntimeArgs(spec.runtime_args) === null) errors.push({ field: 'runtime_args', message: 'runtime_args must be an array of strings' });
  if (errors.length === 0) errors.push(...crossFieldErrors(spec));
  if (errors.length) throw badRequest(errors);
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkDeadline(deadline: unknown): void {
  // The gateway already answered 503: writing now would be a change the caller was told failed.
  if (typeof deadline === 'number' && Date.now() > deadline) throw rpc('unavailable', 'The request expired before it reached the models service; nothing was changed.');
}

export function rpc(error: ErrorBody['error'], message: string, details?: FieldError[]): RpcException {
  return new RpcException({ error, message, ...(details ? { details } : {}) } satisfies ErrorBody);
}

function badRequest(details: FieldError[]): RpcException {
  return rpc('bad_request', `Invalid request: ${details.map((d) => d.message).join('; ')}.`, details);
}

function notFound(id: string): RpcException {
  return rpc('not_found', `Model ${id} was not found.`);
}
