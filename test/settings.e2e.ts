import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpPostgres, scanForSecrets, eventually, startStack, type Stack } from '@helix/testing';

const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const TOKEN_A = `hf_e2eAlpha${Date.now()}xyz`;
const TOKEN_B = `hf_e2eBravo${Date.now()}xyz`;
const TOKEN_C = `hf_e2eCharlie${Date.now()}xyz`;

const logLine =
  (msg: string, fields: Record<string, unknown> = {}) =>
  (l: any) =>
    l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v);

describe('global Hugging Face token, end to end', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'gpu-1' }, { id: 'gpu-2' }] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('starts with no token configured (version 0)', async () => {
    const res = await stack.api('GET', '/api/v1/system/settings');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'system',
      huggingface_token_set: false,
      huggingface_token_source: 'none',
      huggingface_token_fingerprint: null,
      version: 0,
    });
    expect(Date.parse(res.body.created)).not.toBeNaN();
  });

  it('seed step 1: set, read back masked, and both runners apply and acknowledge it', async () => {
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_A });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      huggingface_token_set: true,
      huggingface_token_source: 'database',
      huggingface_token_fingerprint: fp(TOKEN_A),
      version: 1,
    });
    expect(put.text).not.toContain(TOKEN_A);

    const get = await stack.api('GET', '/api/v1/system/settings');
    expect(get.body).toMatchObject({ huggingface_token_set: true, huggingface_token_fingerprint: fp(TOKEN_A), version: 1 });

    const [settings] = stack.settings;
    const admin = (await stack.api('GET', '/api/v1/users/me')).body;
    await settings.waitFor(logLine('system settings updated by admin', { user_id: admin.id, hf_token_updated: true, version: 1 }));
    await settings.waitFor(logLine('initiated system settings sync to all runners', { version: 1 }));
    for (const id of ['gpu-1', 'gpu-2']) {
      await stack.runners.get(id)!.waitFor(logLine('updated hugging face token from control plane', { runner_id: id, token_provided: true, version: 1 }));
      await settings.waitFor(logLine('successfully synced system settings to runner', { runner_id: id, hf_token_sent: true, version: 1 }));
    }
    const runners = await eventually(
      async () => {
        const res = await stack.api('GET', '/api/v1/runners');
        return res.body.length === 2 && res.body.every((r: any) => r.in_sync && r.settings_version === 1 && r.hf_token_provided) && res.body;
      },
      20_000,
      'both runners in sync at version 1',
    );
    expect(runners.map((r: any) => r.id).sort()).toEqual(['gpu-1', 'gpu-2']);
    expect(runners[0]).toMatchObject({ state: 'online', memory_total: 80_000_000_000, hf_token_provided: true });
  });

  it('a rotation reaches running runners with the next version', async () => {
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_B });
    expect(put.body).toMatchObject({ huggingface_token_fingerprint: fp(TOKEN_B), version: 2 });
    for (const id of ['gpu-1', 'gpu-2']) {
      await stack.runners.get(id)!.waitFor(logLine('updated hugging face token from control plane', { token_provided: true, version: 2 }));
    }
  });

  it('a body without the field changes nothing', async () => {
    const put = await stack.api('PUT', '/api/v1/system/settings', {});
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ huggingface_token_fingerprint: fp(TOKEN_B), version: 2 });
  });

  it('a clear ("" or null) reaches running runners, which drop the token', async () => {
    const cleared = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: '' });
    expect(cleared.body).toMatchObject({ huggingface_token_set: false, huggingface_token_source: 'none', huggingface_token_fingerprint: null, version: 3 });
    for (const id of ['gpu-1', 'gpu-2']) {
      await stack.runners.get(id)!.waitFor(logLine('updated hugging face token from control plane', { token_provided: false, version: 3 }));
    }
    await stack.settings[0].waitFor(logLine('successfully synced system settings to runner', { runner_id: 'gpu-1', hf_token_sent: false, version: 3 }));
    const viaNull = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: null });
    expect(viaNull.body).toMatchObject({ huggingface_token_set: false, version: 4 });
    await stack.runners.get('gpu-2')!.waitFor(logLine('updated hugging face token from control plane', { token_provided: false, version: 4 }));
  });

  it('a runner that joins later replays the current token without a new update', async () => {
    const put = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_C });
    expect(put.body.version).toBe(5);
    await stack.runners.get('gpu-1')!.waitFor(logLine('updated hugging face token from control plane', { version: 5 }));
    const late = await stack.startRunner({ id: 'gpu-late' });
    const applied = await late.waitFor(logLine('updated hugging face token from control plane', { runner_id: 'gpu-late' }));
    expect(applied).toMatchObject({ token_provided: true, version: 5 });
    // It replays only the current state: no older version is applied first.
    expect(late.json().filter((l) => l.msg === 'updated hugging face token from control plane')).toHaveLength(1);
    await stack.settings[0].waitFor(logLine('successfully synced system settings to runner', { runner_id: 'gpu-late', version: 5 }));
    expect((await stack.api('GET', '/api/v1/system/settings')).body.version).toBe(5);
  });

  it('a restarted runner replays the state again and reports ready only after it', async () => {
    await stack.stopRunner('gpu-2');
    const again = await stack.startRunner({ id: 'gpu-2' });
    const applied = await again.waitFor(logLine('updated hugging face token from control plane', { runner_id: 'gpu-2' }));
    expect(applied.version).toBe(5);
    const ready = await fetch(`${stack.runnerHttp.get('gpu-2')}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { settings_replay: true, nats: true } });
  });

  describe('rejects bad input with a 400 and changes nothing', () => {
    const cases: Array<[string, string | object]> = [
      ['invalid JSON', '{"huggingface_token": "hf_echo_check_1"'],
      ['a trailing comma', '{"huggingface_token": "hf_echo_check_2",}'],
      ['an unknown field', { huggingface_token: 'hf_valid', extra: true }],
      ['a wrong type', { huggingface_token: 12345 }],
      ['white space in the token', { huggingface_token: 'hf_with space' }],
      ['a newline in the token', { huggingface_token: 'hf_with\nnewline' }],
      ['a token over 1024 characters', { huggingface_token: 'hf_' + 'a'.repeat(1022) }],
      ['non-ASCII characters', { huggingface_token: 'hf_ünïcode' }],
      ['a JSON array', [1, 2]],
      ['a JSON string', '"hf_token"'],
    ];
    it.each(cases)('%s', async (_, body) => {
      const before = (await stack.api('GET', '/api/v1/system/settings')).body;
      const res = await stack.api('PUT', '/api/v1/system/settings', body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('bad_request');
      expect(res.body.message).toMatch(/^[A-Z].*\.$/);
      expect(res.text).not.toMatch(/hf_with|ünïcode|aaaaaaaa|hf_echo_check/);
      const after = (await stack.api('GET', '/api/v1/system/settings')).body;
      expect(after).toEqual(before);
    });

    it('accepts exactly 1024 characters', async () => {
      const token = 'hf_' + 'b'.repeat(1021);
      const res = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: token });
      expect(res.status).toBe(200);
      expect(res.body.huggingface_token_fingerprint).toBe(fp(token));
      await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: TOKEN_C });
    });
  });

  describe('authentication and authorization', () => {
    let userKey: string;

    beforeAll(async () => {
      const created = await stack.api('POST', '/api/v1/users', { name: 'alice', admin: false });
      expect(created.status).toBe(201);
      expect(created.body.api_key).toMatch(/^hl-/);
      userKey = created.body.api_key;
    });

    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/system/settings'],
      ['PUT', '/api/v1/system/settings', { huggingface_token: 'hf_attacker_value' }],
      ['GET', '/api/v1/runners'],
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/users', { name: 'mallory' }],
    ];

    it.each(routes)('%s %s: 401 without a key, with a malformed key and with an unknown key', async (method, path, body) => {
      for (const key of [null, 'not a bearer', 'hl-unknown-key-000000000000']) {
        const res =
          key === 'not a bearer'
            ? await fetch(`${stack.url}${path}`, {
                method,
                headers: { authorization: 'Basic abc', 'content-type': 'application/json' },
                body: body ? JSON.stringify(body) : undefined,
              }).then(async (r) => ({ status: r.status, body: await r.json() }))
            : await stack.api(method, path, body, key);
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: 'unauthorized' });
      }
    });

    it.each(routes)('%s %s: 403 for a non-admin user', async (method, path, body) => {
      const res = await stack.api(method, path, body, userKey);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('forbidden');
      expect(res.body.message).toMatch(/admin privileges are required/i);
    });

    it('nothing a non-admin sent changed the settings', async () => {
      const res = await stack.api('GET', '/api/v1/system/settings');
      expect(res.body.huggingface_token_fingerprint).toBe(fp(TOKEN_C));
    });

    it('users: me for anyone, list for admins, duplicate names are 409, bad names 400', async () => {
      expect((await stack.api('GET', '/api/v1/users/me', undefined, userKey)).body).toMatchObject({ name: 'alice', admin: false });
      const list = await stack.api('GET', '/api/v1/users');
      expect(list.body.map((u: any) => u.name)).toEqual(expect.arrayContaining(['admin', 'alice']));
      expect(list.text).not.toContain('api_key');
      expect((await stack.api('POST', '/api/v1/users', { name: 'alice' })).status).toBe(409);
      const bad = await stack.api('POST', '/api/v1/users', { name: 'has space', admin: 'yes' });
      expect(bad.status).toBe(400);
      expect(bad.body.details.map((d: any) => d.field).sort()).toEqual(['admin', 'name']);
    });
  });

  it('serves health, readiness, metrics and OpenAPI docs without a key', async () => {
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toContain('process_cpu_seconds_total');
    expect(metrics).toMatch(/helix_gateway_http_request_duration_seconds_count\{method="PUT",route="\/api\/v1\/system\/settings",status="200"\} \d+/);
    const runnerMetrics = await (await fetch(`${stack.runnerHttp.get('gpu-1')}/metrics`)).text();
    expect(runnerMetrics).toMatch(/helix_runner_settings_version \d+/);
    const doc = (await (await fetch(`${stack.url}/api/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/system/settings', '/api/v1/users', '/api/v1/runners']));
  });

  it('no token value appears in any log line, HTTP body, Postgres row or file, or the NATS store', async () => {
    const secrets = [TOKEN_A, TOKEN_B, TOKEN_C];
    const pgDump = await dumpPostgres(stack.pg.url);
    expect(pgDump).toContain('sha256:'); // the dump really holds the settings rows
    const findings = await scanForSecrets(secrets, {
      texts: [...stack.texts(), { label: 'postgres rows', text: pgDump }],
      dirs: [stack.nats.storeDir, stack.pg.dataDir],
    });
    expect(findings).toEqual([]);
  });
});
