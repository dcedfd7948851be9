import { Readable } from 'node:stream';
import type { Scope, SettingsView, TokenChainView } from '@helix/contracts';
import { fingerprint } from '@helix/secrets';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from './cli';
import { Output } from './output';
import { startStubGateway, type SeenRequest, type StubGateway } from './testing/stub-gateway';

/**
 * `helix org|user|model settings`, `helix model token` and `helix user delete` in-process against a
 * stub gateway (like cli.spec.ts): what goes over the wire, what is printed, and never the token.
 */
const KEY = 'hl-spec-admin-key';
const TOKEN = 'hf_scopedSpecCanary0123456789';
const MODEL = 'Qwen/Qwen2.5-VL-7B-Instruct';
const ME = 'u-me';

type Seen = SeenRequest;

let url: string;
let seen: Seen[];
let override: ((req: Seen) => { status: number; body?: unknown } | undefined) | undefined;

function view(scope: Exclude<Scope, 'global'>, scopeId: string, token: string | null, version = 1): SettingsView {
  return {
    id: `${scope}:${scopeId}`,
    scope,
    scope_id: scopeId,
    created: '2026-11-27T10:00:00.000Z',
    updated: '2026-11-27T10:05:00.000Z',
    huggingface_token_set: token !== null,
    huggingface_token_source: token ? 'database' : 'none',
    huggingface_token_fingerprint: token ? fingerprint(token) : null,
    huggingface_token_status: token ? 'valid' : null,
    huggingface_token_owner: token ? 'alice' : null,
    huggingface_token_role: token ? 'read' : null,
    version,
  };
}

const CHAIN: TokenChainView = {
  model_id: MODEL,
  effective: { scope: 'org', scope_id: 'acme', fingerprint: 'sha256:9f8e7d6c5b4a' },
  chain: [
    { scope: 'model', scope_id: MODEL, set: false },
    { scope: 'org', scope_id: 'acme', set: true, fingerprint: 'sha256:9f8e7d6c5b4a', version: 1 },
    { scope: 'global', scope_id: null, set: false },
  ],
};

/** The docs/reference/rest.md routes: a PUT answers the view of the token it got. */
function gateway(req: Seen): { status: number; body?: unknown } {
  const put = req.method === 'PUT' ? ((req.body as { huggingface_token: string | null }).huggingface_token ?? null) : null;
  let m: RegExpExecArray | null;
  if ((m = /^\/api\/v1\/orgs\/([^/]+)\/settings$/.exec(req.url))) {
    if (m[1] !== 'acme') return { status: 404, body: { error: 'not_found', message: `The org ${decodeURIComponent(m[1])} does not exist.` } };
    return { status: 200, body: view('org', 'acme', put, 2) };
  }
  if (req.url === '/api/v1/users/me/settings') return { status: 200, body: view('user', ME, put) };
  if ((m = /^\/api\/v1\/users\/([^/]+)\/settings$/.exec(req.url))) return { status: 200, body: view('user', decodeURIComponent(m[1]), put) };
  if ((m = /^\/api\/v1\/models\/([^/]+)\/settings$/.exec(req.url))) return { status: 200, body: view('model', decodeURIComponent(m[1]), put, 3) };
  if (/^\/api\/v1\/models\/[^/]+\/token$/.test(req.url)) return { status: 200, body: CHAIN };
  if ((m = /^\/api\/v1\/users\/([^/]+)$/.exec(req.url)) && req.method === 'DELETE')
    return { status: 200, body: { id: m[1], name: 'bob', admin: false, created: '2026-11-27T10:00:00.000Z' } };
  return { status: 404, body: { error: 'not_found', message: `No route ${req.url}.` } };
}

let stub: StubGateway;
beforeAll(async () => {
  stub = await startStubGateway((req) => override?.(req) ?? gateway(req), KEY);
  url = stub.url;
  seen = stub.seen;
});
afterAll(() => stub.close());
beforeEach(() => {
  seen.length = 0;
  override = undefined;
});

async function helix(argv: string[], opts: { stdin?: string; interactive?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const out = new Output({ write: (t: string) => (stdout += t) }, { write: (t: string) => (stderr += t) });
  const code = await run(argv, {
    out,
    env: { HELIX_URL: url, HELIX_API_KEY: KEY },
    stdin: Readable.from(opts.stdin !== undefined ? [Buffer.from(opts.stdin)] : []),
    interactive: opts.interactive ?? false,
  });
  return { code, stdout, stderr };
}

describe('helix org|user|model settings, model token, user delete (stub gateway)', () => {
  it('org settings set from stdin: the token goes to the org route, only its fingerprint is printed', async () => {
    const r = await helix(['org', 'settings', 'set', 'acme', '--huggingface-token-stdin'], { stdin: `${TOKEN}\n` });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(seen).toEqual([{ method: 'PUT', url: '/api/v1/orgs/acme/settings', body: { huggingface_token: TOKEN } }]);
    expect(r.stdout).toBe(
      [
        `Hugging Face token of org acme set: ${fingerprint(TOKEN)} (version 2); runners receive it within seconds.`,
        'See which token a model uses with: helix model token <model id>',
        '',
      ].join('\n'),
    );
  });

  it('org settings get: a table with scope and id, or the API JSON', async () => {
    const table = await helix(['org', 'settings', 'get', 'acme']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(/^Scope:\s+org\nScope ID:\s+acme\nHugging Face token:\s+not configured \(the org's models fall back to the global token\)\n/);
    const json = await helix(['org', 'settings', 'get', 'acme', '--json']);
    expect(JSON.parse(json.stdout)).toEqual(view('org', 'acme', null, 2));
    expect(seen.filter((s) => s.url !== '/api/v1/runners').map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/v1/orgs/acme/settings',
      'GET /api/v1/orgs/acme/settings',
    ]);
  });

  it('user settings: yourself by default (/users/me), another user with --user', async () => {
    const me = await helix(['user', 'settings', 'set', '--huggingface-token', TOKEN]);
    expect(me.code).toBe(0);
    expect(me.stderr).toMatch(/^warning: the token given with --huggingface-token is visible to other local users in the process list[^\n]*\n$/);
    expect(me.stdout).toContain(`Hugging Face token of user ${ME} set: ${fingerprint(TOKEN)} (version 1)`);
    const other = await helix(['user', 'settings', 'set', '--user', 'u 2', '--clear-hf-token', '--json']);
    expect(JSON.parse(other.stdout)).toMatchObject({ id: 'user:u 2', huggingface_token_set: false });
    await helix(['user', 'settings', 'get']);
    await helix(['user', 'settings', 'get', '--user', 'u-3']);
    // A table `get` also reads the runners (for its out-of-sync line).
    expect(seen.filter((s) => s.url !== '/api/v1/runners').map((s) => [s.method, s.url, s.body])).toEqual([
      ['PUT', '/api/v1/users/me/settings', { huggingface_token: TOKEN }],
      ['PUT', '/api/v1/users/u%202/settings', { huggingface_token: null }],
      ['GET', '/api/v1/users/me/settings', undefined],
      ['GET', '/api/v1/users/u-3/settings', undefined],
    ]);
    expect(me.stdout + me.stderr + other.stdout).not.toContain(TOKEN);
  });

  it('model settings: the id with "/" is one encoded path segment; clearing names the fallback', async () => {
    const r = await helix(['model', 'settings', 'set', MODEL, '--clear-hf-token']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(seen[0]).toEqual({ method: 'PUT', url: '/api/v1/models/Qwen%2FQwen2.5-VL-7B-Instruct/settings', body: { huggingface_token: null } });
    expect(r.stdout).toBe(
      [
        `Hugging Face token of model ${MODEL} cleared (version 3); the model falls back to its owner's, its org's or the global token from the next model start.`,
        `See which token a model uses with: helix model token ${MODEL}`,
        '',
      ].join('\n'),
    );
    const get = await helix(['model', 'settings', 'get', MODEL]);
    expect(get.stdout).toMatch(new RegExp(`^Scope:\\s+model\\nScope ID:\\s+${MODEL.replace(/\./g, '\\.')}\\n`));
    expect(seen[1].url).toBe('/api/v1/models/Qwen%2FQwen2.5-VL-7B-Instruct/settings');
  });

  it('model token: the chain table with the effective level, or the API JSON', async () => {
    const r = await helix(['model', 'token', MODEL]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v1/models/Qwen%2FQwen2.5-VL-7B-Instruct/token' });
    expect(r.stdout).toMatch(/^org\s+acme\s+yes\s+sha256:9f8e7d6c5b4a\s+1\s+<- effective$/m);
    expect(r.stdout).toContain('Effective: the org acme token (sha256:9f8e7d6c5b4a) is used when this model starts.');
    expect(JSON.parse((await helix(['--json', 'model', 'token', MODEL])).stdout)).toEqual(CHAIN);
  });

  it('the token flags: none, two, or a malformed token are usage errors and send nothing', async () => {
    const none = await helix(['org', 'settings', 'set', 'acme']);
    expect(none).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'error: say what to set: --huggingface-token-stdin, --huggingface-token <token> or --clear-hf-token\n',
    });
    const both = await helix(['model', 'settings', 'set', MODEL, '--huggingface-token', TOKEN, '--clear-hf-token']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error: option '--huggingface-token <token>' cannot be used with option '--clear-hf-token'\n$/);
    const spaced = await helix(['user', 'settings', 'set', '--huggingface-token-stdin'], { stdin: 'hf_a b' });
    expect(spaced.code).toBe(1);
    expect(spaced.stderr).toMatch(/printable ASCII characters without white space/);
    expect(seen).toHaveLength(0);
    expect(both.stderr + none.stderr).not.toContain(TOKEN);
  });

  it('--huggingface-token warns that the token is visible in the process list, for every scope', async () => {
    const r = await helix(['org', 'settings', 'set', 'acme', '--huggingface-token', TOKEN], { interactive: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: the token given with --huggingface-token is visible to other local users in the process list while this command runs .*; --huggingface-token-stdin avoids it\n$/,
    );
  });

  it('403 from a scope route relays who may; 404 relays the unknown org; both one line, exit 1', async () => {
    override = () => ({ status: 403, body: { error: 'forbidden', message: 'Only an admin or a member of this org may see its token settings.' } });
    const denied = await helix(['org', 'settings', 'get', 'acme']);
    expect(denied).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: permission denied: Only an admin or a member of this org may see its token settings (HTTP 403 forbidden)\n',
    });
    override = undefined;
    const missing = await helix(['org', 'settings', 'get', 'nope']);
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'error: The org nope does not exist (HTTP 404 not found)\n' });
  });

  it('user delete: DELETE /users/{id}; says what went with it, or the API JSON', async () => {
    const r = await helix(['user', 'delete', 'u-9']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/api/v1/users/u-9' });
    expect(r.stdout).toMatch(/^Deleted user bob \(id u-9\): its API keys no longer work, its Hugging Face token was cleared/);
    expect(JSON.parse((await helix(['user', 'rm', 'u-9', '--json'])).stdout)).toMatchObject({ id: 'u-9', name: 'bob' });
  });

  it('--help of every new command shows examples', async () => {
    const expected: Array<[string[], string]> = [
      [['org', 'settings', 'get', '--help'], 'helix org settings get acme'],
      [['org', 'settings', 'set', '--help'], 'printf %s "$HF_TOKEN" | helix org settings set acme --huggingface-token-stdin'],
      [['user', 'settings', 'get', '--help'], 'helix user settings get --user '],
      [['user', 'settings', 'set', '--help'], 'printf %s "$HF_TOKEN" | helix user settings set --huggingface-token-stdin'],
      [['model', 'settings', 'get', '--help'], `helix model settings get ${MODEL}`],
      [['model', 'settings', 'set', '--help'], `helix model settings set ${MODEL} --clear-hf-token`],
      [['model', 'token', '--help'], `helix model token ${MODEL}`],
      [['user', 'delete', '--help'], 'helix user delete '],
    ];
    for (const [argv, example] of expected) {
      const r = await helix(argv);
      expect({ argv, code: r.code, example: r.stdout.includes(example) }).toEqual({ argv, code: 0, example: true });
      expect(r.stdout).toMatch(/\nExamples:\n/);
    }
    expect(seen).toHaveLength(0);
  });
});
