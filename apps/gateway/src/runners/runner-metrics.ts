import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Patterns, type RunnerRecord, type RunnerView, type SyncStatusView } from '@helix/contracts';
import { ServiceClient } from '../services/service-client';
import { joinSyncState } from './runners.controller';

/** A scrape waits at most this long for the two services; then the in-sync gauges are left out. */
const SCRAPE_TIMEOUT_MS = 2_000;
/** Both gauges are collected in one scrape: one pair of requests serves them. */
const REUSE_MS = 1_000;

let source: RunnerMetrics | undefined;

/**
 * Whether each online runner is in sync is known only here, where the runners of the
 * models-service meet the settings-service's sync status (the join of GET /runners). So the
 * gateway exports it, computed at each scrape. Offline runners are left out (their state is
 * `helix_models_runners{state="offline"}` on the models-service).
 */
const inSyncCount = new Gauge({
  name: 'helix_gateway_runners_in_sync',
  help: 'online runners holding the current version of every settings scope',
  async collect() {
    const online = await source?.onlineRunners();
    if (online) inSyncCount.set(online.filter((r) => r.in_sync).length);
    else inSyncCount.reset();
  },
});

const inSync = new Gauge({
  name: 'helix_gateway_runner_in_sync',
  help: 'per online runner: 1 when it holds the current version of every settings scope, else 0',
  labelNames: ['runner'] as const,
  async collect() {
    const online = await source?.onlineRunners();
    inSync.reset();
    for (const r of online ?? []) inSync.set({ runner: r.id }, r.in_sync ? 1 : 0);
  },
});

@Injectable()
export class RunnerMetrics {
  private last?: { at: number; runners: Promise<RunnerView[] | undefined> };

  constructor(private readonly services: ServiceClient) {
    source = this;
  }

  /** The online runners with their sync state, or undefined when a service did not answer. */
  onlineRunners(now = Date.now()): Promise<RunnerView[] | undefined> {
    if (!this.last || now - this.last.at > REUSE_MS) this.last = { at: now, runners: this.fetch() };
    return this.last.runners;
  }

  private async fetch(): Promise<RunnerView[] | undefined> {
    try {
      const [runners, sync] = await Promise.all([
        this.services.request<RunnerRecord[]>(Patterns.runnersList, {}, 'models service', SCRAPE_TIMEOUT_MS),
        this.services.request<SyncStatusView>(Patterns.settingsSyncStatus, {}, 'settings service', SCRAPE_TIMEOUT_MS),
      ]);
      return runners.filter((r) => r.state === 'online').map((r) => joinSyncState(r, sync));
    } catch {
      return undefined;
    }
  }
}
