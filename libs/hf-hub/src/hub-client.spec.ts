import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '@helix/secrets';
import { freePort, repoRoot } from '@helix/testing';
import { HubClient } from './hub-client';

const ALICE = 'hf_hubClientAlice0001'; // granted gated/*
const BOB = 'hf_hubClientBob00001'; // valid, no grant

/** bin/hf-hub-sim in the real Hub's manner (HF_SIM_CARDS=1): cards are public, access is /auth-check's answer. */
describe('HubClient against a Hub whose model cards are public (as huggingface.co)', () => {
  let hub: ChildProcess;
  let client: HubClient;

  beforeAll(async () => {
    const port = await freePort();
    hub = spawn(process.execPath, [join(repoRoot(), 'bin/hf-hub-sim'), '--port', String(port)], {
      env: {
        PATH: process.env.PATH ?? '',
        HF_SIM_CARDS: '1',
        HF_SIM_TOKENS: `${ALICE}:alice:read,${BOB}:bob:read`,
        HF_SIM_GATED: 'gated/*',
        HF_SIM_GRANTS: `${ALICE}=gated/*`,
        HF_SIM_MODELS: 'gated/*,public/*',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => hub.stdout!.on('data', (c: Buffer) => c.toString().includes('listening on') && resolve()));
    client = new HubClient(`http://127.0.0.1:${port}/`);
  });

  afterAll(() => {
    hub?.kill('SIGTERM');
  });

  it('asks auth-check for a gated repository: granted only with a token that has the grant', async () => {
    expect(await client.modelAccess('gated/llama', Secret.of(ALICE))).toEqual({ access: 'granted', httpStatus: 200 });
    expect(await client.modelAccess('gated/llama', Secret.of(BOB))).toEqual({ access: 'denied', httpStatus: 403 });
    expect(await client.modelAccess('gated/llama', null)).toEqual({ access: 'denied', httpStatus: 401 });
  });

  it('a public repository is granted from its card alone; an unknown one is not_found', async () => {
    expect(await client.modelAccess('public/open', null)).toEqual({ access: 'granted', httpStatus: 200 });
    expect(await client.modelAccess('nowhere/ghost', Secret.of(ALICE))).toEqual({ access: 'not_found', httpStatus: 404 });
  });

  it('whoami: valid with account and role, invalid for an unknown token', async () => {
    expect(await client.whoami(Secret.of(ALICE))).toEqual({ status: 'valid', owner: 'alice', role: 'read', httpStatus: 200 });
    expect(await client.whoami(Secret.of('hf_unknownToken000001'))).toEqual({ status: 'invalid', owner: null, role: null, httpStatus: 401 });
  });
});
