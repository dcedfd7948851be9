import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { Counter, Gauge, Histogram } from 'prom-client';
import {
  Aad,
  SCOPES,
  SETTINGS_APPLIED,
  SETTINGS_STREAM,
  SETTINGS_UPDATED_ALL,
  type Scope,
  type SettingsAppliedEvent,
  type SettingsUpdatedEvent,
} from '@helix/contracts';
import { EnvelopeKey, open, type Secret } from '@helix/secrets';
import { TokenStore } from '@helix/token-store';
import { decodeJson, encodeJson, ensureSettingsStreams } from '@helix/nats';
import { NATS_CONNECTION, RUNNER_CONFIG, RUNNER_SETTINGS, TOKEN_STORE, type RunnerConfig, type RunnerSettings } from '../config';

const applied = new Counter({ name: 'helix_runner_settings_applied_total', help: 'settings.updated events applied', labelNames: ['scope'] });
const ignored = new Counter({ name: 'helix_runner_settings_ignored_total', help: 'settings.updated events ignored', labelNames: ['reason'] });
const globalVersion = new Gauge({ name: 'helix_runner_settings_version', help: 'applied version of the global settings' });
const lag = new Histogram({
  name: 'helix_runner_settings_propagation_seconds',
  help: 'time from the settings update to this runner applying it',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
});

/** One token version this runner now holds (a clear is one too: `tokenProvided` false). */
export interface AppliedSettings {
  scope: Scope;
  scopeId: string | null;
  version: number;
  tokenProvided: boolean;
}

/**
 * Follows the SETTINGS stream: first the last event of every subject (the current state), then live
 * updates. Tokens are decrypted into the in-memory TokenStore only; each applied version is
 * acknowledged on `settings.applied` (persisted by the SETTINGS_ACKS stream).
 */
@Injectable()
export class SettingsSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly busKey: EnvelopeKey;
  private messages?: ConsumerMessages;
  private replayed = false;
  private stopped = false;
  private pendingAcks: SettingsAppliedEvent[] = [];
  private ackLoop: Promise<void> | null = null;
  /** Identity of the stream being followed; a recreated stream restarts its sequence numbers. */
  private streamCreated?: string;
  private readonly appliedListeners = new Set<(applied: AppliedSettings) => void>();
  private readonly replay: { promise: Promise<void>; resolve: () => void } = (() => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  })();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(TOKEN_STORE) private readonly store: TokenStore,
    @Inject(RUNNER_SETTINGS) private readonly settings: RunnerSettings,
    @Inject(RUNNER_CONFIG) config: RunnerConfig,
    @InjectPinoLogger('SettingsSync') private readonly logger: PinoLogger,
  ) {
    this.busKey = EnvelopeKey.fromBase64(config.HELIX_SETTINGS_KEY);
  }

  /** True once the state that existed at start-up has been applied (for /readyz). */
  get replayComplete(): boolean {
    return this.replayed;
  }

  /** Resolves once the state that existed at start-up has been applied. */
  whenReplayed(): Promise<void> {
    return this.replay.promise;
  }

  /** Calls `listener` after every token version applied (any scope); returns the unsubscribe. */
  onApplied(listener: (applied: AppliedSettings) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  onApplicationBootstrap(): void {
    void this.run();
    void this.watchReconnects();
  }

  /**
   * An ordered consumer resumes after the last stream sequence it saw. If NATS came back without
   * its store, the stream was recreated and its sequences start again at 1, so the consumer is
   * restarted from the last message of each subject instead.
   */
  private async watchReconnects(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type !== 'reconnect' || this.stopped) continue;
      try {
        await ensureSettingsStreams(this.nc);
        const info = await (await jetstreamManager(this.nc)).streams.info(SETTINGS_STREAM);
        if (this.streamCreated && info.created !== this.streamCreated) {
          this.logger.warn({ runner_id: this.settings.runnerId }, 'settings stream was recreated; replaying it');
          void this.messages?.close();
        }
      } catch (err) {
        this.logger.warn({ err: { message: (err as Error).message } }, 'could not check the settings stream after reconnecting');
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.follow();
      } catch (err) {
        if (this.stopped) return;
        // Re-reading from the last message per subject is safe: versions already held are ignored.
        this.logger.warn({ err: { message: (err as Error).message } }, 'settings stream consumer interrupted; resuming');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private async follow(): Promise<void> {
    await ensureSettingsStreams(this.nc); // NATS may have come back without its store
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.streams.info(SETTINGS_STREAM);
    this.streamCreated = info.created;
    const state = info.state;
    // Everything up to this sequence is the state to replay; with one message kept per subject,
    // the stream's last message is the last of its subject and is always delivered.
    const replayUntil = state.messages === 0 ? 0 : state.last_seq;
    if (replayUntil === 0) this.markReplayed(0);
    const consumer = await jetstream(this.nc).consumers.get(SETTINGS_STREAM, {
      filter_subjects: SETTINGS_UPDATED_ALL,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    // An ordered consumer recreates itself after reconnects and gaps, resuming after the last sequence seen.
    this.messages = await consumer.consume();
    for await (const msg of this.messages) {
      this.handle(msg);
      if (!this.replayed && (msg.info.pending === 0 || msg.seq >= replayUntil)) this.markReplayed(msg.seq);
    }
  }

  private markReplayed(seq: number): void {
    this.replayed = true;
    this.logger.info({ runner_id: this.settings.runnerId, versions: this.store.versions(), last_seq: seq }, 'settings replay complete');
    this.replay.resolve();
  }

  private handle(msg: JsMsg): void {
    let event: SettingsUpdatedEvent;
    try {
      event = decodeJson<SettingsUpdatedEvent>(msg.data);
    } catch {
      ignored.inc({ reason: 'malformed' });
      this.logger.warn({ subject: msg.subject, seq: msg.seq }, 'ignored a settings event that is not JSON');
      return;
    }
    if (event?.type !== 'settings.updated' || event.schema !== 1 || !(SCOPES as readonly string[]).includes(event.scope) || !Number.isSafeInteger(event.version)) {
      ignored.inc({ reason: 'malformed' });
      this.logger.warn({ subject: msg.subject, seq: msg.seq }, 'ignored a settings event with an unknown shape or schema');
      return;
    }
    let token: Secret | null = null;
    if (event.huggingface_token) {
      try {
        token = open(this.busKey, event.huggingface_token, Aad.event(event.scope, event.scope_id, event.version));
      } catch {
        ignored.inc({ reason: 'undecryptable' });
        this.logger.error(
          { scope: event.scope, scope_id: event.scope_id, version: event.version },
          'could not decrypt a settings event; check that HELIX_SETTINGS_KEY matches the control plane',
        );
        return;
      }
    }
    const outcome = this.store.apply({ scope: event.scope, scopeId: event.scope_id, version: event.version, token });
    if (outcome === 'stale') {
      ignored.inc({ reason: 'stale' });
      this.logger.debug({ scope: event.scope, scope_id: event.scope_id, version: event.version }, 'ignored a settings event that is not newer');
      return;
    }
    applied.inc({ scope: event.scope });
    const updatedAt = Date.parse(event.updated_at);
    if (Number.isFinite(updatedAt)) lag.observe(Math.max(0, Date.now() - updatedAt) / 1000);
    const tokenProvided = token !== null;
    if (event.scope === 'global') {
      globalVersion.set(event.version);
      this.logger.info({ runner_id: this.settings.runnerId, token_provided: tokenProvided, version: event.version }, 'updated hugging face token from control plane');
    } else {
      this.logger.info(
        { runner_id: this.settings.runnerId, scope: event.scope, scope_id: event.scope_id, token_provided: tokenProvided, version: event.version },
        'updated scoped hugging face token from control plane',
      );
    }
    const appliedSettings: AppliedSettings = { scope: event.scope, scopeId: event.scope_id, version: event.version, tokenProvided };
    for (const listener of this.appliedListeners) listener(appliedSettings);
    this.acknowledge({ runner_id: this.settings.runnerId, scope: event.scope, scope_id: event.scope_id, version: event.version, hf_token_provided: tokenProvided });
  }

  /** Acks are published to JetStream in order and retried until stored, so an outage loses none. */
  private acknowledge(ack: SettingsAppliedEvent): void {
    this.pendingAcks.push(ack);
    if (!this.ackLoop) this.ackLoop = this.flushAcks().finally(() => (this.ackLoop = null));
  }

  private async flushAcks(): Promise<void> {
    const js = jetstream(this.nc, { timeout: 5_000 });
    let delay = 250;
    while (this.pendingAcks.length && !this.stopped) {
      const ack = this.pendingAcks[0];
      try {
        await js.publish(SETTINGS_APPLIED, encodeJson(ack));
        this.pendingAcks.shift();
        delay = 250;
      } catch (err) {
        this.logger.warn({ version: ack.version, err: { message: (err as Error).message } }, 'could not publish settings.applied yet; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }
}
