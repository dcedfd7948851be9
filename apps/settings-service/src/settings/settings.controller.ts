import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  Patterns,
  RUNNER_ID_PATTERN,
  RUNNERS_PAGE_MAX,
  type ClearScopeRequest,
  type GetManySettingsRequest,
  type ModelAccessRequest,
  type ModelAccessView,
  type ScopeRef,
  type SettingsView,
  type SyncStatusRequest,
  type SyncStatusView,
  type UpdateSettingsRequest,
} from '@helix/contracts';
import { rpcError } from '@helix/rpc';
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
  syncStatus(@Payload() request: SyncStatusRequest | null): Promise<SyncStatusView> {
    const ids = request?.runner_ids;
    if (ids !== undefined && (!Array.isArray(ids) || ids.length > RUNNERS_PAGE_MAX || !ids.every((id) => typeof id === 'string' && RUNNER_ID_PATTERN.test(id))))
      throw rpcError('bad_request', `runner_ids must be a list of at most ${RUNNERS_PAGE_MAX} runner ids.`);
    return this.sync.status(ids);
  }
}
