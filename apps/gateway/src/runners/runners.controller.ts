import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  Patterns,
  RUNNER_ID_PATTERN,
  RUNNERS_PAGE_MAX,
  type RunnerRecord,
  type RunnersListRequest,
  type RunnerView,
  type SyncStatusRequest,
  type SyncStatusView,
} from '@helix/contracts';
import { RunnerViewDto } from '../dto';
import { AdminOnly } from '@helix/access';
import { ApiError } from '../http/errors';
import { ApiErrors } from '../http/api-docs';
import { ServiceClient } from '../services/service-client';

/** A page of GET /runners: `limit` absent means every runner (fetched page by page). */
export interface RunnersQuery {
  after: string | null;
  limit: number | null;
}

@ApiTags('runners')
@ApiBearerAuth()
@ApiErrors(401, 403, 503)
@AdminOnly()
@Controller('api/v1/runners')
export class RunnersController {
  constructor(private readonly services: ServiceClient) {}

  /**
   * Every NATS reply behind this route carries at most RUNNERS_PAGE_MAX runners and only their acks,
   * so the route answers for any fleet size. With `limit`, one page and a `Link: <…>; rel="next"`
   * header while more may follow (the GitHub convention: the body keeps the documented array shape).
   */
  @Get()
  @ApiOperation({
    operationId: 'listRunners',
    summary: 'List runners',
    description:
      'Runners with memory, GPUs, slots, the settings version each applied and whether it is in sync, in id order. Admin only. With `limit`, one page, and a `Link: <…>; rel="next"` header while more may follow.',
  })
  @ApiOkResponse({
    type: [RunnerViewDto],
    description: 'Every runner, or one page of them with `limit`.',
    headers: {
      Link: { description: 'With `limit`, while more runners may follow: `</api/v1/runners?limit=N&after=<last id>>; rel="next"`', schema: { type: 'string' } },
    },
  })
  @ApiErrors(400)
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: RUNNERS_PAGE_MAX },
    description: 'one page of at most this many runners (all runners when absent)',
  })
  @ApiQuery({ name: 'after', required: false, schema: { type: 'string' }, description: 'the last runner id of the previous page (runners are in id order)' })
  async list(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) reply: FastifyReply): Promise<RunnerView[]> {
    const { after, limit } = parseRunnersQuery(query);
    if (limit !== null) {
      const page = await this.page(after, limit);
      if (page.length === limit) reply.header('Link', `</api/v1/runners?limit=${limit}&after=${encodeURIComponent(page[page.length - 1].id)}>; rel="next"`);
      return page;
    }
    const all: RunnerView[] = [];
    for (let cursor = after; ;) {
      const page = await this.page(cursor, RUNNERS_PAGE_MAX);
      all.push(...page);
      if (page.length < RUNNERS_PAGE_MAX) return all;
      cursor = page[page.length - 1].id;
    }
  }

  private async page(after: string | null, limit: number): Promise<RunnerView[]> {
    const request: RunnersListRequest = { after, limit };
    const runners = await this.services.request<RunnerRecord[]>(Patterns.runnersList, request, 'models service');
    const syncRequest: SyncStatusRequest = { runner_ids: runners.map((r) => r.id) };
    const sync = await this.services.request<SyncStatusView>(Patterns.settingsSyncStatus, syncRequest, 'settings service');
    return runners.map((r) => joinSyncState(r, sync));
  }
}

/** `limit` 1..RUNNERS_PAGE_MAX and `after` a runner id; anything else is a 400 that names the parameter. */
export function parseRunnersQuery(query: Record<string, unknown>): RunnersQuery {
  const unknown = Object.keys(query).find((k) => k !== 'limit' && k !== 'after');
  if (unknown !== undefined) throw badQuery(`Unknown query parameter "${unknown.slice(0, 40)}"; use limit and after.`);
  const { after, limit } = query;
  if (after !== undefined && (typeof after !== 'string' || !RUNNER_ID_PATTERN.test(after))) throw badQuery('after must be a runner id.');
  if (limit !== undefined && (typeof limit !== 'string' || !/^[1-9][0-9]{0,5}$/.test(limit) || Number(limit) > RUNNERS_PAGE_MAX))
    throw badQuery(`limit must be an integer from 1 to ${RUNNERS_PAGE_MAX}.`);
  return { after: (after as string | undefined) ?? null, limit: limit === undefined ? null : Number(limit) };
}

function badQuery(message: string): ApiError {
  return new ApiError({ error: 'bad_request', message: `Invalid query: ${message}` });
}

/**
 * A runner is in sync (docs/reference/rest.md and docs/reference/events.md) when it holds the current version of every scope: it has
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
