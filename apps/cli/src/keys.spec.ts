import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyView, CreatedApiKeyView } from '@helix/contracts';
import { run } from './cli';
import { Output } from './output';
import { startStubGateway, type SeenRequest, type StubGateway } from './testing/stub-gateway';

/** `helix user key list|create|revoke` in-process against a stub gateway (like scoped.spec.ts). */
const KEY = 'hl-spec-caller-key';
const NEW_KEY = 'hl-Xq3f9AnewKeyForTheSpec0123456789abcdefghij';
const OTHER = '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
const KEY_ID = '6f2b0c1e-8d4a-4f5e-9a7b-1c2d3e4f5a6b';

const KEYS: ApiKeyView[] = [
  {
    id: 'aaaaaaaa-8d4a-4f5e-9a7b-1c2d3e4f5a6b',
    prefix: 'hl-admin0',
    created: '2026-11-27T10:00:00.000Z',
    revoked: '2026-11-27T11:00:00.000Z',
    bootstrap: true,
  },
  { id: KEY_ID, prefix: 'hl-Xq3f9A', created: '2026-11-27T10:05:00.000Z', revoked: null, bootstrap: false },
  { id: 'bbbbbbbb-8d4a-4f5e-9a7b-1c2d3e4f5a6b', prefix: null, created: '2026-11-27T09:00:00.000Z', revoked: null, bootstrap: false },
];
const CREATED: CreatedApiKeyView = { id: KEY_ID, prefix: 'hl-Xq3f9A', created: '2026-11-27T10:05:00.000Z', api_key: NEW_KEY };

type Seen = SeenRequest;

let url: string;
let seen: Seen[];
let reply: (req: Seen) => { status: number; body?: unknown };

function gateway(req: Seen): { status: number; body?: unknown } {
  if (req.method === 'GET' && /^\/api\/v1\/users\/[^/]+\/keys$/.test(req.url)) return { status: 200, body: KEYS };
  if (req.method === 'POST' && /^\/api\/v1\/users\/[^/]+\/keys$/.test(req.url)) return { status: 201, body: CREATED };
  if (req.method === 'DELETE' && /^\/api\/v1\/users\/[^/]+\/keys\/[^/]+$/.test(req.url))
    return { status: 200, body: { ...KEYS[1], revoked: '2026-11-27T12:00:00.000Z' } };
  return { status: 404, body: { error: 'not_found', message: 'No route matches this method and path.' } };
}

let stub: StubGateway;
beforeAll(async () => {
  stub = await startStubGateway((req) => reply(req), KEY);
  url = stub.url;
  seen = stub.seen;
});
afterAll(() => stub.close());
beforeEach(() => {
  seen.length = 0;
  reply = gateway;
});

async function helix(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const out = new Output({ write: (t: string) => (stdout += t) }, { write: (t: string) => (stderr += t) });
  const code = await run(argv, { out, env: { HELIX_URL: url, HELIX_API_KEY: KEY }, stdin: Readable.from([]), interactive: false });
  return { code, stdout, stderr };
}

describe('helix user key (stub gateway)', () => {
  it('list: your keys by default, another user with --user; a table of prefixes and states, or the API JSON', async () => {
    const table = await helix(['user', 'key', 'list']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(/^ID\s+PREFIX\s+CREATED\s+STATE\s+BOOTSTRAP\n/i);
    expect(table.stdout).toContain('revoked 2026-11-27T11:00:00.000Z');
    expect(table.stdout).toContain('HELIX_ADMIN_API_KEY');
    expect(table.stdout).toContain('(unknown until next use)');
    expect(table.stdout).toMatch(new RegExp(`${KEY_ID}\\s+hl-Xq3f9A\\s+2026-11-27T10:05:00.000Z\\s+active`));
    const json = await helix(['user', 'key', 'ls', '--user', OTHER, '--json']);
    expect(JSON.parse(json.stdout)).toEqual(KEYS);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /api/v1/users/me/keys', `GET /api/v1/users/${OTHER}/keys`]);
    reply = () => ({ status: 200, body: [] });
    expect((await helix(['user', 'key', 'list'])).stdout).toBe('You have no API keys.\n');
  });

  it('create: POST {} and print the key once with a line saying so; --json is the API JSON', async () => {
    const r = await helix(['user', 'key', 'create']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(seen).toEqual([{ method: 'POST', url: '/api/v1/users/me/keys', body: {} }]);
    expect(r.stdout).toBe(
      [
        `Created a new API key for you (id ${KEY_ID}, prefix hl-Xq3f9A).`,
        `API key: ${NEW_KEY}`,
        'This key is shown only once and stored only as a hash: save it now.',
        '',
      ].join('\n'),
    );
    const json = await helix(['user', 'key', 'create', '--user', OTHER, '--json']);
    expect(JSON.parse(json.stdout)).toEqual(CREATED);
    expect(seen[1]).toMatchObject({ method: 'POST', url: `/api/v1/users/${OTHER}/keys` });
  });

  it('revoke: DELETE …/keys/{key_id}; says it is refused from now on; errors relay the server sentence', async () => {
    const r = await helix(['user', 'key', 'revoke', KEY_ID]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: `/api/v1/users/me/keys/${KEY_ID}` });
    expect(r.stdout).toBe(`Revoked API key ${KEY_ID} (prefix hl-Xq3f9A) at 2026-11-27T12:00:00.000Z: requests with it are refused from now on.\n`);
    const json = await helix(['--json', 'user', 'key', 'revoke', KEY_ID, '--user', OTHER]);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: KEY_ID, revoked: '2026-11-27T12:00:00.000Z' });
    expect(seen[1].url).toBe(`/api/v1/users/${OTHER}/keys/${KEY_ID}`);

    reply = () => ({
      status: 400,
      body: {
        error: 'bad_request',
        message: 'This is your last active API key: create another one first (POST /api/v1/users/me/keys), so that you do not lock yourself out.',
      },
    });
    expect(await helix(['user', 'key', 'revoke', KEY_ID])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^error: invalid request \(HTTP 400\): This is your last active API key/),
    });
    reply = () => ({ status: 403, body: { error: 'forbidden', message: "Only an admin or the user themself may see or change a user's API keys." } });
    expect((await helix(['user', 'key', 'list', '--user', OTHER])).stderr).toBe(
      "error: permission denied: Only an admin or the user themself may see or change a user's API keys (HTTP 403 forbidden)\n",
    );
    expect((await helix(['user', 'key', 'revoke'])).code).toBe(2);
  });

  it('--help of each key command shows examples and says a key is shown once', async () => {
    const expected: Array<[string[], string]> = [
      [['user', 'key', '--help'], 'helix user key create'],
      [['user', 'key', 'list', '--help'], 'helix user key list --user '],
      [['user', 'key', 'create', '--help'], 'printed this once'],
      [['user', 'key', 'revoke', '--help'], 'helix user key revoke 6f2b0c1e'],
    ];
    for (const [argv, example] of expected) {
      const r = await helix(argv);
      expect({ argv, code: r.code, example: r.stdout.includes(example) }).toEqual({ argv, code: 0, example: true });
      expect(r.stdout).toMatch(/\nExamples:\n/);
    }
    expect(seen).toHaveLength(0);
  });
});
