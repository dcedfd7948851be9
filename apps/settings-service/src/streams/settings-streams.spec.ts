import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { SETTINGS_SIGNATURE_HEADER, SETTINGS_STREAM, settingsSubject } from '@helix/contracts';
import { EventSigner, EventVerifier, generateEventKeyPair } from '@helix/secrets';
import { startNats, type NatsProcess } from '@helix/testing';
import { SettingsStreams } from './settings-streams';

/** Against a real nats-server: what the stream holds, and what it means when it cannot say. */
describe('SettingsStreams.head and lastSeq', () => {
  let nats: NatsProcess;
  let nc: NatsConnection;
  let streams: SettingsStreams;
  const subject = settingsSubject('org', 'acme');
  const keys = generateEventKeyPair();
  const signer = EventSigner.fromBase64(keys.signingKey);
  const signed = (data: Uint8Array, by = signer) => {
    const h = headers();
    h.set(SETTINGS_SIGNATURE_HEADER, by.sign(subject, data));
    return { headers: h };
  };

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    streams = new SettingsStreams(nc, EventVerifier.fromBase64(keys.verifyKey));
    await streams.ensure();
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it('is empty for a subject never published, invalid for garbage or an event this service did not sign, the version for a signed event', async () => {
    expect(await streams.head(subject)).toEqual({ kind: 'empty' });
    await jetstream(nc).publish(subject, Uint8Array.from([0xff, 0x00]));
    expect(await streams.head(subject)).toEqual({ kind: 'invalid' });
    const event = {
      type: 'settings.updated',
      schema: 1,
      scope: 'org',
      scope_id: 'acme',
      version: 7,
      huggingface_token: null,
      fingerprint: null,
      updated_at: 'x',
      updated_by: null,
    };
    const data = new TextEncoder().encode(JSON.stringify(event));
    await jetstream(nc).publish(subject, data);
    expect(await streams.head(subject)).toEqual({ kind: 'invalid' });
    await jetstream(nc).publish(subject, data, signed(data, EventSigner.fromBase64(generateEventKeyPair().signingKey)));
    expect(await streams.head(subject)).toEqual({ kind: 'invalid' });
    await jetstream(nc).publish(subject, data, signed(data));
    expect(await streams.head(subject)).toEqual({ kind: 'event', version: 7, kid: null }); // a clear names no key
  });

  it("lastSeq is the sequence of the stream's last message, and null once the stream is gone", async () => {
    const ack = await jetstream(nc).publish(settingsSubject('user', 'u1'), Uint8Array.from([0x00]));
    expect(await streams.lastSeq()).toBe(ack.seq);
    await (await jetstreamManager(nc)).streams.delete(SETTINGS_STREAM);
    try {
      expect(await streams.lastSeq()).toBeNull();
    } finally {
      await streams.ensure();
    }
    expect(await streams.lastSeq()).toBe(0);
  });

  it('throws when JetStream does not answer, instead of reporting an empty stream', async () => {
    await nats.stop();
    try {
      await expect(streams.head(subject)).rejects.toThrow();
    } finally {
      await nats.start();
    }
  });
});
