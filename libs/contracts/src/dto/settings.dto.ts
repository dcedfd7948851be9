import { ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy, ValidateIf, ValidationOptions, buildMessage } from 'class-validator';

/** 1–1024 printable ASCII characters, no white space (SPEC §4.1). */
export const HF_TOKEN_PATTERN = /^[\x21-\x7E]{1,1024}$/;

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
