import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy, ValidateIf, ValidationOptions, buildMessage } from 'class-validator';
import { HF_TOKEN_PATTERN, HUB_TOKEN_STATUSES, MODEL_ACCESS, SCOPES, type HubTokenStatus, type Scope } from '@helix/contracts';

/** A token, or "" / null to clear. The message never includes the value. */
export function IsHuggingFaceTokenOrClear(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHuggingFaceTokenOrClear',
      validator: {
        validate: (value: unknown) => value === null || value === '' || (typeof value === 'string' && HF_TOKEN_PATTERN.test(value)),
        defaultMessage: buildMessage(
          (prefix) => `${prefix}$property must be a string of 1 to 1024 printable ASCII characters without white space, or "" or null to clear it`,
          options,
        ),
      },
    },
    options,
  );
}

export class UpdateSystemSettingsDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'The global Hugging Face token. "" or null clears it; omit the field to change nothing.',
    example: 'hf_xxxxxxxxxxxxxxxxxxxx',
  })
  // Absent means "no change"; null still reaches the validator (it clears).
  @ValidateIf((_, value) => value !== undefined)
  @IsHuggingFaceTokenOrClear()
  huggingface_token?: string | null;
}

/** PUT body of every scoped settings route (docs/reference/rest.md): the same field and rules as the system settings. */
export class UpdateScopedSettingsDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'The Hugging Face token of this scope. "" or null clears it (the next level applies); omit the field to change nothing.',
    example: 'hf_xxxxxxxxxxxxxxxxxxxx',
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsHuggingFaceTokenOrClear()
  huggingface_token?: string | null;
}

/** The settings of one scope: never the token, only whether it is set and its fingerprint. */
export class SettingsViewDto {
  @ApiProperty({ example: 'org:acme', description: '`system` for the global scope, else `org:<id>`, `user:<id>` or `model:<id>`.' })
  id!: string;
  @ApiProperty({ enum: SCOPES, example: 'org' })
  scope!: Scope;
  @ApiProperty({ type: String, nullable: true, example: 'acme', description: 'null for the global scope.' })
  scope_id!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2026-11-27T10:00:00.000Z', description: 'null before the first change.' })
  created!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2026-11-27T10:05:00.000Z' })
  updated!: string | null;
  @ApiProperty({ example: true })
  huggingface_token_set!: boolean;
  @ApiProperty({ enum: ['database', 'none'], example: 'database' })
  huggingface_token_source!: 'database' | 'none';
  @ApiProperty({ type: String, nullable: true, example: 'sha256:1a2b3c4d5e6f', description: '"sha256:" and the first 12 hex digits of SHA-256 of the token.' })
  huggingface_token_fingerprint!: string | null;
  @ApiProperty({
    enum: HUB_TOKEN_STATUSES,
    nullable: true,
    example: 'valid',
    description: 'What the Hugging Face Hub said when the token was set (unverified: not asked, or no answer); null without a token.',
  })
  huggingface_token_status!: HubTokenStatus | null;
  @ApiProperty({ type: String, nullable: true, example: 'alice', description: "The token's account (whoami `name`) when valid." })
  huggingface_token_owner!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'read', description: "The token's role (read, write, fineGrained) when valid." })
  huggingface_token_role!: string | null;
  @ApiProperty({ type: 'integer', example: 2, description: 'Counts the changes of this scope.' })
  version!: number;
}

export class ModelAccessViewDto {
  @ApiProperty({ example: 'meta-llama/Llama-3.1-8B-Instruct' })
  model_id!: string;
  @ApiProperty({ enum: SCOPES, nullable: true, example: 'global', description: 'The scope whose token was used; null when none is set.' })
  scope!: Scope | null;
  @ApiProperty({ type: String, nullable: true, example: 'sha256:1a2b3c4d5e6f' })
  fingerprint!: string | null;
  @ApiProperty({ enum: MODEL_ACCESS, example: 'granted', description: 'denied: 401/403 from the Hub; not_found: 404; unknown: the Hub could not be asked.' })
  access!: (typeof MODEL_ACCESS)[number];
  @ApiProperty({ type: 'integer', nullable: true, example: 200, description: "The Hub's HTTP status; null without an answer." })
  hub_status!: number | null;
}

export class TokenChainLevelDto {
  @ApiProperty({ enum: SCOPES })
  scope!: Scope;
  @ApiProperty({ type: String, nullable: true, example: 'acme' })
  scope_id!: string | null;
  @ApiProperty({ example: true })
  set!: boolean;
  @ApiPropertyOptional({ example: 'sha256:1a2b3c4d5e6f', description: 'Only when set.' })
  fingerprint?: string;
  @ApiPropertyOptional({ type: 'integer', example: 1, description: 'Only when set.' })
  version?: number;
}

export class EffectiveTokenDto {
  @ApiProperty({ enum: SCOPES })
  scope!: Scope;
  @ApiProperty({ type: String, nullable: true })
  scope_id!: string | null;
  @ApiProperty({ example: 'sha256:1a2b3c4d5e6f' })
  fingerprint!: string;
}

/** GET /api/v1/models/{id}/token (docs/reference/rest.md). */
export class TokenChainViewDto {
  @ApiProperty({ example: 'Qwen/Qwen2.5-VL-7B-Instruct' })
  model_id!: string;
  @ApiProperty({
    type: EffectiveTokenDto,
    nullable: true,
    description: 'The first level set, highest first; null when none is (runners then use their HF_TOKEN, or none).',
  })
  effective!: EffectiveTokenDto | null;
  @ApiProperty({ type: [TokenChainLevelDto], description: 'model → user (if owner_id) → org (if org_id) → global.' })
  chain!: TokenChainLevelDto[];
}
