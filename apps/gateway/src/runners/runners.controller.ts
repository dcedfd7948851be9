import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Patterns, RunnerViewDto, type RunnerRecord, type RunnerView, type SyncStatusView } from '@helix/contracts';
import { AdminOnly } from '@helix/access';
import { ApiErrors } from '../http/api-docs';
import { ServiceClient } from '../services/service-client';

@ApiTags('runners')
@ApiBearerAuth()
@ApiErrors(401, 403, 503)
@AdminOnly()
@Controller('api/v1/runners')
export class RunnersController {
  constructor(private readonly services: ServiceClient) {}

  @Get()
  @ApiOperation({
    operationId: 'listRunners',
    summary: 'List runners',
    description: 'Runners with memory, GPUs, slots, the settings version each applied and whether it is in sync. Admin only.',
  })
  @ApiOkResponse({ type: [RunnerViewDto], description: 'Every runner.' })
  async list(): Promise<RunnerView[]> {
    const [runners, sync] = await Promise.all([
      this.services.request<RunnerRecord[]>(Patterns.runnersList, {}, 'models service'),
      this.services.request<SyncStatusView>(Patterns.settingsSyncStatus, {}, 'settings service'),
    ]);
    return runners.map((r) => joinSyncState(r, sync));
  }
}

/**
 * A runner is in sync (SPEC §4.4, §11.5) when it holds the current version of every scope: it has
 * processed the SETTINGS stream up to its last sequence (each message there is the newest of its
 * subject), and applied the current global version. `sync.settings_seq` is null while a committed
 * change is not in the stream yet: then no runner is in sync. The settings-service's global ack is
 * authoritative for the global version; the heartbeat's fills the gap until one arrives.
 */
export function joinSyncState(runner: RunnerRecord, sync: SyncStatusView): RunnerView {
  const ack = sync.acks.find((a) => a.runner_id === runner.id && a.scope === 'global');
  const settingsVersion = Math.max(ack?.version ?? 0, runner.settings_version ?? 0);
  const caughtUp = sync.settings_seq !== null && (runner.settings_seq ?? 0) >= sync.settings_seq;
  return {
    id: runner.id,
    state: runner.state,
    last_seen: runner.last_seen,
    memory_total: runner.memory_total,
    memory_allocated: runner.memory_allocated,
    settings_version: settingsVersion,
    in_sync: caughtUp && settingsVersion >= sync.global_version,
    settings_applied: runner.settings_applied ?? 0,
    hf_token_provided: runner.hf_token_provided,
    // A models-service of an older release reports no GPUs.
    gpus: runner.gpus ?? [],
    slots: runner.slots,
  };
}
