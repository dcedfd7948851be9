import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  Patterns,
  type ClearScopeRequest,
  type GetManySettingsRequest,
  type ModelAccessRequest,
  type ModelAccessView,
  type ScopeRef,
  type SettingsView,
  type SyncStatusView,
  type UpdateSettingsRequest,
} from '@helix/contracts';
import { SyncStatusService } from '../acks/sync-status.service';
import { SettingsService } from './settings.service';

/** Request/reply handlers for the gateway (queue group: one replica answers each request). */
@Controller()
export class SettingsController {
  constructor(
    private readonly settings: SettingsService,
    private readonly sync: SyncStatusService,
  ) {}

  @MessagePattern(Patterns.settingsGet)
  get(@Payload() ref: ScopeRef): Promise<SettingsView> {
    return this.settings.get(ref ?? {});
  }

  @MessagePattern(Patterns.settingsGetMany)
  getMany(@Payload() request: GetManySettingsRequest): Promise<SettingsView[]> {
    return this.settings.getMany(request);
  }

  @MessagePattern(Patterns.settingsUpdate)
  update(@Payload() request: UpdateSettingsRequest): Promise<SettingsView> {
    return this.settings.update(request);
  }

  @MessagePattern(Patterns.settingsClearScope)
  clearScope(@Payload() request: ClearScopeRequest): Promise<SettingsView> {
    return this.settings.clearScope(request);
  }

  @MessagePattern(Patterns.settingsModelAccess)
  modelAccess(@Payload() request: ModelAccessRequest): Promise<ModelAccessView> {
    return this.settings.modelAccess(request);
  }

  @MessagePattern(Patterns.settingsSyncStatus)
  syncStatus(): Promise<SyncStatusView> {
    return this.sync.status();
  }
}
