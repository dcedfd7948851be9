import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { normaliseBaseUrl } from './api-client';
import { buildProgram, run } from './cli';
import { bashCompletion, fishCompletion } from './completion';
import { outputFormat } from './context';
import { emit } from './emit';
import { CliError, EXIT_USAGE } from './errors';
import { buildModelPatch } from './model-input';
import { filterModels } from './commands/model';
import { Output } from './output';
import { startStubGateway, type StubGateway, type StubReply } from './testing/stub-gateway';
import { EXIT_TIMEOUT, parseDuration, syncProgress } from './wait';
import type { RunnerView } from '@helix/contracts';

/**
 * The habits of issue 14 in-process: output formats, filters, model update bodies, HELIX_URL forms,
 * durations, completion generated from the command tree and --wait against a stub gateway with a
 * fake clock. (test/cli-habits.e2e.ts runs the built CLI and the packed package against the stack.)
 */
const KEY = 'hl-habits-key';

function capture() {
  let stdout = '';
  let stderr = '';
  const out = new Output({ write: (t: string) => (stdout += t) }, { write: (t: string) => (stderr += t) });
  return { out, text: () => ({ stdout, stderr }) };
}

const runner = (id: string, inSync: boolean, version: number, state: 'online' | 'offline' = 'online') =>
  ({ id, state, in_sync: inSync, settings_version: version, slots: [] }) as unknown as RunnerView;

describe('output formats', () => {
  const shape = { kind: 'model', ids: (list: Array<{ id: string }>) => list.map((m) => m.id), table: () => 'TABLE', wide: () => 'WIDE' };
  const value = [{ id: 'a/b', memory: 1 }, { id: 'c' }];
  const print = (format: Parameters<typeof emit>[0]['format'], quiet = false) => {
    const { out, text } = capture();
    emit({ format, quiet, out }, value, shape);
    return text().stdout;
  };

  it('json, yaml (the same data), name (<kind>/<id>), -q (ids), wide and the table', () => {
    expect(JSON.parse(print('json'))).toEqual(value);
    expect(print('yaml')).toBe('- id: a/b\n  memory: 1\n- id: c\n');
    expect(parseYaml(print('yaml'))).toEqual(value);
    expect(print('name')).toBe('model/a/b\nmodel/c\n');
    expect(print('table', true)).toBe('a/b\nc\n');
    expect(print('wide')).toBe('WIDE\n');
    expect(print('table')).toBe('TABLE\n');
  });

  it('--json is -o json; -q or --json with another -o is a usage error', () => {
    expect(outputFormat({ json: true })).toEqual({ format: 'json', quiet: false });
    expect(outputFormat({ json: true, output: 'json' })).toEqual({ format: 'json', quiet: false });
    expect(outputFormat({ output: 'wide' })).toEqual({ format: 'wide', quiet: false });
    expect(outputFormat({ quiet: true })).toEqual({ format: 'table', quiet: true });
    for (const opts of [
      { json: true, output: 'yaml' as const },
      { quiet: true, output: 'name' as const },
      { quiet: true, json: true },
    ]) {
      expect(() => outputFormat(opts)).toThrow(CliError);
    }
  });
});

describe('inputs', () => {
  it('HELIX_URL with or without a trailing /, /api/v1 or /api/v1/ is the same gateway; a prefix stays', () => {
    for (const raw of ['http://h:8080', 'http://h:8080/', 'http://h:8080/api/v1', 'http://h:8080/api/v1/', 'http://h:8080//api/v1//']) {
      expect(normaliseBaseUrl(raw)).toBe('http://h:8080');
    }
    expect(normaliseBaseUrl('https://example.com/helix/api/v1/')).toBe('https://example.com/helix');
  });

  it('durations: ms, s, m, h or plain seconds; anything else is a usage error', () => {
    expect([parseDuration('500ms'), parseDuration('2s'), parseDuration('2'), parseDuration('1.5m'), parseDuration('1h')]).toEqual([
      500, 2000, 2000, 90_000, 3_600_000,
    ]);
    for (const bad of ['', '0s', '-1s', 'soon', '2d', '25h']) expect(() => parseDuration(bad)).toThrow(expect.objectContaining({ exitCode: EXIT_USAGE }));
  });

  it('model update sends only the fields given: the file, then the flags; the id from the argument or the file', () => {
    expect(buildModelPatch('a/b', { memory: '2GB', disabled: true })).toEqual({ id: 'a/b', body: { memory: '2GB', enabled: false } });
    expect(buildModelPatch(undefined, { prewarm: false }, { id: 'a/b', name: 'N', prewarm: true })).toEqual({
      id: 'a/b',
      body: { id: 'a/b', name: 'N', prewarm: false },
    });
    expect(buildModelPatch('a/b', { memory: '1000' }).body).toEqual({ memory: 1000 });
    expect(() => buildModelPatch('a/b', {})).toThrow(/nothing to change/);
    expect(() => buildModelPatch(undefined, { name: 'x' })).toThrow(/missing model id/);
  });

  it('model list filters combine', () => {
    const models = [
      { id: 'a', type: 'chat', runtime: 'vllm', enabled: true },
      { id: 'b', type: 'embed', runtime: 'vllm', enabled: false },
      { id: 'c', type: 'chat', runtime: 'other', enabled: false },
    ];
    const ids = (f: Parameters<typeof filterModels>[1]) => filterModels(models, f).map((m) => m.id);
    expect(ids({})).toEqual(['a', 'b', 'c']);
    expect(ids({ type: 'chat' })).toEqual(['a', 'c']);
    expect(ids({ type: 'chat', disabled: true })).toEqual(['c']);
    expect(ids({ runtime: 'vllm', enabled: true })).toEqual(['a']);
  });
});

describe('completion', () => {
  const program = () => buildProgram({ out: capture().out, env: {}, stdin: Readable.from([]), interactive: false });

  it('is generated from the command tree: a command added to the program is completed', () => {
    const p = program();
    p.command('frobnicate').alias('fb').option('--speed <n>', 'how fast');
    const script = bashCompletion(p);
    expect(script).toContain(`'/frobnicate') echo 'frobnicate' ;;`);
    expect(script).toContain(`'/fb') echo 'frobnicate' ;;`);
    expect(script).toContain(`'frobnicate') echo '--speed --version -V --url --api-key --output -o --json --quiet -q --help -h' ;;`);
    expect(script).toContain(`'frobnicate/-o') echo 'json yaml wide name' ;;`);
    expect(fishCompletion(p)).toContain(`-a 'frobnicate'`);
  });

  it('the bash script completes subcommands, options and option values in bash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-completion-'));
    try {
      const file = join(dir, 'helix.bash');
      writeFileSync(file, bashCompletion(program()));
      const complete = (words: string[]) =>
        execFileSync(
          'bash',
          [
            '-c',
            `source "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _helix_completion; echo "\${COMPREPLY[*]}"`,
            'x',
            file,
          ],
          { encoding: 'utf8' },
        ).trim();
      expect(complete(['helix', 'sys'])).toBe('system');
      expect(complete(['helix', 'system', 'settings', ''])).toBe('get set');
      expect(complete(['helix', 'org', 'member', 'add', '--role', ''])).toBe('owner member');
      expect(complete(['helix', '-o', 'yaml', 'user', 'l'])).toBe('list ls');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--wait and runner wait (stub gateway, fake clock)', () => {
  let stub: StubGateway;
  let runners: () => RunnerView[];
  let clock: number;
  let forbidden = false;
  const io = (out: Output) => ({
    out,
    env: { HELIX_URL: `${stub.url}/api/v1/`, HELIX_API_KEY: KEY },
    stdin: Readable.from([]),
    interactive: false,
    progress: true,
    now: () => clock,
    sleep: async (ms: number) => void (clock += ms),
  });
  const helix = async (argv: string[]) => {
    const { out, text } = capture();
    const code = await run(argv, io(out));
    return { code, ...text() };
  };

  beforeAll(async () => {
    stub = await startStubGateway((req): StubReply => {
      if (req.url === '/api/v1/runners' && forbidden) return { status: 403, body: { error: 'forbidden', message: 'Admin privileges are required.' } };
      if (req.url === '/api/v1/runners') return { status: 200, body: runners() };
      if (req.url === '/api/v1/orgs/acme/settings' && req.method === 'PUT')
        return { status: 200, body: { id: 'org:acme', scope: 'org', scope_id: 'acme', version: 2, huggingface_token_fingerprint: null } };
      if (req.url === '/api/v1/system/settings' && req.method === 'PUT')
        return { status: 200, body: { id: 'system', version: 7, huggingface_token_fingerprint: null } };
      return { status: 404, body: { error: 'not_found', message: 'No such route.' } };
    });
  });
  afterAll(() => stub.close());
  beforeEach(() => {
    clock = 0;
    forbidden = false;
  });

  it('a scoped set waits the same way; without an admin key the change is made and the wait says why it cannot watch', async () => {
    runners = () => [runner('a', true, 1)];
    const org = await helix(['org', 'settings', 'set', 'acme', '--clear-hf-token', '--wait', '-o', 'name']);
    expect(org).toMatchObject({ code: 0, stdout: 'settings/acme\n', stderr: '\r1/1 runners in sync\n' });
    forbidden = true;
    stub.seen.length = 0;
    const refused = await helix(['org', 'settings', 'set', 'acme', '--clear-hf-token', '--wait']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: cannot wait for runners to apply the change of org acme (version 2): reading the runners (GET /api/v1/runners) needs an admin API key\n',
    );
    expect(stub.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['PUT /api/v1/orgs/acme/settings', 'GET /api/v1/runners']);
  });

  it('counts online runners only, and for a global change the version too', () => {
    const p = syncProgress([runner('a', true, 7), runner('b', true, 6), runner('c', false, 1, 'offline')], 7);
    expect(p).toEqual({ total: 2, inSync: 1, behind: [{ id: 'b', settings_version: 6 }] });
  });

  it('returns once every online runner is in sync, with "k/n runners in sync" progress on stderr', async () => {
    let polls = 0;
    runners = () =>
      ++polls < 3 ? [runner('a', true, 7), runner('b', false, 6)] : [runner('a', true, 7), runner('b', true, 7), runner('c', false, 1, 'offline')];
    const r = await helix(['system', 'settings', 'set', '--clear-hf-token', '--wait', '--timeout', '10s']);
    expect(r).toMatchObject({ code: 0, stderr: '\r1/2 runners in sync\r2/2 runners in sync\n' });
    expect(r.stdout).toBe('Global Hugging Face token cleared (version 7); runners fall back to their own HF_TOKEN.\nRunners in sync: 2/2 online.\n');
    expect(polls).toBe(3);
  });

  it('times out with exit 3 and one line naming the runners behind; a global change waits for its version', async () => {
    runners = () => [runner('a', true, 7), runner('b', false, 6)];
    const r = await helix(['runner', 'wait', '--in-sync', '--timeout', '2s', '-o', 'json']);
    expect(r).toMatchObject({ code: EXIT_TIMEOUT, stdout: '' });
    expect(r.stderr).toBe(
      '\r1/2 runners in sync\nerror: timed out after 2s waiting for the runners to get in sync: 1/2 runners in sync; not yet: b (version 6). Check them with: helix runner list\n',
    );
    expect(clock).toBe(2000);

    clock = 0;
    // In sync with the stream, but not yet at the version just set: still waited for.
    runners = () => [runner('a', true, 7), runner('b', true, 6)];
    const set = await helix(['system', 'settings', 'set', '--clear-hf-token', '--wait', '--timeout', '1500ms']);
    expect(set.code).toBe(EXIT_TIMEOUT);
    expect(set.stderr).toBe(
      '\r1/2 runners in sync\nerror: timed out after 1.5s waiting for runners to apply global settings version 7: 1/2 runners in sync; not yet: b (version 6). Check them with: helix runner list\n',
    );
    expect(clock).toBe(1500);
  });

  it('--timeout without --wait, and runner wait without --in-sync, are usage errors; nothing is sent', async () => {
    stub.seen.length = 0;
    expect((await helix(['system', 'settings', 'set', '--clear-hf-token', '--timeout', '2s'])).code).toBe(EXIT_USAGE);
    expect((await helix(['runner', 'wait'])).code).toBe(EXIT_USAGE);
    expect(stub.seen).toEqual([]);
  });
});
