import { ClientNats, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, Observable, of, throwError } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PinoLogger } from 'nestjs-pino';
import { startNats, type NatsProcess } from '@helix/testing';
import { ApiError } from '../http/errors';
import { isNotSent } from './not-sent';
import { ServiceClient } from './service-client';

/**
 * isNotSent recognises two failures by what Nest's NATS client produces. Both are produced here by
 * a real ClientNats against a real nats-server, so a Nest upgrade that changes them turns this red
 * instead of turning held requests into 503s.
 */
describe('isNotSent, against what a real Nest NATS client rejects with', () => {
  let nats: NatsProcess;
  let client: ClientNats;
  const rejection = (pattern: string) =>
    firstValueFrom(client.send(pattern, {})).then(
      () => 'answered' as unknown,
      (err: unknown) => err,
    );

  beforeAll(async () => {
    nats = await startNats();
    client = new ClientNats({ servers: [nats.url], maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await nats?.dispose();
  });

  it('pins both failures in which nothing was sent, and nothing else', async () => {
    // 1. No service subscribed yet (after an outage): NATS answers "no responders".
    const noResponders = await rejection('nobody.listens.here');
    expect(String((noResponders as Error).message)).toMatch(/no subscribers listening/);
    expect(isNotSent(noResponders)).toBe(true);

    // 2. The connection dropped: the client refuses to publish while it reconnects.
    const disconnected = new Promise<void>((resolve) => client.on('disconnect', () => resolve()));
    await nats.stop();
    await disconnected;
    const connectionLost = await rejection('any.pattern');
    expect(connectionLost).toEqual(expect.stringContaining('Connection lost'));
    expect(isNotSent(connectionLost)).toBe(true);

    // A request that may have reached a service is not "not sent".
    for (const other of [new Error('Connection closed'), new Error('TIMEOUT'), 'some other failure', { error: 'conflict', message: 'x' }, undefined]) {
      expect(isNotSent(other)).toBe(false);
    }
  });
});

/** A ClientProxy fake that answers each send() with the next outcome and counts the sends. */
function fakeClient(outcomes: Array<() => Observable<unknown>>) {
  let sends = 0;
  const client = { send: () => outcomes[Math.min(sends++, outcomes.length - 1)](), close: async () => undefined } as unknown as ClientProxy;
  return { client, sends: () => sends };
}

const warnings: unknown[] = [];
const logger = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as PinoLogger;

describe('ServiceClient.request', () => {
  it('holds a request the client could not send, and sends it once the connection is back', async () => {
    const { client, sends } = fakeClient([() => throwError(() => 'Error: Connection lost. Trying to reconnect...'), () => of({ ok: true })]);
    await expect(new ServiceClient(client, logger).request('settings.get', {}, 'settings-service')).resolves.toEqual({ ok: true });
    expect(sends()).toBe(2);
  });

  it("relays a service's docs/reference/rest.md error with its code", async () => {
    const { client } = fakeClient([() => throwError(() => ({ error: 'conflict', message: 'A model with this id already exists.' }))]);
    const err = await new ServiceClient(client, logger).request('models.create', {}, 'models-service').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).getStatus()).toBe(409);
    expect((err as ApiError).body).toEqual({ error: 'conflict', message: 'A model with this id already exists.' });
  });

  it('turns any other failure into a 503 and logs it, without retrying (the service may have got it)', async () => {
    const { client, sends } = fakeClient([() => throwError(() => new Error('Connection closed'))]);
    const err = await new ServiceClient(client, logger).request('settings.get', {}, 'settings-service').catch((e: unknown) => e);
    expect((err as ApiError).body).toEqual({ error: 'unavailable', message: 'The settings-service is unavailable; try again shortly.' });
    expect(sends()).toBe(1);
    // The Error itself is logged, so its stack reaches the log line.
    const [fields] = warnings.at(-1) as [{ err: Error }];
    expect(fields.err).toBeInstanceOf(Error);
    expect(fields.err.message).toBe('Connection closed');
  });

  it('gives up at the deadline, whether the request was held or unanswered', async () => {
    const held = fakeClient([() => throwError(() => 'Error: Connection lost. Trying to reconnect...')]);
    const err = await new ServiceClient(held.client, logger).request('settings.get', {}, 'settings-service', 300).catch((e: unknown) => e);
    expect((err as ApiError).body.message).toBe('The settings-service did not answer in time; try again shortly.');
    expect(held.sends()).toBeGreaterThan(1);

    const silent = fakeClient([() => new Observable(() => undefined)]);
    const late = await new ServiceClient(silent.client, logger).request('settings.get', {}, 'settings-service', 100).catch((e: unknown) => e);
    expect((late as ApiError).body).toEqual({ error: 'unavailable', message: 'The settings-service did not answer in time; try again shortly.' });
  });
});
