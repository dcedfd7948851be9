import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dumpPostgres, freePort, repoRoot, scanForSecrets, startStack, type Stack } from '@helix/testing';

/**
 * docs/reference/hub.md against bin/hf-hub-sim: every token set is checked with the Hub's whoami (valid,
 * invalid, unverified) in warn and strict modes, for the global and scoped tokens, and
 * GET /api/v1/models/{id}/access asks the Hub with the model's effective token. The simulator's
 * access log shows the token only ever arrived as a header.
 */
const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const stamp = Date.now().toString(36);
const T = {
  alice: `hf_hubAlice${stamp}`, // valid, granted gated/*
  bob: `hf_hubBob${stamp}`, // valid, no grant
  wrong: `hf_hubWrong${stamp}`, // unknown to the Hub
};
const ALL_TOKENS = Object.values(T);
const dir = mkdtempSync(join(tmpdir(), 'helix-hub-'));
const ACCESS_LOG = join(dir, 'access.log');

/** One bin/hf-hub-sim process on `port`; `extra` adds HF_SIM_* knobs. */
async function startHub(port: number, extra: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(repoRoot(), 'bin/hf-hub-sim'), '--port', String(port)], {
    env: {
      PATH: process.env.PATH ?? '',
      HF_SIM_TOKENS: `${T.alice}:alice:read,${T.bob}:bob:write`,
      HF_SIM_GATED: 'gated/*',
      HF_SIM_GRANTS: `${T.alice}=gated/*`,
      HF_SIM_MODELS: 'gated/*,public/*',
      HF_SIM_ACCESS_LOG: ACCESS_LOG,
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes(`listening on http://127.0.0.1:${port}`) && resolve());
    child.once('exit', (code) => reject(new Error(`hf-hub-sim exited with ${code}`)));
  });
  return child;
}
const stopHub = (child: ChildProcess | undefined) =>
  new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const model = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  type: 'chat',
  runtime: 'vllm',
  memory: '1GB',
  context_length: 2048,
  ...extra,
});
const settingsLogs = (stack: Stack) => stack.settings.flatMap((s) => s.json());

describe('Hugging Face Hub validation, warn mode (the default)', () => {
  let stack: Stack;
  let hub: ChildProcess | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    hub = await startHub(port);
    stack = await startStack({ env: { HELIX_HF_ENDPOINT: `http://127.0.0.1:${port}` }, runners: [{ id: 'hub-1' }] });
  });

  afterAll(async () => {
    await stopHub(hub);
    await stack?.stop();
  });

  it('a public repo without any token: access granted, asked without a token', async () => {
    expect((await stack.api('POST', '/api/v1/models', model('public/open-model'))).status).toBe(201);
    const res = await stack.api('GET', '/api/v1/models/public/open-model/access');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ model_id: 'public/open-model', scope: null, fingerprint: null, access: 'granted', hub_status: 200 });
  });

  it('a valid global token is stored as valid with its account and role, in the view and the audit entry', async () => {
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: T.alice });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ huggingface_token_status: 'valid', huggingface_token_owner: 'alice', huggingface_token_role: 'read', version: 1 });
    expect((await stack.api('GET', '/api/v1/system/settings')).body).toMatchObject({ huggingface_token_status: 'valid', huggingface_token_owner: 'alice' });
    await vi.waitFor(async () => {
      const items = (await stack.api('GET', '/api/v1/audit?action=token.set&target=global')).body.items;
      expect(items[0]?.details).toMatchObject({ hub_status: 'valid', hub_owner: 'alice', hub_role: 'read', new_fingerprint: fp(T.alice) });
    });
  });

  it('warn: an invalid org token is stored and published anyway; the view says invalid and a warning names the scope', async () => {
    expect((await stack.api('POST', '/api/v1/orgs', { id: 'hubco', name: 'Hub Co' })).status).toBe(201);
    const put = await stack.api('PUT', '/api/v1/orgs/hubco/settings', { huggingface_token: T.wrong });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ huggingface_token_status: 'invalid', huggingface_token_owner: null, huggingface_token_role: null, version: 1 });
    await stack.runners.get('hub-1')!.waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.scope === 'org' && l.version === 1);
    const warning = settingsLogs(stack).find((l) => l.msg === 'hugging face rejected the token');
    expect(warning).toMatchObject({ scope: 'org', scope_id: 'hubco', fingerprint: fp(T.wrong), status: 401 });
  });

  it('access: a gated repo with the granted global token is granted; a model token without the grant overrides it and is denied', async () => {
    expect((await stack.api('POST', '/api/v1/models', model('gated/llama'))).status).toBe(201);
    expect((await stack.api('GET', '/api/v1/models/gated/llama/access')).body).toEqual({
      model_id: 'gated/llama',
      scope: 'global',
      fingerprint: fp(T.alice),
      access: 'granted',
      hub_status: 200,
    });
    const put = await stack.api('PUT', '/api/v1/models/gated/llama/settings', { huggingface_token: T.bob });
    expect(put.body).toMatchObject({ huggingface_token_status: 'valid', huggingface_token_owner: 'bob', huggingface_token_role: 'write' });
    expect((await stack.api('GET', '/api/v1/models/gated%2Fllama/access')).body).toEqual({
      model_id: 'gated/llama',
      scope: 'model',
      fingerprint: fp(T.bob),
      access: 'denied',
      hub_status: 403,
    });
  });

  it('helix model access prints the verdict with advice, and --json the view', async () => {
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [join(repoRoot(), 'bin/helix'), ...args], {
          env: { PATH: process.env.PATH ?? '', HELIX_URL: stack.url, HELIX_API_KEY: stack.adminKey },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.once('exit', (code) => resolve({ code, stdout }));
      });
    const text = await run('model', 'access', 'gated/llama');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Access:\s+denied: Hugging Face refuses this token for the repository/);
    expect(text.stdout).toContain(`model (${fp(T.bob)})`);
    const json = await run('model', 'access', 'gated/llama', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ model_id: 'gated/llama', access: 'denied', hub_status: 403 });
  });

  it('access: a repository the Hub does not have is not_found', async () => {
    expect((await stack.api('POST', '/api/v1/models', model('nowhere/ghost'))).status).toBe(201);
    expect((await stack.api('GET', '/api/v1/models/nowhere/ghost/access')).body).toMatchObject({ access: 'not_found', hub_status: 404 });
  });

  it('a Hub that never answers: the PUT still returns in about 5 s, unverified, and applies', async () => {
    await stopHub(hub);
    hub = await startHub(port, { HF_SIM_DELAY_MS: 'never' });
    const started = Date.now();
    const put = await stack.api('PUT', '/api/v1/users/me/settings', { huggingface_token: T.bob });
    const took = Date.now() - started;
    console.log(`[hf-hub] PUT against a Hub that never answers took ${took} ms`);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ huggingface_token_status: 'unverified', huggingface_token_owner: null, version: 1 });
    expect(took).toBeLessThan(8_000); // sanity bound: the client gives up after 5 s
  });

  it('a Hub that is down: unverified at once, and access unknown', async () => {
    await stopHub(hub);
    hub = undefined;
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: T.alice });
    expect(put.body).toMatchObject({ huggingface_token_status: 'unverified', version: 2 });
    expect((await stack.api('GET', '/api/v1/models/public/open-model/access')).body).toMatchObject({ access: 'unknown', hub_status: null, scope: 'global' });
  });

  it('the Hub saw every token only as a header: no token in any path of its access log', () => {
    const lines = readFileSync(ACCESS_LOG, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { method: string; path: string; authorization: boolean });
    expect(lines.filter((l) => l.path === '/api/whoami-v2' && l.authorization).length).toBeGreaterThanOrEqual(4);
    for (const l of lines) for (const token of ALL_TOKENS) expect(l.path).not.toContain(token);
  });

  it('counts validations by outcome and times Hub requests', async () => {
    const metrics = await (await fetch(`${stack.settingsHealth[0]}/metrics`)).text();
    for (const outcome of ['valid', 'invalid', 'unverified']) expect(metrics).toMatch(new RegExp(`helix_hf_validations_total\\{outcome="${outcome}"\\} [1-9]`));
    expect(metrics).toMatch(/helix_hf_hub_request_seconds_count\{endpoint="whoami"\} [1-9]/);
    expect(metrics).toMatch(/helix_hf_hub_request_seconds_count\{endpoint="model"\} [1-9]/);
  });

  it('no token appears in any log, response, Postgres row, NATS store file or the Hub access log', async () => {
    const findings = await scanForSecrets(ALL_TOKENS, {
      texts: [...stack.texts(), { label: 'postgres rows', text: await dumpPostgres(stack.pg.url) }],
      dirs: [stack.nats.storeDir, stack.pg.dataDir, ACCESS_LOG],
    });
    expect(findings).toEqual([]);
  });
});

describe('Hugging Face Hub validation, strict mode', () => {
  let stack: Stack;
  let hub: ChildProcess | undefined;

  beforeAll(async () => {
    const port = await freePort();
    hub = await startHub(port);
    stack = await startStack({ env: { HELIX_HF_ENDPOINT: `http://127.0.0.1:${port}`, HELIX_HF_VALIDATION: 'strict' }, runners: [{ id: 'strict-1' }] });
  });

  afterAll(async () => {
    await stopHub(hub);
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a token the Hub rejects with 400 invalid_token and changes nothing; the refusal is audited', async () => {
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: T.alice })).status).toBe(200);
    await stack.runners.get('strict-1')!.waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.version === 1);
    const before = (await stack.api('GET', '/api/v1/system/settings')).body;

    const refused = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: T.wrong });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_token', message: 'Hugging Face rejected this token (401)' }); // docs/reference/hub.md's text exactly
    expect((await stack.api('GET', '/api/v1/system/settings')).body).toEqual(before);
    expect((await stack.api('POST', '/api/v1/orgs', { id: 'strictco', name: 'Strict Co' })).status).toBe(201);
    expect((await stack.api('PUT', '/api/v1/orgs/strictco/settings', { huggingface_token: T.wrong })).status).toBe(400);
    expect((await stack.api('GET', '/api/v1/orgs/strictco/settings')).body).toMatchObject({ huggingface_token_set: false, version: 0 });

    await vi.waitFor(async () => {
      const items = (await stack.api('GET', '/api/v1/audit?action=token.refused')).body.items as Array<{ target: string; details: Record<string, unknown> }>;
      expect(items.map((i) => [i.target, i.details.fingerprint, i.details.hub_status]).sort()).toEqual([
        ['global', fp(T.wrong), 401],
        ['org:strictco', fp(T.wrong), 401],
      ]);
    });
    await vi.waitFor(async () => {
      const runners = (await stack.api('GET', '/api/v1/runners')).body;
      expect(runners.map((r: { settings_version: number; in_sync: boolean }) => [r.settings_version, r.in_sync])).toEqual([[1, true]]);
    });
    expect(
      stack.runners
        .get('strict-1')!
        .json()
        .filter((l) => l.msg === 'updated hugging face token from control plane'),
    ).toHaveLength(1);
  });

  it('strict never refuses an unverified token (the Hub is down)', async () => {
    await stopHub(hub);
    hub = undefined;
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: T.wrong });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ huggingface_token_status: 'unverified', version: 2 });
  });
});
