import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpPostgres, startStack, type Stack } from '@helix/testing';

const base = { name: 'm', type: 'embed', runtime: 'vllm', memory: '1GB', enabled: false };
const enc = (id: string) => `/api/v1/models/${encodeURIComponent(id)}`;

describe('model routes: validation, errors and authorization', () => {
  let stack: Stack;
  let userKey: string;

  beforeAll(async () => {
    stack = await startStack({});
    userKey = (await stack.api('POST', '/api/v1/users', { name: 'reader', admin: false })).body.api_key;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const fields = (res: { body: any }) => (res.body?.details ?? []).map((d: any) => d.field);

  it.each([
    ['39GB', 39_000_000_000],
    ['39GiB', 39 * 1024 ** 3],
    ['512MiB', 512 * 1024 ** 2],
    ['1.5TB', 1_500_000_000_000],
    ['24 GB', 24_000_000_000],
    [41943040000, 41943040000],
    ['1000', 1000],
  ])('memory %j is stored as %d bytes', async (memory, bytes) => {
    const id = `mem/${String(memory).replace(/[^A-Za-z0-9.]/g, '_')}`;
    const res = await stack.api('POST', '/api/v1/models', { ...base, id, memory });
    expect(res.status).toBe(201);
    expect(res.body.memory).toBe(bytes);
    expect((await stack.api('GET', `/api/v1/models/${id}`)).body.memory).toBe(bytes);
  });

  it.each([['garbage'], ['39XB'], ['-5GB'], [0], [-1], [1.5], [''], [null], [true], [[1]]])('memory %j is a 400 naming memory', async (memory) => {
    const res = await stack.api('POST', '/api/v1/models', { ...base, id: 'mem/bad', memory });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
    expect(fields(res)).toEqual(['memory']);
  });

  it('accepts runtime_args as {"args": [...]} and returns the array', async () => {
    const res = await stack.api('POST', '/api/v1/models', { ...base, id: 'args/obj', runtime_args: { args: ['--foo', 'bar'] } });
    expect(res.status).toBe(201);
    expect(res.body.runtime_args).toEqual(['--foo', 'bar']);
  });

  it('applies the defaults', async () => {
    const res = await stack.api('POST', '/api/v1/models', { id: 'defaults/x', name: 'x', type: 'embed', runtime: 'vllm', memory: 1000 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ enabled: true, auto_pull: false, prewarm: false, runtime_args: [], description: '', context_length: null });
    // Enabled but no runner: recorded as not placed, with a clear reason.
    expect(res.body.slots).toEqual([
      expect.objectContaining({ state: 'scheduled', runner_id: null, error: { code: 'no_capacity', message: expect.stringMatching(/No online runner/) } }),
    ]);
  });

  it.each([
    ['no id', { ...base }, 'id'],
    ['bad id', { ...base, id: 'a//b' }, 'id'],
    ['dot-dot id', { ...base, id: 'a/../b' }, 'id'],
    ['no name', { ...base, id: 'x/1', name: undefined }, 'name'],
    ['no type', { ...base, id: 'x/2', type: undefined }, 'type'],
    ['unknown type', { ...base, id: 'x/3', type: 'audio' }, 'type'],
    ['no runtime', { ...base, id: 'x/4', runtime: undefined }, 'runtime'],
    ['no memory', { ...base, id: 'x/5', memory: undefined }, 'memory'],
    ['chat without context_length', { ...base, id: 'x/6', type: 'chat' }, 'context_length'],
    ['context_length not an integer', { ...base, id: 'x/7', context_length: 'big' }, 'context_length'],
    ['context_length zero', { ...base, id: 'x/8', context_length: 0 }, 'context_length'],
    ['enabled not a boolean', { ...base, id: 'x/9', enabled: 'yes' }, 'enabled'],
    ['prewarm null', { ...base, id: 'x/10', prewarm: null }, 'prewarm'],
    ['runtime_args not strings', { ...base, id: 'x/11', runtime_args: ['--a', 1] }, 'runtime_args'],
    ['runtime_args object with other keys', { ...base, id: 'x/12', runtime_args: { argv: [] } }, 'runtime_args'],
    ['description not a string', { ...base, id: 'x/13', description: 5 }, 'description'],
    ['unknown field', { ...base, id: 'x/14', gpu: 2 }, 'gpu'],
  ])('POST with %s is a 400 naming the field', async (_, body, field) => {
    const res = await stack.api('POST', '/api/v1/models', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
    expect(fields(res)).toContain(field);
    expect(res.body.message).toMatch(new RegExp(field));
  });

  it('rejects other runtimes as not supported yet', async () => {
    const res = await stack.api('POST', '/api/v1/models', { ...base, id: 'x/ollama', runtime: 'ollama' });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ field: 'runtime', message: expect.stringMatching(/not supported yet/) }]);
  });

  describe('a Hugging Face token in runtime_args is refused and never kept in clear', () => {
    const token = `hf_runtimeArgs${Date.now()}AbCdEfGhIjKl`;
    const leaks = async () => {
      const texts = [await dumpPostgres(stack.pg.url), ...stack.texts().map((t) => t.text)];
      return texts.filter((t) => t.includes(token)).length;
    };

    it.each([
      ['the --hf-token flag', ['--hf-token', token]],
      ['the --hf-token= form', [`--hf-token=${token}`]],
      ['a bare token value', ['--download-dir', '/models', token]],
      ['the {"args": [...]} form', { args: [`--hf-token=${token}`] }],
    ])('POST with %s is a 400 pointing at the token route; nothing is stored', async (_, runtime_args) => {
      const res = await stack.api('POST', '/api/v1/models', { ...base, id: 'token/in-args', runtime_args });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'bad_request',
        message: expect.stringMatching(/^Invalid request: runtime_args must not carry a Hugging Face token .*PUT \/api\/v1\/system\/settings.*\.$/),
        details: [{ field: 'runtime_args', message: expect.any(String) }],
      });
      expect(JSON.stringify(res.body)).not.toContain(token);
      expect((await stack.api('GET', enc('token/in-args'))).status).toBe(404);
    });

    it('PUT with a token in runtime_args is a 400 and keeps the stored args', async () => {
      const id = 'token/put-args';
      expect((await stack.api('POST', '/api/v1/models', { ...base, id, runtime_args: ['--enforce-eager'] })).status).toBe(201);
      for (const runtime_args of [['--hf-token', token], [`--hf-token=${token}`], [token]]) {
        const res = await stack.api('PUT', enc(id), { runtime_args, description: 'changed' });
        expect(res.status).toBe(400);
        expect(res.body.details).toEqual([{ field: 'runtime_args', message: expect.stringMatching(/PUT \/api\/v1\/system\/settings/) }]);
        expect(JSON.stringify(res.body)).not.toContain(token);
      }
      expect((await stack.api('GET', enc(id))).body).toMatchObject({ runtime_args: ['--enforce-eager'], description: '' });
    });

    it('the refused token is in no row, log line or response', async () => {
      expect(await leaks()).toBe(0);
    });
  });

  it('rejects bodies that are not JSON objects', async () => {
    for (const body of ['{"id":', '[]', '"x"']) {
      const res = await stack.api('POST', '/api/v1/models', body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('bad_request');
    }
  });

  it('a duplicate id is a 409 that does not repeat the id', async () => {
    const body = { ...base, id: 'dup/model' };
    expect((await stack.api('POST', '/api/v1/models', body)).status).toBe(201);
    const res = await stack.api('POST', '/api/v1/models', body);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'conflict', message: 'A model with this id already exists.' });
    expect(res.text).not.toContain('dup/model');
  });

  it('GET/PUT/DELETE of an unknown id are 404; of a malformed id 400', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const body = method === 'PUT' ? { name: 'y' } : undefined;
      expect((await stack.api(method, '/api/v1/models/nobody/here', body)).status).toBe(404);
      const bad = await stack.api(method, '/api/v1/models/a%2F%2Fb', body);
      expect(bad.status).toBe(400);
      expect(fields(bad)).toEqual(['id']);
    }
  });

  it('PUT changes only the given fields, validates them, and keeps the id', async () => {
    const id = 'put/model';
    expect((await stack.api('POST', '/api/v1/models', { ...base, id, description: 'before' })).status).toBe(201);
    const res = await stack.api('PUT', enc(id), { description: 'after', memory: '2GiB' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: 'm', description: 'after', memory: 2 * 1024 ** 3, enabled: false });
    expect((await stack.api('PUT', `/api/v1/models/${id}`, { memory: 'lots' })).status).toBe(400);
    const mismatch = await stack.api('PUT', `/api/v1/models/${id}`, { id: 'other/id' });
    expect(mismatch.status).toBe(400);
    expect(fields(mismatch)).toEqual(['id']);
    const chat = await stack.api('PUT', `/api/v1/models/${id}`, { type: 'chat' });
    expect(chat.status).toBe(400);
    expect(fields(chat)).toEqual(['context_length']);
    expect((await stack.api('PUT', `/api/v1/models/${id}`, { unknown: 1 })).status).toBe(400);
  });

  it('DELETE removes the model', async () => {
    const id = 'del/model';
    expect((await stack.api('POST', '/api/v1/models', { ...base, id })).status).toBe(201);
    const res = await stack.api('DELETE', `/api/v1/models/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(id);
    expect((await stack.api('GET', enc(id))).status).toBe(404);
  });

  it('writes need an admin, reads any user, and everything a key', async () => {
    expect((await stack.api('GET', '/api/v1/models', undefined, userKey)).status).toBe(200);
    expect((await stack.api('GET', '/api/v1/models/mem/39GB', undefined, userKey)).status).toBe(200);
    for (const [method, path] of [
      ['POST', '/api/v1/models'],
      ['PUT', '/api/v1/models/mem/39GB'],
      ['DELETE', '/api/v1/models/mem/39GB'],
    ] as const) {
      const res = await stack.api(method, path, method === 'DELETE' ? undefined : { ...base, id: 'w/x' }, userKey);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('forbidden');
    }
    expect((await stack.api('GET', '/api/v1/models', undefined, null)).status).toBe(401);
  });

  it('answers 503 while the models service is down, and nothing is written', async () => {
    await stack.models.stop();
    const res = await stack.api('POST', '/api/v1/models', { ...base, id: 'down/model' });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('unavailable');
    await stack.startModelsService();
    expect((await stack.api('GET', enc('down/model'))).status).toBe(404);
    expect((await stack.api('GET', '/api/v1/models/mem/39GB')).status).toBe(200);
  }, 60_000);
});
