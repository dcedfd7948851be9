import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns, type SyncStatusView, type SystemSettingsView, type UpdateSystemSettingsRequest } from '@helix/contracts';
import { SyncStatusService } from '../acks/sync-status.service';
import { SystemSettingsService } from './system-settings.service';

/** Request/reply handlers for the gateway (queue group: one replica answers each request). */
@Controller()
export class SettingsController {
  constructor(
    private readonly settings: SystemSettingsService,
    private readonly sync: SyncStatusService,
  ) {}

  @MessagePattern(Patterns.settingsGet)
  get(): Promise<SystemSettingsView> {
    return this.settings.get();
  }

  @MessagePattern(Patterns.settingsUpdate)
  update(@Payload() request: UpdateSystemSettingsRequest): Promise<SystemSettingsView> {
    return this.settings.update(request);
  }

  @MessagePattern(Patterns.settingsSyncStatus)
  syncStatus(): Promise<SyncStatusView> {
    return this.sync.status();
  }
}
