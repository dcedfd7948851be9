import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SettingsViewDto, UpdateSystemSettingsDto, type SystemSettingsView } from '@helix/contracts';
import { AdminOnly } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import type { UserEntity } from '../users/user.entity';
import { GLOBAL, SettingsClient } from './settings.client';

@ApiTags('system')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/v1/system/settings')
export class SystemSettingsController {
  constructor(private readonly settings: SettingsClient) {}

  @Get()
  @ApiOperation({ summary: 'Show whether a global Hugging Face token is set (fingerprint only, never the token).' })
  @ApiOkResponse({ type: SettingsViewDto })
  async get(): Promise<SystemSettingsView> {
    return (await this.settings.get(GLOBAL)) as SystemSettingsView;
  }

  @Put()
  @ApiOperation({ summary: 'Set ("hf_…") or clear ("" or null) the global Hugging Face token; omit the field to change nothing.' })
  @ApiOkResponse({ type: SettingsViewDto })
  async update(@Body() dto: UpdateSystemSettingsDto, @CurrentUser() user: UserEntity): Promise<SystemSettingsView> {
    return (await this.settings.update(GLOBAL, dto.huggingface_token, user.id)) as SystemSettingsView;
  }
}
