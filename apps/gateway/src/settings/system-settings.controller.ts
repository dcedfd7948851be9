import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UpdateSystemSettingsDto, type SystemSettingsView } from '@helix/contracts';
import { SettingsBusCipher } from '@helix/secrets';
import { AdminOnly } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { ServiceClient } from '../services/service-client';
import type { UserEntity } from '../users/user.entity';
import { SystemSettingsClient } from './system-settings.client';

@ApiTags('system')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/v1/system/settings')
export class SystemSettingsController {
  private readonly settings: SystemSettingsClient;

  constructor(services: ServiceClient, @Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.settings = new SystemSettingsClient(services, SettingsBusCipher.fromBase64(config.HELIX_SETTINGS_KEY));
  }

  @Get()
  @ApiOperation({ summary: 'Show whether a global Hugging Face token is set (fingerprint only, never the token).' })
  get(): Promise<SystemSettingsView> {
    return this.settings.get();
  }

  @Put()
  @ApiOperation({ summary: 'Set ("hf_…") or clear ("" or null) the global Hugging Face token; omit the field to change nothing.' })
  update(@Body() dto: UpdateSystemSettingsDto, @CurrentUser() user: UserEntity): Promise<SystemSettingsView> {
    return this.settings.update(dto.huggingface_token, user.id);
  }
}
