import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, RetentionPolicy, StorageType, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { AUDIT_RECORDED, AUDIT_STREAM, SETTINGS_ACKS_STREAM, SETTINGS_APPLIED_ALL, SETTINGS_STREAM, SETTINGS_UPDATED_ALL } from '@helix/contracts';
import { isStreamNameInUse, isStreamNotFound } from './errors';

const MINUTE_NS = 60 * 1_000_000_000;

/** SETTINGS keeps the last event per subject: the stream itself is the current state that runners replay. */
export const settingsStreamConfig: Partial<StreamConfig> & { name: string } = {
  name: SETTINGS_STREAM,
  subjects: [SETTINGS_UPDATED_ALL],
  max_msgs_per_subject: 1,
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  // The outbox publishes with a Nats-Msg-Id per version, so a retried publish is stored once.
  duplicate_window: 10 * MINUTE_NS,
};

/** Runner acks wait here while no settings-service is running; removed once recorded. */
export const settingsAcksStreamConfig: Partial<StreamConfig> & { name: string } = {
  name: SETTINGS_ACKS_STREAM,
  subjects: [SETTINGS_APPLIED_ALL],
  storage: StorageType.File,
  retention: RetentionPolicy.Workqueue,
  max_age: 24 * 60 * MINUTE_NS,
};

/**
 * Audit events wait here until the gateway recorded them in `gateway.audit_log` (a work queue: the
 * table, not the stream, is the log). Producers publish with the event id as Nats-Msg-Id, so a
 * retried publish is stored once.
 */
export const auditStreamConfig: Partial<StreamConfig> & { name: string } = {
  name: AUDIT_STREAM,
  subjects: [AUDIT_RECORDED],
  storage: StorageType.File,
  retention: RetentionPolicy.Workqueue,
  max_age: 7 * 24 * 60 * MINUTE_NS,
  duplicate_window: 10 * MINUTE_NS,
};

/**
 * Creates or updates a stream. Only the stream's owner calls this (it needs JetStream admin
 * rights); readers use `waitForStream`.
 */
export async function ensureStream(nc: NatsConnection, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (addErr) {
      if (!isStreamNameInUse(addErr)) throw addErr; // another replica created it between our info and add
    }
  }
}

/** The settings-service owns both settings streams; nobody else creates or changes them. */
export async function ensureSettingsStreams(nc: NatsConnection): Promise<void> {
  await ensureStream(nc, settingsStreamConfig);
  await ensureStream(nc, settingsAcksStreamConfig);
}

/** The gateway owns the AUDIT stream (it owns the audit log); services only publish to it. */
export async function ensureAuditStream(nc: NatsConnection): Promise<void> {
  await ensureStream(nc, auditStreamConfig);
}

export interface WaitForStreamOptions {
  /** Stops waiting (rejects) once aborted, e.g. on shutdown. */
  signal?: AbortSignal;
  pollMs?: number;
  /** Called once when the stream is not there on the first look. */
  onMissing?: () => void;
}

/**
 * Resolves with the stream's info once it exists. Read-only: it never creates or updates the
 * stream, so a reader needs no JetStream admin rights and cannot rewrite the owner's config.
 */
export async function waitForStream(nc: NatsConnection, name: string, options: WaitForStreamOptions = {}): Promise<StreamInfo> {
  const jsm = await jetstreamManager(nc);
  let reported = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await jsm.streams.info(name);
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
      if (!reported) options.onMissing?.();
      reported = true;
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}
