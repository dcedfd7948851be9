import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Patterns, type RunnerRecord, type RunnerView, type SyncStatusView } from '@helix/contracts';
import { AdminOnly } from '@helix/access';
import { ServiceClient } from '../services/service-client';

@ApiTags('runners')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/v1/runners')
export class RunnersController {
  constructor(private readonly services: ServiceClient) {}

  @Get()
  @ApiOperation({ summary: 'Runners with memory, slots, the settings version each applied and whether it is in sync.' })
  async list(): Promise<RunnerView[]> {
    const [runners, sync] = await Promise.all([
      this.services.request<RunnerRecord[]>(Patterns.runnersList, {}, 'models service'),
      this.services.request<SyncStatusView>(Patterns.settingsSyncStatus, {}, 'settings service'),
    ]);
    return runners.map((r) => joinSyncState(r, sync));
  }
}

/** The settings-service's ack records are authoritative; the heartbeat's versions fill the gap until one arrives. */
export function joinSyncState(runner: RunnerRecord, sync: SyncStatusView): RunnerView {
  const ack = sync.acks.find((a) => a.runner_id === runner.id && a.scope === 'global');
  const settingsVersion = Math.max(ack?.version ?? 0, runner.settings_versions?.global ?? 0);
  return {
    id: runner.id,
    state: runner.state,
    last_seen: runner.last_seen,
    memory_total: runner.memory_total,
    memory_allocated: runner.memory_allocated,
    settings_version: settingsVersion,
    in_sync: settingsVersion >= sync.global_version,
    hf_token_provided: runner.hf_token_provided,
    slots: runner.slots,
  };
}
