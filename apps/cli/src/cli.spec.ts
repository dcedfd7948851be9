import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fingerprint } from '@helix/secrets';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_MODEL, SEED_MODEL_FILE } from '@helix/testing';
import { run, secretsOnCommandLine } from './cli';
import { Output } from './output';
import { startStubGateway, type SeenRequest, type StubGateway, type StubReply } from './testing/stub-gateway';

/**
 * The whole CLI in-process against a stub gateway: exit codes, stdout/stderr contract and what goes
 * over the wire. (test/cli.e2e.ts runs the built CLI against the real stack.)
 */
const TOKEN = 'hf_cliSpecCanary0123456789';
const KEY = 'hl-spec-admin-key';

type Seen = SeenRequest;

type Handler = (req: Seen) => StubReply;

let url: string;
let seen: Seen[];
let handler: Handler;

function settingsView(token: string | null, version = 1) {
  return {
    id: 'system',
    created: '2026-11-27T10:00:00.000Z',
    updated: '2026-11-27T10:05:00.000Z',
    huggingface_token_set: token !== null,
    huggingface_token_source: token ? 'database' : 'none',
    huggingface_token_fingerprint: token ? fingerprint(token) : null,
    version,
  };
}

const defaultHandler: Handler = (req) => {
  if (req.auth !== `Bearer ${KEY}`) return { status: 401, body: { error: 'unauthorized', message: 'A valid API key is required.' } };
  if (req.url === '/api/v1/system/settings' && req.method === 'GET') return { status: 200, body: settingsView(null, 0) };
  if (req.url === '/api/v1/system/settings' && req.method === 'PUT') {
    const token = (req.body as { huggingface_token: string | null }).huggingface_token;
    return { status: 200, body: settingsView(token || null, 1) };
  }
  if (req.url === '/api/v1/runners') return { status: 200, body: [{ id: 'gpu-1', state: 'online', in_sync: true, slots: [] }] };
  if (req.url === '/api/v1/models' && req.method === 'POST') return { status: 201, body: { ...(req.body as object), slots: [] } };
  if (req.url === '/api/v1/models') return { status: 200, body: [] };
  if (req.url.startsWith('/api/v1/models/') && req.method === 'DELETE') return { status: 204 };
  const CREATED = '2026-11-27T10:00:00.000Z';
  if (req.url === '/api/v1/orgs' && req.method === 'POST') {
    const org = req.body as { id: string; name?: string };
    return { status: 201, body: { id: org.id, name: org.name ?? org.id, created: CREATED } };
  }
  if (req.url === '/api/v1/orgs') return { status: 200, body: [{ id: 'acme', name: 'Acme Corp', created: CREATED }] };
  if (req.url === '/api/v1/orgs/acme' && req.method === 'DELETE') return { status: 200, body: { id: 'acme', name: 'Acme Corp', created: CREATED } };
  if (req.url === '/api/v1/orgs/acme/members') return { status: 200, body: [{ org_id: 'acme', user_id: 'u-1', role: 'owner', created: CREATED }] };
  const member = /^\/api\/v1\/orgs\/acme\/members\/([^/]+)$/.exec(req.url);
  if (member && req.method === 'PUT')
    return { status: 200, body: { org_id: 'acme', user_id: member[1], role: (req.body as { role: string }).role, created: CREATED } };
  if (member && req.method === 'DELETE') return { status: 200, body: { org_id: 'acme', user_id: member[1], role: 'member', created: CREATED } };
  if (req.url.startsWith('/api/v1/orgs/')) return { status: 404, body: { error: 'not_found', message: 'The org nope does not exist.' } };
  return { status: 404, body: { error: 'not_found', message: `No route ${req.url}.` } };
};

let stub: StubGateway;
beforeAll(async () => {
  stub = await startStubGateway((req) => handler(req));
  url = stub.url;
  seen = stub.seen;
});

afterAll(() => stub.close());

beforeEach(() => {
  seen.length = 0;
  handler = defaultHandler;
});

/** A port nobody listens on (just closed). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function helix(argv: string[], opts: { env?: Record<string, string | undefined>; stdin?: string; interactive?: boolean } = {}): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const out = new Output({ write: (t: string) => (stdout += t) }, { write: (t: string) => (stderr += t) });
  const code = await run(argv, {
    out,
    env: opts.env ?? { HELIX_URL: url, HELIX_API_KEY: KEY },
    stdin: Readable.from(opts.stdin !== undefined ? [Buffer.from(opts.stdin)] : []),
    interactive: opts.interactive ?? false,
    readFile: (p) => {
      if (p === 'seed.json') return SEED_MODEL_FILE;
      if (p === 'broken.json') return '{"id": "a/b",\n "memory": 39GB}';
      throw Object.assign(new Error('x'), { code: 'ENOENT' });
    },
  });
  return { code, stdout, stderr };
}

describe('helix (in-process, stub gateway)', () => {
  it('settings set from stdin sends the token, prints only its fingerprint', async () => {
    const r = await helix(['system', 'settings', 'set', '--huggingface-token-stdin'], { stdin: `${TOKEN}\n` });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/api/v1/system/settings', auth: `Bearer ${KEY}`, body: { huggingface_token: TOKEN } });
    expect(r.stdout).toContain(fingerprint(TOKEN));
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('--huggingface-token always warns, in one line, that the token is visible in the process list (at a terminal and in a script)', async () => {
    const interactive = await helix(['system', 'settings', 'set', '--huggingface-token', TOKEN], { interactive: true });
    expect(interactive.code).toBe(0);
    expect(interactive.stderr).toMatch(
      /^warning: the token given with --huggingface-token is visible to other local users in the process list while this command runs .*; --huggingface-token-stdin avoids it\n$/,
    );
    const scripted = await helix(['system', 'settings', 'set', `--huggingface-token=${TOKEN}`]);
    expect(scripted.code).toBe(0);
    expect(scripted.stderr).toBe(interactive.stderr);
    expect(seen.map((s) => (s.body as { huggingface_token: string }).huggingface_token)).toEqual([TOKEN, TOKEN]);
    expect(interactive.stdout + interactive.stderr + scripted.stdout).not.toContain(TOKEN);
  });

  it('--clear-hf-token sends null; no mode or two modes are usage errors (exit 2)', async () => {
    expect((await helix(['system', 'settings', 'set', '--clear-hf-token'])).code).toBe(0);
    expect(seen[0].body).toEqual({ huggingface_token: null });
    const none = await helix(['system', 'settings', 'set']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: say what to set: .*\n$/);
    const both = await helix(['system', 'settings', 'set', '--huggingface-token', TOKEN, '--clear-hf-token']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/cannot be used with/);
    expect(both.stderr).not.toContain(TOKEN);
    expect(seen).toHaveLength(1);
  });

  it('an empty or white-space token on stdin is refused before anything is sent', async () => {
    const empty = await helix(['system', 'settings', 'set', '--huggingface-token-stdin'], { stdin: '\n' });
    expect(empty).toMatchObject({ code: 1, stderr: 'error: no Hugging Face token on stdin\n' });
    const spaced = await helix(['system', 'settings', 'set', '--huggingface-token-stdin'], { stdin: 'hf_a b' });
    expect(spaced.code).toBe(1);
    expect(spaced.stderr).toMatch(/printable ASCII characters without white space/);
    expect(seen).toHaveLength(0);
  });

  it('settings get: table with sync count, or the API JSON with --json (before or after the command)', async () => {
    const table = await helix(['system', 'settings', 'get']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Runners in sync:\s+1\/1/);
    for (const argv of [
      ['system', 'settings', 'get', '--json'],
      ['--json', 'system', 'settings', 'get'],
    ]) {
      const json = await helix(argv);
      expect(JSON.parse(json.stdout)).toEqual(settingsView(null, 0));
    }
  });

  it('settings get says "unknown" when the runner list is not available', async () => {
    handler = (req) => (req.url === '/api/v1/runners' ? { status: 503, body: { error: 'unavailable', message: 'down' } } : defaultHandler(req));
    const r = await helix(['system', 'settings', 'get']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Runners in sync:\s+unknown/);
  });

  it('--url and --api-key win over the environment', async () => {
    const r = await helix(['--url', url, '--api-key', KEY, 'runner', 'list', '--json'], { env: { HELIX_URL: 'http://127.0.0.1:1', HELIX_API_KEY: 'wrong' } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0].id).toBe('gpu-1');
  });

  it('401 without and with a key says to set HELIX_API_KEY; the key is never printed', async () => {
    const none = await helix(['model', 'list'], { env: { HELIX_URL: url } });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error: no API key given .*set HELIX_API_KEY.*\n$/);
    const wrong = await helix(['model', 'list'], { env: { HELIX_URL: url, HELIX_API_KEY: 'hl-wrong-key-1234' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: the API key was rejected .*set HELIX_API_KEY/);
    expect(wrong.stderr).not.toContain('hl-wrong-key-1234');
  });

  it('403 says admin privileges are required', async () => {
    handler = () => ({ status: 403, body: { error: 'forbidden', message: 'Admin privileges are required.' } });
    const r = await helix(['runner', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: admin privileges are required/);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('400 lists the invalid fields', async () => {
    handler = () => ({
      status: 400,
      body: {
        error: 'bad_request',
        message: 'Invalid request.',
        details: [
          { field: 'memory', message: 'memory must be a size' },
          { field: 'context_length', message: 'context_length is required for chat' },
        ],
      },
    });
    const r = await helix(['model', 'create', 'a/b', '--name', 'x', '--memory', 'lots']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: invalid request (HTTP 400): invalid fields: memory, context_length (memory must be a size; context_length is required for chat)\n',
    );
  });

  it('an unreachable server names the URL; a bad URL is a usage error', async () => {
    const closed = await closedPort();
    const r = await helix(['model', 'list'], { env: { HELIX_URL: `http://127.0.0.1:${closed}`, HELIX_API_KEY: KEY } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: cannot reach the Helix API at http://127.0.0.1:${closed} (connection refused); is the gateway running? Check HELIX_URL (or --url)\n`,
    );
    const bad = await helix(['model', 'list'], { env: { HELIX_URL: 'localhost:8080', HELIX_API_KEY: KEY } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must be an http:\/\/ or https:\/\/ URL/);
  });

  it('a non-JSON answer (not the gateway) is reported, not thrown', async () => {
    handler = () => ({ status: 200, raw: '<html>hello</html>' });
    const r = await helix(['model', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: unexpected non-JSON response from .*\/api\/v1\/models \(HTTP 200\)/);
  });

  it('model create: file values with flag overrides go over the wire; ids with "/" are path segments', async () => {
    const r = await helix(['model', 'create', '--file', 'seed.json', '--memory', '40GiB', '--disabled', '--runtime-args', '["--enforce-eager"]', '--json']);
    expect(r.code).toBe(0);
    expect(seen[0].body).toEqual({ ...SEED_MODEL, memory: '40GiB', enabled: false, runtime_args: ['--enforce-eager'] });
    expect(JSON.parse(r.stdout).id).toBe('Qwen/Qwen2.5-VL-7B-Instruct');
    const del = await helix(['model', 'delete', 'Qwen/Qwen2.5 VL', '--json']);
    expect(del.code).toBe(0);
    expect(seen[1]).toMatchObject({ method: 'DELETE', url: '/api/v1/models/Qwen/Qwen2.5%20VL' });
    expect(JSON.parse(del.stdout)).toEqual({ id: 'Qwen/Qwen2.5 VL', deleted: true });
  });

  it('malformed --runtime-args (exit 2) and --file JSON (exit 1) say where; nothing is sent', async () => {
    const args = await helix(['model', 'create', 'a/b', '--name', 'x', '--runtime-args', '["--trust-remote-code",]']);
    expect(args.code).toBe(2);
    expect(args.stderr).toBe('error: --runtime-args is not valid JSON: expected a JSON value but found "]" at line 1, column 24 (position 23)\n');
    const file = await helix(['model', 'create', '--file', 'broken.json']);
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(/^error: --file broken.json is not valid JSON: .* at line 2, column 14 \(position 27\); strings need double quotes\n$/);
    const missing = await helix(['model', 'create', '--file', 'nope.json']);
    expect(missing).toMatchObject({ code: 1, stderr: 'error: cannot read --file nope.json: no such file\n' });
    expect(seen).toHaveLength(0);
  });

  it('usage errors exit 2 with one line; help exits 0 and shows the seed example', async () => {
    const unknown = await helix(['modle', 'list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("error: unknown command 'modle' (Did you mean model?)\n");
    const noName = await helix(['user', 'create']);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toMatch(/required option '--name <name>' not specified/);
    const context = await helix(['model', 'create', 'a/b', '--name', 'x', '--context', 'many']);
    expect(context).toMatchObject({ code: 2, stderr: 'error: --context must be a positive integer number of tokens, got "many"\n' });
    const help = await helix(['model', 'create', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('"runtime_args":["--trust-remote-code","--max-model-len","32768"]');
    expect(help.stdout).toContain('--memory 39GB --context 32768');
    expect((await helix(['--version'])).code).toBe(0);
  });

  it('org create/list/delete: the API JSON with --json, a sentence or a table without', async () => {
    const created = await helix(['org', 'create', 'acme', '--name', 'Acme Corp']);
    expect(created).toMatchObject({ code: 0, stdout: 'Created org acme (Acme Corp).\n', stderr: '' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/orgs', body: { id: 'acme', name: 'Acme Corp' } });
    const plain = await helix(['org', 'create', 'beta', '--json']);
    expect(seen[1].body).toEqual({ id: 'beta' });
    expect(JSON.parse(plain.stdout)).toEqual({ id: 'beta', name: 'beta', created: '2026-11-27T10:00:00.000Z' });
    const list = await helix(['org', 'list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+CREATED$/);
    expect(list.stdout).toMatch(/^acme\s+Acme Corp\s+2026-11-27T10:00:00.000Z$/m);
    expect(JSON.parse((await helix(['--json', 'org', 'list'])).stdout)).toHaveLength(1);
    expect(await helix(['org', 'delete', 'acme'])).toMatchObject({ code: 0, stdout: 'Deleted org acme.\n' });
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/v1/orgs/acme' });
    const missing = await helix(['org', 'delete', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: The org nope does not exist.*404.*\n$/);
  });

  it('org member add/remove/list: role defaults to member, ids are path segments, a bad role is a usage error', async () => {
    expect(await helix(['org', 'member', 'add', 'acme', 'u-2'])).toMatchObject({ code: 0, stdout: 'User u-2 is now a member of org acme.\n' });
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/api/v1/orgs/acme/members/u-2', body: { role: 'member' } });
    const owner = await helix(['org', 'member', 'add', 'acme', 'u-3', '--role', 'owner', '--json']);
    expect(JSON.parse(owner.stdout)).toMatchObject({ user_id: 'u-3', role: 'owner' });
    expect(await helix(['org', 'member', 'remove', 'acme', 'u-2'])).toMatchObject({ code: 0, stdout: 'Removed user u-2 from org acme.\n' });
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/v1/orgs/acme/members/u-2' });
    const list = await helix(['org', 'member', 'list', 'acme']);
    expect(list.stdout).toMatch(/^USER ID\s+ROLE\s+SINCE\nu-1\s+owner\s+2026-11-27T10:00:00.000Z\n$/);
    const sent = seen.length;
    const badRole = await helix(['org', 'member', 'add', 'acme', 'u-2', '--role', 'admin']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/^error: option '--role <role>' argument 'admin' is invalid\. Allowed choices are owner, member\.\n$/);
    await helix(['org', 'member', 'add', 'acme', '../users']);
    expect(seen.at(-1)!.url).toBe('/api/v1/orgs/acme/members/..%2Fusers');
    expect(seen).toHaveLength(sent + 1);
    expect((await helix(['org', '--help'])).stdout).toContain('helix org member add acme');
  });

  it('model create --org/--owner send org_id/owner_id, over the file values', async () => {
    await helix(['model', 'create', 'a/b', '--name', 'x', '--org', 'acme', '--owner', 'u-1']);
    expect(seen[0].body).toMatchObject({ id: 'a/b', org_id: 'acme', owner_id: 'u-1' });
    await helix(['model', 'create', '--file', 'seed.json', '--org', 'beta']);
    expect(seen[1].body).toEqual({ ...SEED_MODEL, org_id: 'beta' });
    expect((await helix(['model', 'create', '--help'])).stdout).toMatch(/--org <org>[\s\S]*--owner <user_id>/);
  });

  it('finds secrets on the raw command line in both spellings', () => {
    expect(secretsOnCommandLine(['x', '--huggingface-token', 'hf_a', '--api-key=k1', '--api-key', 'k2'])).toEqual(['hf_a', 'k1', 'k2']);
  });
});
