import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, scanForSecrets, eventually, SEED_MODEL_FILE as SEED_FILE, SEED_MODEL_VIEW as SEED_VIEW, startStack, type Stack } from '@helix/testing';

/**
 * The built `helix` CLI as a child process (node dist/apps/cli/main.js, bin/helix, npx helix)
 * against the real stack: NATS, Postgres, settings-service, models-service, gateway, one runner
 * with bin/vllm-sim. Every output of every run is kept and scanned for the tokens at the end.
 */
const ROOT = repoRoot();
const CLI = join(ROOT, 'dist/apps/cli/main.js');
const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const stamp = Date.now();
const TOKEN_A = `hf_cliAlpha${stamp}z`;
const TOKEN_B = `hf_cliBravo${stamp}z`;
const TOKEN_C = `hf_cliCharlie${stamp}z`;
const TOKEN_README = `hf_cliReadme${stamp}z`;
const TOKENS = [TOKEN_A, TOKEN_B, TOKEN_C, TOKEN_README];

const SEED_ID = 'Qwen/Qwen2.5-VL-7B-Instruct';
/** Seed Step 2 (docs/reference/cli.md), verbatim. */
const SEED_FLAGS = [
  'model',
  'create',
  SEED_ID,
  '--name',
  'Qwen 2.5 VL 7B',
  '--type',
  'chat',
  '--runtime',
  'vllm',
  '--memory',
  '39GB',
  '--context',
  '32768',
  '--description',
  '…',
  '--enabled',
  '--auto-pull',
  '--prewarm',
  '--runtime-args',
  '["--trust-remote-code","--max-model-len","32768"]',
];
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every CLI output of the suite, for the final token scan. */
const transcript: Array<{ label: string; text: string }> = [];

function record(label: string, r: Run): Run {
  transcript.push({ label: `${label} stdout`, text: r.stdout }, { label: `${label} stderr`, text: r.stderr });
  return r;
}

function exec(file: string, args: string[], env: Record<string, string | undefined>, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: ROOT, env: env as NodeJS.ProcessEnv, timeout: 60_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin!.end(input ?? '');
  });
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('helix CLI end to end', () => {
  let stack: Stack;
  let tmp: string;
  /** HELIX_API_KEY for a run: the admin key by default, `null` for none. */
  const env = (key: string | null = stack.adminKey, url = stack.url): Record<string, string | undefined> => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    HELIX_URL: url,
    ...(key === null ? {} : { HELIX_API_KEY: key }),
  });
  const helix = async (args: string[], opts: { key?: string | null; url?: string; input?: string } = {}): Promise<Run> =>
    record(
      `helix ${args.join(' ')}`,
      await exec(process.execPath, [CLI, ...args], env(opts.key === undefined ? stack.adminKey : opts.key, opts.url ?? stack.url), opts.input),
    );
  const json = async (args: string[], opts: { key?: string | null; input?: string } = {}): Promise<any> => {
    const r = await helix([...args, '--json'], opts);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  };
  const expectOneLineError = (r: Run, code: number, pattern: RegExp): void => {
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    tmp = mkdtempSync(join(tmpdir(), 'helix-cli-e2e-'));
    stack = await startStack({
      runners: [{ id: 'cli-gpu-1', memory: '80GB', env: { VLLM_SIM_GATED: 'gated/*', VLLM_SIM_VALID_TOKENS: TOKENS.join(',') } }],
    });
  });

  afterAll(async () => {
    await stack?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('system settings get: nothing configured yet (table and --json)', async () => {
    // The runner registers with its first heartbeat; until then there is nothing to count.
    const r = await eventually(
      async () => {
        const g = await helix(['system', 'settings', 'get']);
        return /Runners in sync:\s+1\/1/.test(g.stdout) ? g : undefined;
      },
      20_000,
      'the runner to be counted in sync',
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/Hugging Face token:\s+not configured/);
    expect(r.stdout).toMatch(/Source:\s+none/);
    expect(r.stdout).toMatch(/Version:\s+0/);
    expect(await json(['system', 'settings', 'get'])).toMatchObject({
      id: 'system',
      huggingface_token_set: false,
      huggingface_token_source: 'none',
      huggingface_token_fingerprint: null,
      version: 0,
    });
  });

  it('system settings set --huggingface-token-stdin: the fingerprint is shown, never the token; every runner gets in sync', async () => {
    const r = await helix(['system', 'settings', 'set', '--huggingface-token-stdin'], { input: `${TOKEN_A}\n` });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(fp(TOKEN_A));
    expect(r.stdout).toMatch(/version 1/);
    await stack.runners
      .get('cli-gpu-1')!
      .waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.version === 1 && l.token_provided === true);
    const table = await eventually(
      async () => {
        const g = await helix(['system', 'settings', 'get']);
        return /Runners in sync:\s+1\/1/.test(g.stdout) && g.stdout;
      },
      20_000,
      'settings get to report 1/1 runners in sync',
    );
    expect(table).toMatch(/Hugging Face token:\s+configured/);
    expect(table).toMatch(/Source:\s+database/);
    expect(table).toContain(`Fingerprint:         ${fp(TOKEN_A)}`);
    expect(table).toMatch(/Version:\s+1/);
  });

  it('system settings set --huggingface-token <t> --json (a script: the process-list warning all the same, on stderr)', async () => {
    const r = await helix(['system', 'settings', 'set', '--huggingface-token', TOKEN_B, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: the token given with --huggingface-token is visible to other local users in the process list[^\n]*--huggingface-token-stdin avoids it\n$/,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({
      huggingface_token_set: true,
      huggingface_token_source: 'database',
      huggingface_token_fingerprint: fp(TOKEN_B),
      version: 2,
    });
  });

  it('--huggingface-token in an interactive shell warns (under a pseudo-terminal)', async () => {
    // `script` gives the CLI a TTY; --clear-hf-token is not used so the flag path is exercised, then B is restored.
    const cmd = `${process.execPath} ${CLI} system settings set --huggingface-token ${TOKEN_C}; echo "exit=$?"`;
    const r = record('helix (tty) set --huggingface-token', await exec('script', ['-qec', cmd, '/dev/null'], env()));
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toMatch(/warning: the token given with --huggingface-token is visible to other local users in the process list/);
    expect(out).toContain('exit=0');
    expect(out).toContain(fp(TOKEN_C));
    expect(out).not.toContain(TOKEN_C);
    expect((await json(['system', 'settings', 'set', '--huggingface-token-stdin'], { input: TOKEN_B })).version).toBe(4);
  });

  it('runner list shows the current settings version and each runner in sync (table and --json)', async () => {
    const runners = await eventually(
      async () => {
        const list = await json(['runner', 'list']);
        return list.length === 1 && list[0].in_sync && list[0].settings_version === 4 && list;
      },
      20_000,
      'the runner to apply version 4',
    );
    expect(runners[0]).toMatchObject({ id: 'cli-gpu-1', state: 'online', memory_total: 80_000_000_000, hf_token_provided: true, settings_applied: 1 });
    const r = await helix(['runner', 'list']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Current settings version: 4');
    expect(lines[2]).toMatch(
      /^ID\s+STATE\s+MEMORY \(USED\/TOTAL\)\s+GPUS \(USED\/TOTAL\)\s+SLOTS\s+SETTINGS VERSION\s+IN SYNC\s+SCOPES\s+HF TOKEN\s+LAST SEEN$/,
    );
    expect(lines[3]).toMatch(/^cli-gpu-1\s+online\s+\S+\/80GB\s+\S+.*\s4\s+yes\s+1\s+provided\s/);
  });

  let userKey: string;

  it('user create prints the API key once (table and --json); the key works', async () => {
    const r = await helix(['user', 'create', '--name', 'alice']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Created user alice \(id \S+, admin: no\)\./);
    userKey = /API key: (\S+)/.exec(r.stdout)![1];
    expect(userKey).toMatch(/^hl-/);
    const admin = await json(['user', 'create', '--name', 'bob', '--admin']);
    expect(admin).toMatchObject({ name: 'bob', admin: true });
    expect(admin.api_key).toMatch(/^hl-/);
    expect((await stack.api('GET', '/api/v1/users/me', undefined, userKey)).body).toMatchObject({ name: 'alice', admin: false });
  });

  it('401: no key or a wrong key → "set HELIX_API_KEY", exit 1, the key never echoed', async () => {
    expectOneLineError(await helix(['system', 'settings', 'get'], { key: null }), 1, /set HELIX_API_KEY/);
    const wrong = `hl-wrong-${stamp}`;
    const r = await helix(['runner', 'list'], { key: wrong });
    expectOneLineError(r, 1, /API key was rejected .*set HELIX_API_KEY/);
    expect(r.stderr).not.toContain(wrong);
  });

  it('403: a non-admin key → "admin privileges are required", exit 1', async () => {
    for (const args of [
      ['system', 'settings', 'get'],
      ['runner', 'list'],
      ['user', 'create', '--name', 'mallory'],
      ['system', 'settings', 'set', '--clear-hf-token'],
    ]) {
      expectOneLineError(await helix(args, { key: userKey }), 1, /admin privileges are required/);
    }
    // Nothing was cleared by the refused call.
    expect((await json(['system', 'settings', 'get'])).huggingface_token_fingerprint).toBe(fp(TOKEN_B));
  });

  it('400: the invalid fields are listed, exit 1', async () => {
    expectOneLineError(await helix(['user', 'create', '--name', 'not a valid name!']), 1, /^error: invalid request \(HTTP 400\): invalid fields: name \(/);
    expectOneLineError(
      await helix(['model', 'create', 'org/bad-model', '--name', 'bad', '--type', 'chat', '--runtime', 'vllm', '--memory', 'lots']),
      1,
      /^error: invalid request \(HTTP 400\): invalid fields: .*memory/,
    );
  });

  it('an unreachable server: the URL is named, exit 1 (env and --url)', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    expectOneLineError(
      await helix(['system', 'settings', 'get'], { url }),
      1,
      new RegExp(`cannot reach the Helix API at ${url.replace(/\./g, '\\.')} \\(connection refused\\)`),
    );
    expectOneLineError(await helix(['--url', url, 'model', 'list']), 1, new RegExp(`at ${url.replace(/\./g, '\\.')} `));
  });

  it('malformed --runtime-args (exit 2) and --file (exit 1) say where; usage errors exit 2', async () => {
    expectOneLineError(
      await helix(['model', 'create', 'org/m', '--name', 'm', '--runtime-args', '["--trust-remote-code" "--max-model-len"]']),
      2,
      /^error: --runtime-args is not valid JSON: expected "," between two values but found a string at line 1, column 24 \(position 23\)$/m,
    );
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{"id": "org/m",\n "name": "m",\n "memory": 39GB\n}\n');
    expectOneLineError(
      await helix(['model', 'create', '--file', broken]),
      1,
      new RegExp(`--file ${broken} is not valid JSON: .* at line 3, column 14 \\(position 43\\)`),
    );
    expectOneLineError(await helix(['model', 'create', '--file', join(tmp, 'missing.json')]), 1, /cannot read --file .*: no such file/);
    expectOneLineError(await helix(['modle', 'list']), 2, /unknown command 'modle' \(Did you mean model\?\)/);
    expectOneLineError(await helix(['model', 'create', 'org/m']), 2, /--name is required/);
    expectOneLineError(await helix(['system', 'settings', 'set']), 2, /say what to set/);
  });

  it('model create --help shows the comprehensive vLLM example from the seed', async () => {
    const r = await helix(['model', 'create', '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(SEED_FILE.trimEnd());
    expect(r.stdout).toContain(`--runtime-args '["--trust-remote-code","--max-model-len","32768"]'`);
    expect(r.stdout).toContain('helix model create --file model.json');
  });

  it('seed step 2, flags form verbatim: created, started on the runner with the global token; get shows the slot', async () => {
    const r = await helix(SEED_FLAGS);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`Created model ${SEED_ID}.`);
    expect(await json(['model', 'get', SEED_ID])).toMatchObject(SEED_VIEW);
    const model = await eventually(
      async () => {
        const m = await json(['model', 'get', SEED_ID]);
        return m.slots?.[0]?.state === 'running' && m;
      },
      30_000,
      'the seed model to run',
    );
    expect(model.slots[0]).toMatchObject({ runner_id: 'cli-gpu-1', hf_token_source: 'global', hf_token_fingerprint: fp(TOKEN_B), error: null });
    const table = await helix(['model', 'get', SEED_ID]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(/Memory:\s+39GB/);
    expect(table.stdout).toMatch(new RegExp(`\\scli-gpu-1\\s+0\\s+running\\s+\\d+\\s+global\\s+${fp(TOKEN_B)}\\s+http://\\S+\\s+-\\n`));
  });

  it('model list (table and --json)', async () => {
    const list = await json(['model', 'list']);
    expect(list.map((m: any) => m.id)).toContain(SEED_ID);
    const r = await helix(['model', 'list']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^ID\s+NAME\s+TYPE\s+RUNTIME\s+MEMORY\s+CONTEXT\s+ENABLED\s+PREWARM\s+SLOTS\n/);
    expect(r.stdout).toMatch(
      new RegExp(`${SEED_ID.replace(/\./g, '\\.')}\\s+Qwen 2\\.5 VL 7B\\s+chat\\s+vllm\\s+39GB\\s+32768\\s+yes\\s+yes\\s+1 \\(1 running\\)`),
    );
  });

  it('duplicate id: 409 as one line; model delete stops and deletes; get is then 404', async () => {
    expectOneLineError(await helix(SEED_FLAGS), 1, /HTTP 409 conflict/);
    const del = await helix(['model', 'delete', SEED_ID]);
    expect(del).toMatchObject({ code: 0, stderr: '' });
    expect(del.stdout).toMatch(new RegExp(`^Deleted model ${SEED_ID.replace(/\./g, '\\.')}`));
    expectOneLineError(await helix(['model', 'get', SEED_ID]), 1, /HTTP 404 not found/);
  });

  it('seed step 2, --file form verbatim (no --name), then flags override file values', async () => {
    const file = join(tmp, 'model.json');
    writeFileSync(file, SEED_FILE);
    const r = await helix(['model', 'create', '--file', file, '--json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject(SEED_VIEW);
    expect((await json(['model', 'delete', SEED_ID])).id).toBe(SEED_ID);

    const overridden = await json([
      'model',
      'create',
      'org/override-model',
      '--file',
      file,
      '--name',
      'Overridden',
      '--memory',
      '2GB',
      '--disabled',
      '--no-prewarm',
    ]);
    expect(overridden).toMatchObject({ ...SEED_VIEW, id: 'org/override-model', name: 'Overridden', memory: 2_000_000_000, enabled: false, prewarm: false });
    expect(overridden.slots).toEqual([]);
    await json(['model', 'delete', 'org/override-model']);
  });

  it('model get shows a failed slot with its error (hf_auth) and token source, then the retry once a token arrives', async () => {
    expect((await helix(['system', 'settings', 'set', '--clear-hf-token'])).code).toBe(0);
    await stack.runners.get('cli-gpu-1')!.waitFor((l) => l.msg === 'updated hugging face token from control plane' && l.token_provided === false);
    await json(['model', 'create', 'gated/cli-model', '--name', 'gated', '--type', 'chat', '--runtime', 'vllm', '--memory', '1GB', '--context', '4096']);
    const failed = await eventually(
      async () => {
        const m = await json(['model', 'get', 'gated/cli-model']);
        return m.slots?.[0]?.error?.code === 'hf_auth' && m;
      },
      30_000,
      'an hf_auth slot',
    );
    expect(failed.slots[0]).toMatchObject({ state: 'failed', hf_token_source: 'none' });
    const table = await helix(['model', 'get', 'gated/cli-model']);
    expect(table.stdout).toMatch(/\scli-gpu-1\s+0\s+failed\s+\d+\s+none\s+-\s+\S+\s+hf_auth: /);

    const set = await helix(['system', 'settings', 'set', '--huggingface-token-stdin'], { input: TOKEN_A });
    expect(set.code).toBe(0);
    const running = await eventually(
      async () => {
        const m = await json(['model', 'get', 'gated/cli-model']);
        return m.slots?.[0]?.state === 'running' && m;
      },
      30_000,
      'the gated model to run once the token arrived',
    );
    expect(running.slots[0]).toMatchObject({ hf_token_source: 'global', hf_token_fingerprint: fp(TOKEN_A), error: null });
    await json(['model', 'delete', 'gated/cli-model']);
  });

  it('bin/helix and `npx helix` run the same CLI from the repo root', async () => {
    const viaBin = record('bin/helix runner list --json', await exec(join(ROOT, 'bin/helix'), ['runner', 'list', '--json'], env()));
    expect(viaBin.code).toBe(0);
    expect(JSON.parse(viaBin.stdout)[0].id).toBe('cli-gpu-1');
    const viaNpx = record('npx helix --version', await exec('npx', ['--no', '--', 'helix', '--version'], env()));
    expect(viaNpx.code).toBe(0);
    expect(viaNpx.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  describe('README quickstart', () => {
    /** The `helix` lines of the code blocks in README.md's Quickstart section (continuations joined). */
    const quickstart = (): string[] => {
      const readme = join(ROOT, 'README.md');
      if (!existsSync(readme)) return [];
      const text = readFileSync(readme, 'utf8');
      const heading = /^(#+) .*quick ?start.*$/im.exec(text);
      if (!heading) return [];
      const body = text.slice(heading.index + heading[0].length);
      const end = body.search(new RegExp(`^#{1,${heading[1].length}} `, 'm'));
      const section = end < 0 ? body : body.slice(0, end);
      const blocks = [...section.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1].replace(/\\\n\s*/g, ''));
      return blocks
        .flatMap((b) => b.split('\n'))
        .map((l) => l.replace(/\s+#.*$/, '').trim())
        .filter((l) => l && !l.startsWith('#') && /(^|\|\s*)(npx )?helix /.test(l));
    };
    const lines = quickstart();

    it.skipIf(lines.length === 0)(
      'every helix command of the README quickstart succeeds against the stack, without printing the token',
      async () => {
        for (const line of lines) {
          const r = record(`README: ${line}`, await exec('bash', ['-c', line], { ...env(), HF_TOKEN: TOKEN_README }));
          expect({
            line,
            code: r.code,
            stderr: r.stderr
              .split('\n')
              .filter((l) => !/npm warn/i.test(l))
              .join('\n'),
          }).toEqual({ line, code: 0, stderr: '' });
        }
        // Seven `npx helix` starts in a row: on a loaded CI machine each can take several seconds.
      },
      150_000,
    );
  });

  it('no CLI output, log line or HTTP body of the suite contains a token; neither do process command lines now', async () => {
    const findings = await scanForSecrets(TOKENS, { texts: [...transcript, ...stack.texts()] });
    expect(findings).toEqual([]);
    const ps = execFileSync('ps', ['-eo', 'args', '-ww'], { encoding: 'utf8' });
    for (const token of TOKENS) expect(ps).not.toContain(token);
  });
});
