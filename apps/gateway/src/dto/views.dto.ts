import { ApiProperty } from '@nestjs/swagger';
import {
  MODEL_TYPES,
  SUPPORTED_RUNTIMES,
  TOKEN_SOURCES,
  type CreatedUserView,
  type ModelType,
  type ModelRuntime,
  type ModelView,
  type TokenSource,
  type UserView,
  SLOT_ERROR_CODES,
  SLOT_STATES,
  type RunnerGpuView,
  type RunnerView,
  type SlotError,
  type SlotErrorCode,
  type SlotState,
  type SlotView,
} from '@helix/contracts';

// OpenAPI descriptions of the response bodies that are plain interfaces elsewhere; each class
// implements its interface, so a field added there and not here fails the type check.

const TIME = { type: String, format: 'date-time', example: '2026-11-27T10:00:00.000Z' } as const;
const UUID_EXAMPLE = '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b';

export class SlotErrorDto implements SlotError {
  @ApiProperty({
    enum: SLOT_ERROR_CODES,
    enumName: 'SlotErrorCode',
    example: 'hf_auth',
    description: 'hf_auth: the Hub refused the token; oom; crash; start_timeout; no_capacity: no runner has room (yet).',
  })
  code!: SlotErrorCode;
  @ApiProperty({ example: 'Hugging Face refused the token (401); set a valid token and the slot restarts.' })
  message!: string;
}

/** One vLLM process of a model on one runner. */
export class SlotViewDto implements SlotView {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  id!: string;
  @ApiProperty({ example: 'Qwen/Qwen2.5-VL-7B-Instruct' })
  model_id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'gpu-node-1', description: 'null only for a slot that could not be placed (no_capacity).' })
  runner_id!: string | null;
  @ApiProperty({ enum: SLOT_STATES, enumName: 'SlotState', example: 'running' })
  state!: SlotState;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0, description: 'How many times the runner restarted the process.' })
  restarts!: number;
  @ApiProperty({ type: String, nullable: true, example: 'http://10.0.0.5:20001', description: 'The vLLM endpoint while running.' })
  endpoint!: string | null;
  @ApiProperty({
    // Inline (no enumName): a nullable $ref is not valid OpenAPI 3.0.
    type: String,
    enum: TOKEN_SOURCES,
    nullable: true,
    example: 'global',
    description: 'Which level supplied the token the process started with (env: the runner’s HF_TOKEN; none: no token); null before a start.',
  })
  hf_token_source!: TokenSource | null;
  @ApiProperty({ type: String, nullable: true, example: 'sha256:1a2b3c4d5e6f', description: 'Fingerprint of that token, never the token.' })
  hf_token_fingerprint!: string | null;
  @ApiProperty({ type: SlotErrorDto, nullable: true })
  error!: SlotError | null;
  @ApiProperty({ type: 'integer', isArray: true, example: [0], description: "CUDA indices of the runner's GPUs the slot runs on; [] when not placed." })
  gpus!: number[];
  @ApiProperty(TIME)
  created!: string;
  @ApiProperty(TIME)
  updated!: string;
}

/** A model as stored, with its slots (GET /api/v1/models/{id} and every model response). */
export class ModelViewDto implements ModelView {
  @ApiProperty({ example: 'Qwen/Qwen2.5-VL-7B-Instruct' })
  id!: string;
  @ApiProperty({ example: 'Qwen 2.5 VL 7B' })
  name!: string;
  @ApiProperty({ enum: MODEL_TYPES, enumName: 'ModelType', example: 'chat' })
  type!: ModelType;
  @ApiProperty({ enum: SUPPORTED_RUNTIMES, enumName: 'ModelRuntime', example: 'vllm' })
  runtime!: ModelRuntime;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 1, example: 39000000000, description: 'GPU memory in bytes.' })
  memory!: number;
  @ApiProperty({ type: 'integer', minimum: 1, nullable: true, example: 32768 })
  context_length!: number | null;
  @ApiProperty({ example: '' })
  description!: string;
  @ApiProperty({ example: true })
  enabled!: boolean;
  @ApiProperty({ example: false })
  auto_pull!: boolean;
  @ApiProperty({ example: false })
  prewarm!: boolean;
  @ApiProperty({ type: [String], example: ['--trust-remote-code'] })
  runtime_args!: string[];
  @ApiProperty({ type: String, nullable: true, example: 'acme' })
  org_id!: string | null;
  @ApiProperty({ type: String, nullable: true, example: UUID_EXAMPLE })
  owner_id!: string | null;
  @ApiProperty(TIME)
  created!: string;
  @ApiProperty(TIME)
  updated!: string;
  @ApiProperty({ type: [SlotViewDto] })
  slots!: SlotView[];
}

export class RunnerGpuViewDto implements RunnerGpuView {
  @ApiProperty({ type: 'integer', minimum: 0, example: 0 })
  index!: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, example: 80000000000 })
  memory_total!: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, example: 39000000000, description: 'What the slots placed on this GPU hold.' })
  memory_allocated!: number;
  @ApiProperty({ type: [String], example: [UUID_EXAMPLE] })
  slot_ids!: string[];
}

/** GET /api/v1/runners item. */
export class RunnerViewDto implements RunnerView {
  @ApiProperty({ example: 'gpu-node-1' })
  id!: string;
  @ApiProperty({ enum: ['online', 'offline'], enumName: 'RunnerState', example: 'online' })
  state!: 'online' | 'offline';
  @ApiProperty(TIME)
  last_seen!: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, example: 80000000000 })
  memory_total!: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, example: 39000000000 })
  memory_allocated!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 3, description: 'The global settings version the runner applied.' })
  settings_version!: number;
  @ApiProperty({ example: true, description: 'Whether the runner holds the current version of every scope.' })
  in_sync!: boolean;
  @ApiProperty({ type: 'integer', minimum: 0, example: 4, description: 'How many scopes the runner holds.' })
  settings_applied!: number;
  @ApiProperty({ example: true, description: 'Whether a model without a model, user or org token would start with one (global or env).' })
  hf_token_provided!: boolean;
  @ApiProperty({ type: [RunnerGpuViewDto] })
  gpus!: RunnerGpuView[];
  @ApiProperty({ type: [SlotViewDto] })
  slots!: SlotView[];
}

export class UserViewDto implements UserView {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  id!: string;
  @ApiProperty({ example: 'alice' })
  name!: string;
  @ApiProperty({ example: false })
  admin!: boolean;
  @ApiProperty(TIME)
  created!: string;
}

export class CreatedUserViewDto extends UserViewDto implements CreatedUserView {
  @ApiProperty({ example: 'hl-Xq3f9A…', description: 'The new user’s API key: shown this once, stored only as a hash. Save it now.' })
  api_key!: string;
}
