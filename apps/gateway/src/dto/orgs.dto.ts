import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { ORG_ID_MESSAGE, ORG_ID_PATTERN, ORG_ROLES, type OrgRole } from '@helix/contracts';

const NO_CONTROL_CHARS = /^[^\x00-\x1F\x7F]{1,256}$/;

/** POST /api/v1/orgs. */
export class CreateOrgDto {
  @ApiProperty({ example: 'acme', description: '1–64 of a-z, 0-9 and "-", starting with a letter or digit' })
  @IsString({ message: 'id must be a string' })
  @Matches(ORG_ID_PATTERN, { message: `id ${ORG_ID_MESSAGE}` })
  id!: string;

  @ApiPropertyOptional({ example: 'Acme Corp', description: 'Display name; defaults to the id.' })
  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @Matches(NO_CONTROL_CHARS, { message: 'name must be 1 to 256 characters without control characters' })
  name?: string;
}

/** PUT /api/v1/orgs/{org}/members/{user_id}. */
export class SetMembershipDto {
  @ApiProperty({ enum: ORG_ROLES, example: 'member' })
  @IsIn(ORG_ROLES, { message: `role must be one of: ${ORG_ROLES.join(', ')}` })
  role!: OrgRole;
}

export class OrgViewDto {
  @ApiProperty({ example: 'acme' })
  id!: string;
  @ApiProperty({ example: 'Acme Corp' })
  name!: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' })
  created!: string;
}

export class MembershipViewDto {
  @ApiProperty({ example: 'acme' })
  org_id!: string;
  @ApiProperty({ example: '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b' })
  user_id!: string;
  @ApiProperty({ enum: ORG_ROLES })
  role!: OrgRole;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' })
  created!: string;
}
