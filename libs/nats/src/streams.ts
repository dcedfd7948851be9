import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { SETTINGS_ACKS_STREAM, SETTINGS_APPLIED, SETTINGS_STREAM, SETTINGS_UPDATED_ALL } from '@helix/contracts';

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
  subjects: [SETTINGS_APPLIED],
  storage: StorageType.File,
  retention: RetentionPolicy.Workqueue,
  max_age: 24 * 60 * MINUTE_NS,
};

/** Creates or updates a stream so that every replica and runner can call this at start-up. */
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
      // Another replica created it between our info and add.
      if (!/already in use|exists/i.test(String((addErr as Error).message))) throw addErr;
    }
  }
}

export async function ensureSettingsStreams(nc: NatsConnection): Promise<void> {
  await ensureStream(nc, settingsStreamConfig);
  await ensureStream(nc, settingsAcksStreamConfig);
}

function isStreamNotFound(err: unknown): boolean {
  const e = err as { code?: string | number; message?: string; api_error?: { err_code?: number } };
  return e?.api_error?.err_code === 10059 || /stream not found/i.test(String(e?.message));
}
