import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches } from 'class-validator';
import type { ApiKeyView, CreatedApiKeyView } from '@helix/contracts';

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
