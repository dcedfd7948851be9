import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { HEARTBEAT_INTERVAL_MS, runnerHeartbeatSubject, type RunnerHeartbeat, type SlotView } from '@helix/contracts';
import { encodeJson, InjectNats } from '@helix/nats';
import { SettingsSyncService } from '../settings/settings-sync.service';
import { RUNNER_SETTINGS, type RunnerSettings } from '../config';
import { ThrottledTrigger } from './throttled-trigger';

/**
 * Extra heartbeats after token changes are at most this far apart. Each is a database write in the
 * models-service: during a burst of rotations, 250 ms cost 0.25 ms of CPU per runner per rotation
 * there and in Postgres at 50 runners (docs/decisions.md); the first change after a quiet second is
 * still reported at once.
 */
const CHANGE_BEAT_INTERVAL_MS = 1_000;

/** What the heartbeat reports about this runner's vLLM slots. */
export interface SlotsSource {
  views(): SlotView[];
  memoryAllocated(): number;
}
export const SLOTS_SOURCE = Symbol('SLOTS_SOURCE');

/** Publishes `runners.heartbeat` every 5 s (and once at start) so the control plane knows this runner is online. */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private readonly changeBeat = new ThrottledTrigger(() => this.beat(), CHANGE_BEAT_INTERVAL_MS);

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    @Inject(RUNNER_SETTINGS) private readonly settings: RunnerSettings,
    @Inject(SLOTS_SOURCE) private readonly slots: SlotsSource,
    private readonly sync: SettingsSyncService,
  ) {}

  onApplicationBootstrap(): void {
    // A new token, or any progress through the settings stream (an ignored message counts too), changes
    // what this runner reports; tell the control plane now, not at the next tick.
    this.sync.onProcessed(() => this.changeBeat.trigger());
    this.beat();
    this.timer = setInterval(() => this.beat(), HEARTBEAT_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.changeBeat.cancel();
  }

  heartbeat(): RunnerHeartbeat {
    return {
      runner_id: this.settings.runnerId,
      memory_total: this.settings.memoryTotal,
      memory_allocated: this.slots.memoryAllocated(),
      settings_version: this.sync.version('global', null),
      settings_seq: this.sync.processedSeq,
      settings_applied: this.sync.heldScopes,
      hf_token_provided: this.sync.resolve({}).token !== null,
      gpus: this.settings.gpus,
      slots: this.slots.views(),
      sent_at: new Date().toISOString(),
    };
  }

  /** Also called on every change so the control plane learns it before the next tick. */
  beat(): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(runnerHeartbeatSubject(this.settings.runnerId), encodeJson(this.heartbeat()));
    } catch {
      // Disconnected: the next tick after reconnecting reports the current state.
    }
  }
}
