import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntryView, AuditPageView } from '@helix/contracts';
import { run } from './cli';
import { Output } from './output';
import { renderAudit } from './views';

/** `helix audit list` in-process against a stub gateway (like cli.spec.ts). */
const KEY = 'hl-spec-admin-key';
const ENTRIES: AuditEntryView[] = [
  {
    id: '7c1f4f7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
    at: '2026-11-27T10:05:00.000Z',
    actor_id: 'a1',
    actor_name: 'admin',
    action: 'token.set',
    target: 'global',
    details: { scope: 'global', scope_id: null, version: 2, old_fingerprint: 'sha256:111111111111', new_fingerprint: 'sha256:222222222222' },
  },
  {
    id: '8c1f4f7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
    at: '2026-11-27T10:04:00.000Z',
    actor_id: 'u1',
    actor_name: 'alice',
    action: 'access.denied',
    target: 'route:GET /api/v1/audit',
    details: { method: 'GET', route: '/api/v1/audit' },
  },
  {
    id: '9c',
    at: '2026-11-27T10:03:00.000Z',
    actor_id: 'a1',
    actor_name: 'admin',
    action: 'model.update',
    target: 'model:a/b',
    details: { model_id: 'a/b', fields: ['description', 'enabled'] },
  },
  {
    id: 'ac',
    at: '2026-11-27T10:02:00.000Z',
    actor_id: null,
    actor_name: null,
    action: 'user.create',
    target: 'user:a1',
    details: { user_id: 'a1', name: 'admin', admin: true },
  },
];

let server: Server;
let url: string;
let seen: string[] = [];
let reply: { status: number; body: unknown };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url!);
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      res.statusCode = 401;
      return res.end(JSON.stringify({ error: 'unauthorized', message: 'The API key is not valid.' }));
    }
    res.statusCode = reply.status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  reply = { status: 200, body: { items: ENTRIES, next: null } satisfies AuditPageView };
});

async function helix(argv: string[], key = KEY) {
  let stdout = '';
  let stderr = '';
  const out = new Output({ write: (t: string) => (stdout += t) }, { write: (t: string) => (stderr += t) });
  const code = await run(argv, { out, env: { HELIX_URL: url, HELIX_API_KEY: key }, stdin: Readable.from([]), interactive: false });
  return { code, stdout, stderr };
}

describe('helix audit list', () => {
  it('sends the filters as query parameters and prints a table, newest first', async () => {
    const r = await helix(['audit', 'list', '--target', 'model:Qwen/Qwen2.5 VL', '--action', 'token.set', '--limit', '10']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(seen).toEqual(['/api/v1/audit?target=model%3AQwen%2FQwen2.5+VL&action=token.set&limit=10']);
    expect(r.stdout.split('\n')[0]).toMatch(/^AT\s+ACTOR\s+ACTION\s+TARGET\s+DETAILS$/);
    expect(r.stdout).toContain('v2 sha256:111111111111 -> sha256:222222222222');
    expect(r.stdout).toContain('GET /api/v1/audit');
    expect(r.stdout).toContain('fields: description, enabled');
    expect(r.stdout).toMatch(/\(system\)\s+user\.create\s+user:a1\s+admin \(admin\)/);
  });

  it('without filters asks for the default page; --json prints the API JSON', async () => {
    const r = await helix(['--json', 'audit', 'list']);
    expect(seen).toEqual(['/api/v1/audit']);
    expect(JSON.parse(r.stdout)).toEqual({ items: ENTRIES, next: null });
  });

  it('errors are the usual one line: 400 lists the fields, 403 asks for admin, 401 for HELIX_API_KEY', async () => {
    reply = {
      status: 400,
      body: {
        error: 'bad_request',
        message: 'Invalid query: limit must be an integer from 1 to 200.',
        details: [{ field: 'limit', message: 'limit must be an integer from 1 to 200' }],
      },
    };
    const bad = await helix(['audit', 'list', '--limit', '500']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n')).toHaveLength(2);
    expect(bad.stderr).toMatch(/^error: .*limit must be an integer from 1 to 200/);
    reply = { status: 403, body: { error: 'forbidden', message: 'Admin privileges are required for this route.' } };
    expect((await helix(['audit', 'list'])).stderr).toMatch(/^error: admin privileges are required/);
    expect((await helix(['audit', 'list'], 'hl-wrong-key-1234')).stderr).toMatch(/^error: the API key was rejected .*set HELIX_API_KEY/);
  });

  it('--help shows an example', async () => {
    const r = await helix(['audit', 'list', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('helix audit list --target global --action token.set --limit 10');
  });

  it('an empty log and a log with more pages say so', () => {
    expect(renderAudit({ items: [], next: null })).toBe('No audit entries.');
    expect(renderAudit({ items: ENTRIES.slice(0, 1), next: 'abc' })).toMatch(/More entries are older than these/);
  });
});
