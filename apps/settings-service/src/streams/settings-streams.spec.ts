import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
    const good = signed(data);
    await jetstream(nc).publish(subject, data, good);
    const verifier = EventVerifier.fromBase64(keys.verifyKey);
    expect(await streams.head(subject)).toEqual({
      kind: 'event',
      version: 7,
      kid: null, // a clear names no key
      digest: verifier.digest(subject, data, good.headers.get(SETTINGS_SIGNATURE_HEADER)),
    });
  });

  it('does not verify a head whose digest is the verified one it is given, and verifies any other head', async () => {
    const verifier = EventVerifier.fromBase64(keys.verifyKey);
    const checking = new SettingsStreams(nc, verifier);
    const verify = vi.spyOn(verifier, 'verify');
    const own = settingsSubject('model', 'org/digest');
    const data = new TextEncoder().encode(
      JSON.stringify({
        type: 'settings.updated',
        schema: 1,
        scope: 'model',
        scope_id: 'org/digest',
        version: 3,
        huggingface_token: null,
        fingerprint: null,
        updated_at: 'x',
        updated_by: null,
      }),
    );
    const h = headers();
    h.set(SETTINGS_SIGNATURE_HEADER, signer.sign(own, data));
    await jetstream(nc).publish(own, data, { headers: h });
    const first = await checking.head(own);
    expect(first).toMatchObject({ kind: 'event', version: 3 });
    expect(verify).toHaveBeenCalledTimes(1);
    const { digest } = first as { digest: Buffer };
    expect(await checking.head(own, digest)).toEqual(first);
    expect(verify).toHaveBeenCalledTimes(1); // the same message: not verified again
    expect(await checking.head(own, Buffer.alloc(32))).toEqual(first);
    expect(verify).toHaveBeenCalledTimes(2); // another digest: verified

    // Someone else publishes the same bytes with a signature of their own: a new head, verified, refused.
    const forged = headers();
    forged.set(SETTINGS_SIGNATURE_HEADER, EventSigner.fromBase64(generateEventKeyPair().signingKey).sign(own, data));
    await jetstream(nc).publish(own, data, { headers: forged });
    expect(await checking.head(own, digest)).toEqual({ kind: 'invalid' });
    expect(verify).toHaveBeenCalledTimes(3);
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
