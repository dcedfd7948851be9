import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { parseSettingsUpdatedEvent, SETTINGS_SIGNATURE_HEADER, SETTINGS_STREAM } from '@helix/contracts';
import { EventVerifier } from '@helix/secrets';
import { ensureSettingsStreams, InjectNats, isStreamNotFound } from '@helix/nats';
import { SETTINGS_CONFIG, type SettingsServiceConfig } from '../config';

/**
 * What the SETTINGS stream holds as the last message of one subject. `kid`: the id of the
 * HELIX_SETTINGS_KEY that sealed the event's token (null for a clear); `digest`: the message's
 * EventVerifier.digest, to keep as verified.
 */
export type StreamHead = { kind: 'empty' } | { kind: 'invalid' } | { kind: 'event'; version: number; kid: string | null; digest: Buffer };

/**
 * The settings-service owns the SETTINGS and SETTINGS_ACKS streams: it is the only process that
 * creates them or changes their configuration (runners only read).
 */
@Injectable()
export class SettingsStreams implements OnModuleInit {
  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly verifier: EventVerifier,
    @Optional() @Inject(SETTINGS_CONFIG) private readonly config?: Pick<SettingsServiceConfig, 'HELIX_NATS_STREAM_REPLICAS'>,
  ) {}

  /**
   * Made once, without the account check `jetstreamManager` otherwise sends each time: a comparison
   * of the stream with the database reads one head per scope.
   */
  private jsm?: Promise<JetStreamManager>;
  private manager(): Promise<JetStreamManager> {
    return (this.jsm ??= jetstreamManager(this.nc, { checkAPI: false }));
  }

  /** Before any consumer or publisher starts. */
  async onModuleInit(): Promise<void> {
    await this.ensure();
  }

  /** Creates missing streams (NATS may have come back without its store) and applies our config, replicas included. */
  ensure(): Promise<void> {
    return ensureSettingsStreams(this.nc, { replicas: this.config?.HELIX_NATS_STREAM_REPLICAS ?? 1 });
  }

  /**
   * The sequence of the stream's last message (0: never written), or null when the stream does not
   * exist. With one message kept per subject, a runner that processed the stream up to it holds the
   * current event of every subject. Other failures to read are thrown.
   */
  async lastSeq(): Promise<number | null> {
    const jsm = await this.manager();
    try {
      return (await jsm.streams.info(SETTINGS_STREAM)).state.last_seq;
    } catch (err) {
      if (isStreamNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * The last message stored for `subject`. Its signature is checked unless its digest is `verified`
   * (the digest of a message found valid before: the same bytes under the same key). Failures to
   * read (timeouts, no JetStream) are thrown, never taken for "empty".
   */
  async head(subject: string, verified?: Uint8Array): Promise<StreamHead> {
    const jsm = await this.manager();
    const stored = await jsm.streams.getMessage(SETTINGS_STREAM, { last_by_subj: subject }); // null: no message
    if (stored === null) return { kind: 'empty' };
    const signature = stored.header?.get(SETTINGS_SIGNATURE_HEADER) || undefined;
    const digest = this.verifier.digest(subject, stored.data, signature);
    // A message this service did not sign (someone else published there) is not the state: runners ignore it.
    if (!(verified && digest.equals(verified)) && !this.verifier.verify(subject, stored.data, signature)) return { kind: 'invalid' };
    const parsed = parseSettingsUpdatedEvent(stored.data);
    if (!parsed.ok) return { kind: 'invalid' };
    return { kind: 'event', version: parsed.value.version, kid: parsed.value.huggingface_token?.kid ?? null, digest };
  }
}
