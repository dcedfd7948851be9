import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type SystemSettingsView } from '@helix/contracts';
import { SettingsViewDto, UpdateSystemSettingsDto } from '../dto';
import { AdminOnly } from '@helix/access';
import { ApiErrors, INVALID_TOKEN, PAYLOAD_ERRORS } from '../http/api-docs';
import { CurrentUser } from '../auth/auth';
import type { UserEntity } from '../users/user.entity';
import { GLOBAL, SettingsClient } from './settings.client';

@ApiTags('system')
@ApiBearerAuth()
@ApiErrors(401, 403, 503)
@AdminOnly()
@Controller('api/v1/system/settings')
export class SystemSettingsController {
  constructor(private readonly settings: SettingsClient) {}

  @Get()
  @ApiOperation({
    operationId: 'getSystemSettings',
    summary: 'Get the global token settings',
    description: 'Whether a global Hugging Face token is set (fingerprint only, never the token). Admin only.',
  })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  async get(): Promise<SystemSettingsView> {
    return (await this.settings.get(GLOBAL)) as SystemSettingsView;
  }

  @Put()
  @ApiOperation({
    operationId: 'updateSystemSettings',
    summary: 'Set or clear the global token',
    description: 'Set ("hf_…") or clear ("" or null) the global Hugging Face token; omit the field to change nothing. Admin only.',
  })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  @ApiErrors(...PAYLOAD_ERRORS, INVALID_TOKEN)
  async update(@Body() dto: UpdateSystemSettingsDto, @CurrentUser() user: UserEntity): Promise<SystemSettingsView> {
    return (await this.settings.update(GLOBAL, dto.huggingface_token, user.id)) as SystemSettingsView;
  }
}
