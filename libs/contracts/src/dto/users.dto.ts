import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches } from 'class-validator';

export class CreateUserDto {
  @ApiProperty({ example: 'alice', description: '1–64 characters: letters, digits, ".", "_", "-", "@"' })
  @IsString()
  @Matches(/^[A-Za-z0-9._@-]{1,64}$/, { message: 'name must be 1 to 64 letters, digits or . _ - @' })
  name!: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  admin?: boolean;
}

export interface UserView {
  id: string;
  name: string;
  admin: boolean;
  created: string;
}

export interface CreatedUserView extends UserView {
  /** Shown once; stored only as a hash. */
  api_key: string;
}

/**
 * One API key of a user (`GET /api/v1/users/{user_id}/keys`, `DELETE …/keys/{key_id}`): never the
 * key or its hash, only the first characters that are safe to show.
 */
export interface ApiKeyView {
  id: string;
  /** `hl-` and the next 6 characters of the key; null for a key created before keys were listed (only its hash was kept). */
  prefix: string | null;
  created: string;
  /** When it was revoked; null while it works. */
  revoked: string | null;
  /** The key of `HELIX_ADMIN_API_KEY`: replaced (and revoked) when that variable changes. */
  bootstrap: boolean;
}

/** `POST /api/v1/users/{user_id}/keys`: the key is shown this once and stored only as a hash. */
export interface CreatedApiKeyView {
  id: string;
  prefix: string;
  created: string;
  api_key: string;
}

export class ApiKeyViewDto implements ApiKeyView {
  @ApiProperty({ example: '6f2b0c1e-8d4a-4f5e-9a7b-1c2d3e4f5a6b' })
  id!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'hl-Xq3f9A',
    description: 'The first characters of the key (safe to show), to tell keys apart; null for a key created before keys were listed.',
  })
  prefix!: string | null;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' })
  created!: string;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'When the key was revoked; null while it works.' })
  revoked!: string | null;
  @ApiProperty({ example: false, description: 'The key of HELIX_ADMIN_API_KEY (replaced and revoked when that variable changes).' })
  bootstrap!: boolean;
}

export class CreatedApiKeyViewDto implements CreatedApiKeyView {
  @ApiProperty({ example: '6f2b0c1e-8d4a-4f5e-9a7b-1c2d3e4f5a6b' })
  id!: string;
  @ApiProperty({ example: 'hl-Xq3f9A' })
  prefix!: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' })
  created!: string;
  @ApiProperty({ example: 'hl-Xq3f9A…', description: 'The new key: shown this once, stored only as a hash. Save it now.' })
  api_key!: string;
}
