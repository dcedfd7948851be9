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
