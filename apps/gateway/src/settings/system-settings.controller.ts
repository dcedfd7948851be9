import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Aad, Patterns, UpdateSystemSettingsDto, type SystemSettingsView, type UpdateSystemSettingsRequest } from '@helix/contracts';
import { EnvelopeKey, Secret, seal } from '@helix/secrets';
import { AdminOnly } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { ServiceClient } from '../services/service-client';
import type { UserEntity } from '../users/user.entity';

@ApiTags('system')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/v1/system/settings')
export class SystemSettingsController {
  private readonly busKey: EnvelopeKey;

  constructor(
    private readonly services: ServiceClient,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.busKey = EnvelopeKey.fromBase64(config.HELIX_SETTINGS_KEY);
  }

  @Get()
  @ApiOperation({ summary: 'Show whether a global Hugging Face token is set (fingerprint only, never the token).' })
  get(): Promise<SystemSettingsView> {
    return this.services.request(Patterns.settingsGet, {}, 'settings service');
  }

  @Put()
  @ApiOperation({ summary: 'Set ("hf_…") or clear ("" or null) the global Hugging Face token; omit the field to change nothing.' })
  update(@Body() dto: UpdateSystemSettingsDto, @CurrentUser() user: UserEntity): Promise<SystemSettingsView> {
    const deadline = ServiceClient.deadline();
    const request: UpdateSystemSettingsRequest = { updated_by: user.id, deadline_ms: deadline };
    if (dto.huggingface_token !== undefined) {
      // The token crosses NATS encrypted, like every other copy of it.
      request.huggingface_token = dto.huggingface_token ? seal(this.busKey, Secret.of(dto.huggingface_token), Aad.updateRequest('global', null)) : null;
    }
    return this.services.request(Patterns.settingsUpdate, request, 'settings service', deadline);
  }
}
