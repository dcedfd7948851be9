// The creds authenticator against nats.js's own: same JWT, nkey and nonce signature for the same file.
import { describe, expect, it } from 'vitest';
import { credsAuthenticator as natsJsCredsAuthenticator } from '@nats-io/nats-core';
import { encodeAccount, encodeUser, fmtCreds } from '@nats-io/jwt';
import { createAccount, createOperator, createUser } from '@nats-io/nkeys';
import { credsAuthenticator } from './creds-authenticator';

async function credsFile(): Promise<{ creds: Uint8Array; userPublicKey: string }> {
  const operator = createOperator();
  const account = createAccount();
  const user = createUser();
  await encodeAccount('A', account, {}, { signer: operator });
  const jwt = await encodeUser('runner-1', user, account, {});
  return { creds: fmtCreds(jwt, user), userPublicKey: user.getPublicKey() };
}

describe('credsAuthenticator', () => {
  it('answers a nonce exactly as nats.js does (JWT, the user public key, the Ed25519 signature)', async () => {
    const { creds, userPublicKey } = await credsFile();
    for (const nonce of ['e4Ws5SKq1VQ5o4r', 'another-nonce-0123456789']) {
      const ours = credsAuthenticator(creds)(nonce);
      expect(ours).toEqual(natsJsCredsAuthenticator(creds)(nonce));
      expect(ours).toMatchObject({ nkey: userPublicKey });
    }
  });

  it('refuses a file that is not a creds file, or whose seed fails its checksum', async () => {
    expect(() => credsAuthenticator(new TextEncoder().encode('not creds'))).toThrow(/unable to parse credentials/);
    const { creds } = await credsFile();
    const text = new TextDecoder().decode(creds);
    const seed = /SU[A-Z2-7]{56}/.exec(text)![0];
    const corrupted = text.replace(seed, `${seed.slice(0, 10)}${seed[10] === 'A' ? 'B' : 'A'}${seed.slice(11)}`);
    expect(() => credsAuthenticator(new TextEncoder().encode(corrupted))).toThrow();
  });
});
