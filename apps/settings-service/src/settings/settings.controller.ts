import { Controller } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { Patterns, type ErrorBody, type SyncStatusView, type SystemSettingsView, type UpdateSystemSettingsRequest } from '@helix/contracts';
import { isDatabaseUnavailable } from '@helix/persistence';
import { RunnerAckEntity } from '../entities';
import { SystemSettingsService } from './system-settings.service';

/** Request/reply handlers for the gateway (queue group: one replica answers each request). */
@Controller()
export class SettingsController {
  constructor(
    private readonly settings: SystemSettingsService,
    @InjectDataSource() private readonly db: DataSource,
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
  async syncStatus(): Promise<SyncStatusView> {
    try {
      const [current, acks] = await Promise.all([this.settings.get(), this.db.getRepository(RunnerAckEntity).find()]);
      return {
        global_version: current.version,
        acks: acks.map((a) => ({
          runner_id: a.runnerId,
          scope: a.scope,
          scope_id: a.scope === 'global' ? null : a.scopeId,
          version: a.version,
          hf_token_provided: a.hfTokenProvided,
          applied_at: a.appliedAt.toISOString(),
        })),
      };
    } catch (err) {
      if (err instanceof RpcException) throw err;
      if (isDatabaseUnavailable(err)) throw new RpcException({ error: 'unavailable', message: 'The settings database is unavailable.' } satisfies ErrorBody);
      throw err;
    }
  }
}
