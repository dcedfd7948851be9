import { performance } from 'node:perf_hooks';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { Counter, Gauge, Histogram } from 'prom-client';
import { SETTINGS_SIGNATURE_HEADER, SETTINGS_STREAM, SETTINGS_UPDATED_ALL, settingsSubject, type Scope } from '@helix/contracts';
import { EventVerifier, SettingsBusCipher } from '@helix/secrets';
import { TokenStore, type ResolveContext, type ResolvedToken } from '@helix/token-store';
import { InjectNats, NatsLink, runConsumer, waitForStream, type ConsumerLoop } from '@helix/nats';
import { REQUEST_ID_HEADER, safeRequestId } from '@helix/logging';
import { RUNNER_CONFIG, RUNNER_SETTINGS, TOKEN_STORE, type RunnerConfig, type RunnerSettings } from '../config';
import { AckPublisher } from './ack-publisher';
import { decodeSettingsEvent, type DecodedSettingsEvent, type EventKeys } from './settings-event-decoder';
import { StreamWatch } from './stream-watch';

const applied = new Counter({ name: 'helix_runner_settings_applied_total', help: 'settings.updated events applied', labelNames: ['scope'] });
const ignored = new Counter({
  name: 'helix_runner_settings_ignored_total',
  help: 'settings.updated events not applied (stale, malformed, undecryptable, rejected)',
  labelNames: ['reason'],
});
const globalVersion = new Gauge({ name: 'helix_runner_settings_version', help: 'applied version of the global settings' });
const lag = new Histogram({
  name: 'helix_runner_settings_propagation_seconds',
  help: 'time from the settings update to this runner applying it',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
});

/** A message of the start-up replay, kept as received until it is verified and applied. */
interface ReceivedEvent {
  subject: string;
  seq: number;
  data: Uint8Array;
  signature: string | undefined;
  /** The gateway request id of the change (Helix-Request-Id header), for the applied line. */
  requestId: string | undefined;
}

/**
 * Replayed events verified and applied per turn of the event loop once the runner is ready: about
 * 2–3 ms of signature checks, so probes, slot commands and live updates wait at most that long
 * (500 per turn held a ready runner's /readyz back by 40 ms a turn, 150–300 ms per request).
 */
export const SETTLE_CHUNK = 32;

/** How long each pull request of the settings consumer lives (see open()). */
const PULL_EXPIRES_MS = 300_000;

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
 * acknowledged on `settings.applied`. An event that cannot be applied is counted, logged once
 * without its content and skipped: one bad message must not stop the sync.
 */
@Injectable()
export class SettingsSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly keys: EventKeys;
  private readonly acks: AckPublisher;
  private readonly shutdown = new AbortController();
  private loop?: ConsumerLoop;
  private replayed = false;
  /** The stream sequence up to which delivered messages are the start-up state. */
  private replayUntil = 0;
  /** Notices a consumer that stopped delivering after NATS trouble, and replays the stream. */
  private readonly watch = new StreamWatch(
    () => waitForStream(this.nc, SETTINGS_STREAM, { signal: this.shutdown.signal }),
    () => this.replayed,
    (verdict, seen) => {
      this.logger.warn(
        { runner_id: this.settings.runnerId, last_seq_seen: seen.lastSeq, stream_last_seq: seen.streamLastSeq, verdict },
        `settings stream consumer must replay (${verdict})`,
      );
      // A stalled consumer on an intact stream resumes right after the last message it got (skipping
      // nothing); a recreated or truncated stream is replayed from the last message of each subject.
      this.resumeAfter = verdict === 'stalled' ? seen.lastSeq : 0;
      this.loop?.restart();
    },
    (err) => {
      if (!this.shutdown.signal.aborted) this.logger.warn({ err }, 'could not check the settings stream');
    },
  );
  private readonly appliedListeners = new Set<(applied: AppliedSettings) => void>();
  private readonly processedListeners = new Set<(seq: number) => void>();
  /**
   * The SETTINGS stream sequence processed up to (applied, stale or invalid alike). With one message
   * kept per subject, reaching the stream's last sequence means holding the current state of every
   * scope; this is what the heartbeat reports instead of one version per scope.
   */
  private seq = 0;
  private readonly replay: { promise: Promise<void>; resolve: () => void } = (() => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  })();

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly link: NatsLink,
    @Inject(TOKEN_STORE) private readonly store: TokenStore,
    @Inject(RUNNER_SETTINGS) private readonly settings: RunnerSettings,
    @Inject(RUNNER_CONFIG) config: RunnerConfig,
    @InjectPinoLogger('SettingsSync') private readonly logger: PinoLogger,
  ) {
    this.keys = { cipher: SettingsBusCipher.fromBase64(config.HELIX_SETTINGS_KEY), verifier: EventVerifier.fromBase64(config.HELIX_EVENT_VERIFY_KEY) };
    this.acks = AckPublisher.overJetStream(nc, settings.runnerId, logger);
    // The start-up replay competes with nothing: its acks go out, batched, once it is complete.
    this.acks.hold();
  }

  /** True once the state that existed at start-up has been applied (for /readyz). */
  get replayComplete(): boolean {
    return this.replayed;
  }

  /** Resolves once the state that existed at start-up has been applied. */
  whenReplayed(): Promise<void> {
    return this.replay.promise;
  }

  /** The stream sequence of the last message handled, whether it was applied or ignored (0: none yet). */
  get processedSeq(): number {
    return this.seq;
  }

  /** Calls `listener` after every token version applied (any scope); returns the unsubscribe. */
  onApplied(listener: (applied: AppliedSettings) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  /**
   * Calls `listener` with the new `processedSeq` after every message handled (applied or ignored),
   * and when an empty stream is opened; returns the unsubscribe.
   */
  onProcessed(listener: (seq: number) => void): () => void {
    this.processedListeners.add(listener);
    return () => this.processedListeners.delete(listener);
  }

  onApplicationBootstrap(): void {
    this.loop = runConsumer({
      name: 'settings stream',
      nc: this.nc,
      logger: this.logger,
      open: () => this.open(),
      handle: (msg) => this.handle(msg),
      onStatus: (status) => {
        if (status.type === 'ordered_consumer_recreated') this.watch.watchClosely();
      },
    });
    this.link.onReconnect(() => this.watch.watchClosely());
    this.watch.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.shutdown.abort();
    this.watch.stop();
    await this.loop?.stop();
    await this.acks.stop();
  }

  /** The runner only reads the stream: the settings-service creates it (runners need no admin rights). */
  /** When set, the next consumer starts after this stream sequence instead of replaying the last message per subject. */
  private resumeAfter = 0;

  private async open(): Promise<ConsumerMessages> {
    const info = await waitForStream(this.nc, SETTINGS_STREAM, {
      signal: this.shutdown.signal,
      onMissing: () => this.logger.warn({ runner_id: this.settings.runnerId }, 'waiting for the settings-service to create the settings stream'),
    });
    this.watch.opened(info.created);
    this.replayStartedAt ??= performance.now();
    // With one message kept per subject, the stream's last message is the last of its subject and is always delivered.
    this.replayUntil = info.state.messages === 0 ? 0 : info.state.last_seq;
    if (!this.replayed && this.replayUntil === 0) this.markReplayed(0);
    // An ordered consumer recreates itself after reconnects and gaps, resuming after the last sequence seen.
    const resumeAfter = this.resumeAfter;
    this.resumeAfter = 0;
    // A replay from the last message per subject starts over (the stream may have been recreated with
    // lower sequences): nothing of it is processed yet, unless it is empty, when all of it is.
    if (resumeAfter === 0) this.progress(info.state.messages === 0 ? info.state.last_seq : 0);
    const consumer = await jetstream(this.nc).consumers.get(
      SETTINGS_STREAM,
      resumeAfter > 0
        ? { filter_subjects: SETTINGS_UPDATED_ALL, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: resumeAfter + 1 }
        : { filter_subjects: SETTINGS_UPDATED_ALL, deliver_policy: DeliverPolicy.LastPerSubject },
    );
    // Bigger pulls than the default 100: a replay of many scopes is not left waiting between pulls.
    // Pull requests live 5 minutes, not 30 s: with 100 runners under a burst of rotations, 7–15 of
    // them stopped receiving when their pull expired, until the stream watch replayed about 3 s
    // later; with 5 minutes none did in the same runs (docs/decisions.md, 100 runners).
    return consumer.consume({ max_messages: 1_000, expires: PULL_EXPIRES_MS });
  }

  /**
   * The start-up replay only files each subject's message (the last one per subject); checking its
   * signature (about 75 µs each with Ed25519) and applying it happen after readiness, in the
   * background, or at once for the scopes a model start or a live update needs (settleFor). So a
   * runner joining 100,000 scopes is ready when it has received them, and no token is used before
   * its signature was checked. Live updates are verified and applied as they arrive.
   */
  private handle(msg: JsMsg): void {
    this.watch.delivered(msg.seq);
    const received: ReceivedEvent = {
      subject: msg.subject,
      seq: msg.seq,
      data: msg.data,
      signature: msg.headers?.get(SETTINGS_SIGNATURE_HEADER) || undefined,
      requestId: safeRequestId(msg.headers?.get(REQUEST_ID_HEADER)),
    };
    if (this.replayed) {
      this.settleSubject(msg.subject); // a replayed event of the same scope first: versions then compare
      this.process(received);
    } else {
      this.received.set(msg.subject, received);
    }
    this.progress(msg.seq);
    // Ignored messages count too: a bad last message must not keep the runner unready.
    if (!this.replayed && (msg.info.pending === 0 || msg.seq >= this.replayUntil)) this.markReplayed(msg.seq);
  }

  private progress(seq: number): void {
    this.seq = seq;
    for (const listener of this.processedListeners) listener(seq);
  }

  /** When the first consumer opened on an existing stream (the start of the replay, for its duration). */
  private replayStartedAt?: number;

  private markReplayed(seq: number): void {
    this.replayed = true;
    // The count only: with one entry per scope, the versions themselves can be 100,000 entries.
    const replayMs = Math.round(performance.now() - (this.replayStartedAt ?? performance.now()));
    this.logger.info({ runner_id: this.settings.runnerId, scopes: this.heldScopes, last_seq: seq, replay_ms: replayMs }, 'settings replay complete');
    // The global scope is needed at once (heartbeats report whether a token is provided).
    this.settleSubject(settingsSubject('global', null));
    this.replay.resolve();
    this.acks.release();
    setImmediate(() => void this.settleInBackground());
  }

  /** Scopes received, applied or waiting for their signature check (what `settings_applied` reports). */
  get heldScopes(): number {
    return this.store.size + this.received.size;
  }

  /** Checks and applies the replayed events of a model's chain now, then resolves its token. */
  resolve(ctx: ResolveContext): ResolvedToken {
    this.settleFor(ctx);
    return this.store.resolve(ctx);
  }

  /** The applied version of a scope, its replayed event checked first. */
  version(scope: Scope, scopeId: string | null): number {
    this.settleSubject(settingsSubject(scope, scopeId));
    return this.store.version(scope, scopeId);
  }

  /** Replayed events still waiting for their signature check. */
  private readonly received = new Map<string, ReceivedEvent>();

  private settleFor(ctx: ResolveContext): void {
    if (this.received.size === 0) return;
    if (ctx.modelId) this.settleSubject(settingsSubject('model', ctx.modelId));
    if (ctx.userId) this.settleSubject(settingsSubject('user', ctx.userId));
    if (ctx.orgId) this.settleSubject(settingsSubject('org', ctx.orgId));
    this.settleSubject(settingsSubject('global', null));
  }

  private settleSubject(subject: string): void {
    const received = this.received.get(subject);
    if (!received) return;
    this.received.delete(subject);
    this.process(received);
  }

  private async settleInBackground(): Promise<void> {
    const started = performance.now();
    while (this.received.size > 0 && !this.shutdown.signal.aborted) {
      let n = 0;
      for (const subject of this.received.keys()) {
        this.settleSubject(subject);
        if (++n === SETTLE_CHUNK) break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!this.shutdown.signal.aborted) {
      this.logger.info(
        { runner_id: this.settings.runnerId, scopes: this.store.size, verify_ms: Math.round(performance.now() - started) },
        'settings replay verified',
      );
    }
  }

  private process(received: ReceivedEvent): void {
    this.apply(received, decodeSettingsEvent(received.subject, received.data, received.signature, this.keys));
  }

  private apply(msg: Pick<ReceivedEvent, 'subject' | 'seq'> & { requestId?: string }, decoded: DecodedSettingsEvent): void {
    const where = { runner_id: this.settings.runnerId, subject: msg.subject, seq: msg.seq };
    if (!decoded.ok) {
      ignored.inc({ reason: decoded.reason });
      if (decoded.reason === 'undecryptable') {
        const { scope, scope_id, version } = decoded.event!;
        this.logger.error(
          { ...where, scope, scope_id, version, problem: decoded.problem },
          'could not decrypt a settings event; check that HELIX_SETTINGS_KEY matches the control plane',
        );
      } else if (decoded.reason === 'unsigned') {
        this.logger.warn(
          { ...where, reason: decoded.reason, problem: decoded.problem },
          'ignored a settings event not signed by the settings-service; check that HELIX_EVENT_VERIFY_KEY matches HELIX_EVENT_SIGNING_KEY',
        );
      } else {
        this.logger.warn({ ...where, reason: decoded.reason, problem: decoded.problem }, 'ignored an invalid settings event');
      }
      return;
    }
    const { event, update } = decoded;
    let outcome: ReturnType<TokenStore['apply']>;
    try {
      outcome = this.store.apply(update);
    } catch (err) {
      // The decoder accepts only what the store holds; a throw here is a bug, and still must not stop the sync.
      ignored.inc({ reason: 'rejected' });
      this.logger.error({ ...where, err }, 'ignored a settings event the token store rejected');
      return;
    }
    if (outcome === 'stale') {
      ignored.inc({ reason: 'stale' });
      this.logger.debug({ scope: event.scope, scope_id: event.scope_id, version: event.version }, 'ignored a settings event that is not newer');
      return;
    }
    applied.inc({ scope: event.scope });
    const updatedAt = Date.parse(event.updated_at);
    if (Number.isFinite(updatedAt)) lag.observe(Math.max(0, Date.now() - updatedAt) / 1000);
    const tokenProvided = update.token !== null;
    if (event.scope === 'global') globalVersion.set(event.version);
    // docs/reference/logs.md (global) and docs/reference/events.md (every scope): one line per applied version, with its scope.
    const request = msg.requestId ? { request_id: msg.requestId } : {};
    this.logger.info(
      { ...request, runner_id: this.settings.runnerId, scope: event.scope, scope_id: event.scope_id, token_provided: tokenProvided, version: event.version },
      'updated hugging face token from control plane',
    );
    const appliedSettings: AppliedSettings = { scope: event.scope, scopeId: event.scope_id, version: event.version, tokenProvided };
    for (const listener of this.appliedListeners) listener(appliedSettings);
    this.acks.enqueue({
      runner_id: this.settings.runnerId,
      scope: event.scope,
      scope_id: event.scope_id,
      version: event.version,
      hf_token_provided: tokenProvided,
    });
  }
}
