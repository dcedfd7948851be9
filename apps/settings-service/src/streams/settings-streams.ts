import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { parseSettingsUpdatedEvent, SETTINGS_SIGNATURE_HEADER, SETTINGS_STREAM, SETTINGS_UPDATED_ALL } from '@helix/contracts';
import { EventVerifier } from '@helix/secrets';
import { ensureSettingsStreams, InjectNats, isStreamNotFound } from '@helix/nats';
import { SETTINGS_CONFIG, type SettingsServiceConfig } from '../config';

/** What the SETTINGS stream holds as the last message of one subject. */
/** `kid`: the id of the HELIX_SETTINGS_KEY that sealed the event's token (null for a clear). */
export type StreamHead = { kind: 'empty' } | { kind: 'invalid' } | { kind: 'event'; version: number; kid: string | null };

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
    const jsm = await jetstreamManager(this.nc);
    try {
      return (await jsm.streams.info(SETTINGS_STREAM)).state.last_seq;
    } catch (err) {
      if (isStreamNotFound(err)) return null;
      throw err;
    }
  }

  /** The last message stored for `subject`. Failures to read (timeouts, no JetStream) are thrown, never taken for "empty". */
  async head(subject: string): Promise<StreamHead> {
    const jsm = await jetstreamManager(this.nc);
    const stored = await jsm.streams.getMessage(SETTINGS_STREAM, { last_by_subj: subject }); // null: no message
    if (stored === null) return { kind: 'empty' };
    return this.headOf(subject, stored.data, stored.header?.get(SETTINGS_SIGNATURE_HEADER));
  }

  /**
   * The last message of every subject, read in one pass as a joining runner replays (an ordered
   * consumer, last per subject): 100,000 scopes cost one stream read, not 100,000 requests. A
   * subject missing from the map has no message. A stream that stops answering is thrown.
   */
  async heads(idleMs = 5_000): Promise<Map<string, StreamHead>> {
    const heads = new Map<string, StreamHead>();
    const jsm = await jetstreamManager(this.nc);
    if ((await jsm.streams.info(SETTINGS_STREAM)).state.messages === 0) return heads;
    const consumer = await jetstream(this.nc).consumers.get(SETTINGS_STREAM, {
      filter_subjects: SETTINGS_UPDATED_ALL,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const messages = await consumer.consume({ max_messages: 1_000 });
    let idle: NodeJS.Timeout | undefined;
    const stall = () => {
      clearTimeout(idle);
      idle = setTimeout(() => void messages.close(), idleMs);
    };
    let complete = false;
    try {
      stall();
      for await (const m of messages as AsyncIterable<JsMsg>) {
        stall();
        heads.set(m.subject, this.headOf(m.subject, m.data, m.headers?.get(SETTINGS_SIGNATURE_HEADER)));
        if (m.info.pending === 0) {
          complete = true;
          break;
        }
      }
    } finally {
      clearTimeout(idle);
      void messages.close(); // an ordered consumer's close may wait on a pull that never completes
    }
    if (!complete) throw new Error(`the SETTINGS stream stopped answering after ${heads.size} subjects`);
    return heads;
  }

  private headOf(subject: string, data: Uint8Array, signature: string | undefined): StreamHead {
    // A message this service did not sign (someone else published there) is not the state: runners ignore it.
    if (!this.verifier.verify(subject, data, signature || undefined)) return { kind: 'invalid' };
    const parsed = parseSettingsUpdatedEvent(data);
    if (!parsed.ok) return { kind: 'invalid' };
    return { kind: 'event', version: parsed.value.version, kid: parsed.value.huggingface_token?.kid ?? null };
  }
}
