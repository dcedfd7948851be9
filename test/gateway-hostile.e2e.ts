import { randomBytes } from 'node:crypto';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoSecrets, startStack, type Stack } from '@helix/testing';

/**
 * Input found by fuzzing the gateway. Whatever arrives, the answer is a docs/reference/rest.md body with a documented
 * code, never a 500, and it never repeats what was sent (a token may be anywhere in a request).
 */
const DOCUMENTED_CODES = ['unauthorized', 'forbidden', 'bad_request', 'not_found', 'conflict', 'unavailable'];

const token = () =>
  `hf_${randomBytes(26)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 34)}`;
const TOKENS: string[] = [];
const newToken = () => {
  const t = token();
  TOKENS.push(t);
  return t;
};

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

/**
 * A request sent byte for byte with node:http (fetch would fix the content type or the body). The
 * answer counts as soon as it arrives: a server that answers early may close while we still write.
 */
function send(
  stack: Stack,
  options: { method?: string; path?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer; chunks?: Buffer[] },
): Promise<RawResponse> {
  const url = new URL(stack.url);
  const headers: OutgoingHttpHeaders = { authorization: `Bearer ${stack.adminKey}`, ...options.headers };
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: options.method ?? 'PUT', path: options.path ?? '/api/v1/system/settings', headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          stack.responses.push({ label: `hostile ${options.method ?? 'PUT'} → ${res.statusCode}`, text });
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      },
    );
    req.on('error', reject);
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

/** The docs/reference/rest.md shape and nothing else: a documented code and one sentence. */
function expectErrorShape(res: RawResponse, status: number, code = 'bad_request'): void {
  expect(res.status, res.text.slice(0, 300)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(
    Object.keys(res.body)
      .filter((k) => k !== 'details')
      .sort(),
  ).toEqual(['error', 'message']);
  expect(res.body.error).toBe(code);
  expect(DOCUMENTED_CODES).toContain(res.body.error);
  expect(res.body.message).toMatch(/^[A-Z].*[.]$/);
}

describe('gateway: hostile input', () => {
  let stack: Stack;
  const settingsVersion = async () => (await stack.api('GET', '/api/v1/system/settings')).body.version as number;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('non-JSON bodies are refused with 415, never applied', () => {
    it.each([
      ['curl -d (form-urlencoded)', 'application/x-www-form-urlencoded', (t: string) => `huggingface_token=${t}`],
      ['curl --data-urlencode', 'application/x-www-form-urlencoded', (t: string) => `huggingface_token=${encodeURIComponent(t)}&x=%7B%7D`],
      ['text/plain', 'text/plain', (t: string) => t],
      [
        'multipart',
        'multipart/form-data; boundary=x',
        (t: string) => `--x\r\nContent-Disposition: form-data; name="huggingface_token"\r\n\r\n${t}\r\n--x--\r\n`,
      ],
      ['JSON under another media type', 'application/x-json', (t: string) => JSON.stringify({ huggingface_token: t })],
    ])('%s', async (_name, contentType, body) => {
      const secret = newToken();
      const before = await settingsVersion();
      const res = await send(stack, { headers: { 'content-type': contentType }, body: body(secret) });
      expectErrorShape(res, 415);
      expect(res.body.message).toBe('The request body must be JSON (Content-Type: application/json).');
      expect(res.text).not.toContain(secret.slice(3));
      expect(await settingsVersion()).toBe(before);
    });

    it('a body without a content type', async () => {
      const secret = newToken();
      const res = await send(stack, { body: `huggingface_token=${secret}` });
      expectErrorShape(res, 415);
      expect(res.text).not.toContain(secret.slice(3));
    });

    it('JSON with a charset parameter is still JSON', async () => {
      const res = await send(stack, { headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{}' });
      expect(res.status).toBe(200);
    });
  });

  describe('an unknown field is named only when its name is a plain, short field name', () => {
    it('a typo of a real field is named, to help', async () => {
      const res = await send(stack, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ huggingface_tokn: 'x' }) });
      expectErrorShape(res, 400);
      expect(res.body.details).toEqual([{ field: 'huggingface_tokn', message: 'huggingface_tokn is not a known field' }]);
    });

    it.each([
      ['a 5 KB key', () => 'k'.repeat(5 * 1024)],
      ['a key that is a token', () => newToken()],
      ['a key that contains a token', () => `token_${newToken()}`],
      ['a key with a newline and quotes', () => 'a"\n}{"b'],
      ['a key of the form of the report', () => JSON.stringify({ huggingface_token: newToken() })],
    ])('%s is not repeated', async (_name, key) => {
      const name = key();
      const res = await send(stack, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ [name]: 1, huggingface_token: newToken() }) });
      expectErrorShape(res, 400);
      expect(res.body.message).toBe('Invalid request: the body has a field that is not known.');
      expect(res.text).not.toContain(name.slice(0, 12));
      for (const t of TOKENS) expect(res.text).not.toContain(t.slice(3));
    });

    it('a thousand hostile keys make one short answer', async () => {
      const body = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`${'x'.repeat(40)}${i}`, i]));
      const res = await send(stack, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expectErrorShape(res, 400);
      expect(res.text.length).toBeLessThan(300);
    });
  });

  describe('deep nesting is a 400, not a 500', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    it.each([
      ['the whole body', 'PUT', '/api/v1/system/settings', deep(20_000)],
      ['inside the token field', 'PUT', '/api/v1/system/settings', `{"huggingface_token":${deep(20_000)}}`],
      [
        'inside runtime_args of a model',
        'POST',
        '/api/v1/models',
        `{"id":"a/b","name":"n","type":"chat","runtime":"vllm","memory":"1GB","runtime_args":${deep(20_000)}}`,
      ],
      ['objects in objects', 'POST', '/api/v1/users', '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)],
    ])('%s', async (_name, method, path, body) => {
      const res = await send(stack, { method, path, headers: { 'content-type': 'application/json' }, body });
      expectErrorShape(res, 400);
      expect(res.body.message).toBe('The request body is nested more than 32 levels deep.');
    });

    it('an ordinary body a few levels deep is still accepted', async () => {
      const res = await send(stack, {
        method: 'POST',
        path: '/api/v1/models',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'nest/ok', name: 'n', type: 'embed', runtime: 'vllm', memory: '1GB', enabled: false, runtime_args: { args: ['--x'] } }),
      });
      expect(res.status, res.text).toBe(201);
    });
  });

  describe('too large', () => {
    const tenMegabytes = () =>
      Buffer.concat([Buffer.from(`{"huggingface_token":"${newToken()}","pad":"`), Buffer.alloc(10 * 1024 * 1024, 'a'), Buffer.from('"}')]);

    it('a 10 MB body with Content-Length gets a 413 in the docs/reference/rest.md shape before the connection closes', async () => {
      const body = tenMegabytes();
      const res = await send(stack, { headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body });
      expectErrorShape(res, 413);
      expect(res.body.message).toBe('The request body is too large (the limit is 1 MB).');
    });

    it('a 10 MB chunked body gets the same 413', async () => {
      const body = tenMegabytes();
      const chunks = Array.from({ length: 40 }, (_, i) => body.subarray((i * body.length) / 40, ((i + 1) * body.length) / 40));
      const res = await send(stack, { headers: { 'content-type': 'application/json' }, chunks });
      expectErrorShape(res, 413);
    });

    it('20 KB of headers get a 431 in the docs/reference/rest.md shape', async () => {
      const res = await send(stack, { method: 'GET', path: '/api/v1/users', headers: { 'x-padding': 'a'.repeat(20 * 1024) } });
      expectErrorShape(res, 431);
      expect(res.text).not.toContain('aaaa');
      expect(res.text).not.toContain('statusCode');
    });
  });

  describe("Fastify's own errors are answered in the docs/reference/rest.md shape", () => {
    it('a malformed escape in the path (FST_ERR_BAD_URL)', async () => {
      const res = await send(stack, { method: 'GET', path: '/api/v1/models/a%' });
      expectErrorShape(res, 400);
      expect(res.text).not.toContain('FST_');
      expect(res.text).not.toContain('a%');
    });

    it.each([
      ['invalid JSON that holds a token', () => `{"huggingface_token":"${newToken()}`, 'The request body is not valid JSON.'],
      ['an empty JSON body', () => '', 'The request body is empty; send a JSON object.'],
      ['prototype poisoning', () => `{"__proto__":{"admin":true},"huggingface_token":"${newToken()}"}`, 'The request body is not valid JSON.'],
    ])('%s', async (_name, body, message) => {
      const text = body();
      const res = await send(stack, { headers: { 'content-type': 'application/json' }, body: text });
      expectErrorShape(res, 400);
      expect(res.body.message).toBe(message);
      if (text) expect(res.text).not.toContain(text.slice(20, 40));
    });

    it('a 404 does not repeat the path', async () => {
      const res = await send(stack, { method: 'GET', path: '/api/v1/hf_path_segment_probe' });
      expectErrorShape(res, 404, 'not_found');
      expect(res.text).not.toContain('hf_path_segment_probe');
    });
  });

  it('no answer was a 500, every one had the docs/reference/rest.md shape, and no token reached a response or a log line', async () => {
    const hostile = stack.responses.filter((r) => r.label.startsWith('hostile'));
    expect(hostile.length).toBeGreaterThan(20);
    expect(hostile.filter((r) => Number(r.label.split('→ ')[1]) >= 500)).toEqual([]);
    for (const r of hostile.filter((h) => Number(h.label.split('→ ')[1]) >= 400)) expect(DOCUMENTED_CODES).toContain(JSON.parse(r.text).error);
    await assertNoSecrets(TOKENS, { texts: stack.texts() });
  });
});
