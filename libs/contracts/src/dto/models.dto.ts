import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import { parseMemory } from '../memory';
import { KNOWN_RUNTIMES, MODEL_TYPES, SUPPORTED_RUNTIMES, isModelId, normalizeRuntimeArgs, type ModelSpec } from '../models';

// Every message names the field and the expected form, never the rejected value. Each field has
// exactly one rule, so a bad field yields one clear message (and a missing one says "is required").

export const CONTEXT_LENGTH_MAX = 10_000_000;
const NO_CONTROL_CHARS = /^[^\x00-\x1F\x7F]*$/;

const MESSAGES = {
  id: 'id must be 1 to 256 letters, digits or . _ - : @ + in "/"-separated parts, e.g. Qwen/Qwen2.5-VL-7B-Instruct',
  name: 'name must be a string of 1 to 256 characters without control characters',
  type: `type must be one of: ${MODEL_TYPES.join(', ')}`,
  memory:
    'memory must be a positive whole number of bytes or a size with a unit: KB, MB, GB, TB (decimal, 39GB = 39000000000) or KiB, MiB, GiB, TiB (binary)',
  context_length: `context_length must be a whole number from 1 to ${CONTEXT_LENGTH_MAX}`,
  description: 'description must be a string of at most 4096 characters',
  runtime_args: 'runtime_args must be an array of at most 256 strings (or {"args": [...]}), each at most 4096 characters',
} as const;

export const isModelName = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= 256 && NO_CONTROL_CHARS.test(v);
export const isContextLength = (v: unknown): boolean => v === null || (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= CONTEXT_LENGTH_MAX);
const isBool = (v: unknown): boolean => typeof v === 'boolean';
const isRuntime = (v: unknown): boolean => (SUPPORTED_RUNTIMES as readonly unknown[]).includes(v);

function runtimeMessage(value: unknown): string {
  return typeof value === 'string' && (KNOWN_RUNTIMES as readonly string[]).includes(value.toLowerCase())
    ? `runtime is not supported yet: only ${SUPPORTED_RUNTIMES.join(', ')} models can be deployed`
    : `runtime must be one of: ${SUPPORTED_RUNTIMES.join(', ')}`;
}

/** One rule per field: absent → ok unless required; present (null included) → must pass `check`. */
function Field(field: string, required: boolean, check: (value: unknown) => boolean, message: string | ((value: unknown) => string)): PropertyDecorator {
  return ValidateBy({
    name: `model_${field}`,
    validator: {
      validate: (value: unknown) => (value === undefined ? !required : check(value)),
      defaultMessage: (args) => (args?.value === undefined ? `${field} is required` : typeof message === 'function' ? message(args.value) : message),
    },
  });
}

function modelFields(required: boolean) {
  class ModelFields {
    @ApiProperty({ example: 'Qwen 2.5 VL 7B', required })
    @Field('name', required, isModelName, MESSAGES.name)
    name?: string;

    @ApiProperty({ enum: MODEL_TYPES, example: 'chat', required })
    @Field('type', required, (v) => (MODEL_TYPES as readonly unknown[]).includes(v), MESSAGES.type)
    type?: ModelSpec['type'];

    @ApiProperty({ example: 'vllm', required, description: 'Only vllm is supported; other runtimes are rejected with a 400.' })
    @Field('runtime', required, isRuntime, runtimeMessage)
    runtime?: ModelSpec['runtime'];

    @ApiProperty({
      oneOf: [{ type: 'integer' }, { type: 'string' }],
      example: '39GB',
      required,
      description: 'Bytes, or KB/MB/GB/TB (decimal) or KiB/MiB/GiB/TiB (binary). Responses give bytes.',
    })
    @Field('memory', required, (v) => parseMemory(v) !== null, MESSAGES.memory)
    memory?: number | string;

    @ApiPropertyOptional({ type: Number, nullable: true, example: 32768, description: 'Required for chat models.' })
    @Field('context_length', false, isContextLength, MESSAGES.context_length)
    context_length?: number | null;

    @ApiPropertyOptional({ default: '' })
    @Field('description', false, (v) => typeof v === 'string' && v.length <= 4096, MESSAGES.description)
    description?: string;

    @ApiPropertyOptional({ default: true })
    @Field('enabled', false, isBool, 'enabled must be true or false')
    enabled?: boolean;

    @ApiPropertyOptional({ default: false })
    @Field('auto_pull', false, isBool, 'auto_pull must be true or false')
    auto_pull?: boolean;

    @ApiPropertyOptional({ default: false })
    @Field('prewarm', false, isBool, 'prewarm must be true or false')
    prewarm?: boolean;

    @ApiPropertyOptional({ type: [String], example: ['--trust-remote-code', '--max-model-len', '32768'], description: 'An array of strings, or {"args": [...]}.' })
    @Field('runtime_args', false, (v) => normalizeRuntimeArgs(v) !== null, MESSAGES.runtime_args)
    runtime_args?: string[] | { args: string[] };
  }
  return ModelFields;
}

/** POST /api/v1/models: the seed's model JSON, verbatim. */
export class CreateModelDto extends modelFields(true) {
  @ApiProperty({ example: 'Qwen/Qwen2.5-VL-7B-Instruct' })
  @Field('id', true, isModelId, MESSAGES.id)
  id!: string;
}

/** PUT /api/v1/models/{id}: any subset of the fields; absent fields keep their values. */
export class UpdateModelDto extends modelFields(false) {
  @ApiPropertyOptional({ description: 'May be sent (e.g. the whole seed JSON) but must equal the id in the path.' })
  @Field('id', false, isModelId, MESSAGES.id)
  id?: string;
}

/** The model a create request describes, with defaults applied (SPEC §4.3). Call after validation. */
export function modelSpecFromCreate(dto: CreateModelDto): ModelSpec {
  return {
    id: dto.id,
    name: dto.name!,
    type: dto.type!,
    runtime: dto.runtime!,
    memory: parseMemory(dto.memory)!,
    context_length: dto.context_length ?? null,
    description: dto.description ?? '',
    enabled: dto.enabled ?? true,
    auto_pull: dto.auto_pull ?? false,
    prewarm: dto.prewarm ?? false,
    runtime_args: dto.runtime_args === undefined ? [] : normalizeRuntimeArgs(dto.runtime_args)!,
  };
}

/** The fields an update request changes. Call after validation. */
export function modelPatchFromUpdate(dto: UpdateModelDto): Partial<Omit<ModelSpec, 'id'>> {
  const patch: Partial<Omit<ModelSpec, 'id'>> = {};
  if (dto.name !== undefined) patch.name = dto.name;
  if (dto.type !== undefined) patch.type = dto.type;
  if (dto.runtime !== undefined) patch.runtime = dto.runtime;
  if (dto.memory !== undefined) patch.memory = parseMemory(dto.memory)!;
  if (dto.context_length !== undefined) patch.context_length = dto.context_length;
  if (dto.description !== undefined) patch.description = dto.description;
  if (dto.enabled !== undefined) patch.enabled = dto.enabled;
  if (dto.auto_pull !== undefined) patch.auto_pull = dto.auto_pull;
  if (dto.prewarm !== undefined) patch.prewarm = dto.prewarm;
  if (dto.runtime_args !== undefined) patch.runtime_args = normalizeRuntimeArgs(dto.runtime_args)!;
  return patch;
}

/** Rules that span fields; checked on the merged model (create, and update after merging). */
export function crossFieldErrors(model: Pick<ModelSpec, 'type' | 'context_length'>): Array<{ field: string; message: string }> {
  if (model.type === 'chat' && (model.context_length === null || model.context_length === undefined)) {
    return [{ field: 'context_length', message: 'context_length is required for chat models' }];
  }
  return [];
}
