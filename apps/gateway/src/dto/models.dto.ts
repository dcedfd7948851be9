import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import {
  MODEL_SPEC_RULES,
  MODEL_TYPES,
  normalizeRuntimeArgs,
  parseMemory,
  ruleMessage,
  SUPPORTED_RUNTIMES,
  type FieldRule,
  type ModelSpec,
} from '@helix/contracts';

// Each field has exactly one rule, taken from the shared MODEL_SPEC_RULES (so the models-service
// applies the same ones), so a bad field yields one clear message and a missing one "is required".
// Only memory differs: requests may give a size with a unit, the stored model holds bytes.

const MEMORY_INPUT: FieldRule = {
  check: (v) => parseMemory(v) !== null,
  message: 'memory must be a positive whole number of bytes or a size with a unit: KB, MB, GB, TB (decimal, 39GB = 39000000000) or KiB, MiB, GiB, TiB (binary)',
};

/** One rule per field: absent → ok unless required; present (null included) → must pass the rule. */
function Field(field: string, required: boolean, rule: FieldRule): PropertyDecorator {
  return ValidateBy({
    name: `model_${field}`,
    validator: {
      validate: (value: unknown) => (value === undefined ? !required : rule.check(value)),
      defaultMessage: (args) => (args?.value === undefined ? `${field} is required` : ruleMessage(rule, args.value)),
    },
  });
}

function modelFields(required: boolean) {
  class ModelFields {
    @ApiProperty({ example: 'Qwen 2.5 VL 7B', required })
    @Field('name', required, MODEL_SPEC_RULES.name)
    name?: string;

    @ApiProperty({ enum: MODEL_TYPES, enumName: 'ModelType', example: 'chat', required })
    @Field('type', required, MODEL_SPEC_RULES.type)
    type?: ModelSpec['type'];

    @ApiProperty({
      enum: SUPPORTED_RUNTIMES,
      enumName: 'ModelRuntime',
      example: 'vllm',
      required,
      description: 'Only vllm is supported; other runtimes are rejected with a 400.',
    })
    @Field('runtime', required, MODEL_SPEC_RULES.runtime)
    runtime?: ModelSpec['runtime'];

    @ApiProperty({
      oneOf: [
        { type: 'integer', format: 'int64', minimum: 1 },
        { type: 'string', example: '39GB' },
      ],
      example: '39GB',
      required,
      description: 'Bytes, or KB/MB/GB/TB (decimal) or KiB/MiB/GiB/TiB (binary). Responses give bytes.',
    })
    @Field('memory', required, MEMORY_INPUT)
    memory?: number | string;

    @ApiPropertyOptional({ type: 'integer', minimum: 1, nullable: true, example: 32768, description: 'Required for chat models.' })
    @Field('context_length', false, MODEL_SPEC_RULES.context_length)
    context_length?: number | null;

    @ApiPropertyOptional({ default: '' })
    @Field('description', false, MODEL_SPEC_RULES.description)
    description?: string;

    @ApiPropertyOptional({ default: true })
    @Field('enabled', false, MODEL_SPEC_RULES.enabled)
    enabled?: boolean;

    @ApiPropertyOptional({ default: false })
    @Field('auto_pull', false, MODEL_SPEC_RULES.auto_pull)
    auto_pull?: boolean;

    @ApiPropertyOptional({ default: false })
    @Field('prewarm', false, MODEL_SPEC_RULES.prewarm)
    prewarm?: boolean;

    @ApiPropertyOptional({
      oneOf: [
        { type: 'array', items: { type: 'string' } },
        { type: 'object', required: ['args'], properties: { args: { type: 'array', items: { type: 'string' } } }, additionalProperties: false },
      ],
      example: ['--trust-remote-code', '--max-model-len', '32768'],
      description: 'An array of strings, or {"args": [...]}. Responses give the array.',
    })
    @Field('runtime_args', false, MODEL_SPEC_RULES.runtime_args)
    runtime_args?: string[] | { args: string[] };

    @ApiPropertyOptional({ type: String, nullable: true, example: 'acme', description: 'The org the model belongs to (an existing org), or null.' })
    @Field('org_id', false, MODEL_SPEC_RULES.org_id)
    org_id?: string | null;

    @ApiPropertyOptional({
      type: String,
      nullable: true,
      example: '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
      description: 'The user who owns the model (an existing user id), or null for a system model.',
    })
    @Field('owner_id', false, MODEL_SPEC_RULES.owner_id)
    owner_id?: string | null;
  }
  return ModelFields;
}

/** POST /api/v1/models: the seed's model JSON, verbatim. */
export class CreateModelDto extends modelFields(true) {
  @ApiProperty({ example: 'Qwen/Qwen2.5-VL-7B-Instruct' })
  @Field('id', true, MODEL_SPEC_RULES.id)
  id!: string;
}

/** PUT /api/v1/models/{id}: any subset of the fields; absent fields keep their values. */
export class UpdateModelDto extends modelFields(false) {
  @ApiPropertyOptional({ description: 'May be sent (e.g. the whole seed JSON) but must equal the id in the path.' })
  @Field('id', false, MODEL_SPEC_RULES.id)
  id?: string;
}

/** The model a create request describes, with defaults applied (docs/reference/rest.md). Call after validation. */
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
    org_id: dto.org_id ?? null,
    owner_id: dto.owner_id ?? null,
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
  if (dto.org_id !== undefined) patch.org_id = dto.org_id;
  if (dto.owner_id !== undefined) patch.owner_id = dto.owner_id;
  return patch;
}
