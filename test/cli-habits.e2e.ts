import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { eventually, repoRoot, scanForSecrets, startStack, type Stack } from '@helix/testing';

/**
 * The habits of issue 14 through the built CLI (dist/apps/cli/main.js) and the packed npm package,
 * against the real stack with two runners: -o json|yaml|wide|name, -q, model list filters, user
 * list, model update, version, completion, --wait / runner wait --in-sync (converging, and timing out
 * on a runner that is online but cannot apply), the --huggingface-token warning and HELIX_URL forms.
 * Every output is kept and scanned for the tokens at the end.
 */
const ROOT = repoRoot();
const CLI = join(ROOT, 'dist/apps/cli/main.js');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
const stamp = Date.now();
const TOKEN_WAIT = `hf_habitWait${stamp}z`;
const TOKEN_STALL = `hf_habitStall${stamp}z`;
const TOKEN_FLAG = `hf_habitFlag${stamp}z`;
const TOKEN_PACKED = `hf_habitPacked${stamp}z`;
const TOKEN_ORG = `hf_habitOrg${stamp}z`;
const TOKENS = [TOKEN_WAIT, TOKEN_STALL, TOKEN_FLAG, TOKEN_PACKED, TOKEN_ORG];
const GPU1 = 'habit-gpu-1';
const GPU2 = 'habit-gpu-2';
const CHAT = 'habits/chat-a';
const EMBED = 'habits/embed-b';
const WARNING =
  /^warning: the token given with --huggingface-token is visible to other local users in the process list while this command runs .*; --huggingface-token-stdin avoids it$/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const transcript: Array<{ label: string; text: string }> = [];

function exec(file: string, args: string[], env: Record<string, string | undefined>, input?: string, cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd, env: env as NodeJS.ProcessEnv, timeout: 120_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      const run = { code, stdout: String(stdout), stderr: String(stderr) };
      const label = `${file} ${args.join(' ')}`.split(TOKEN_FLAG).join('<token>');
      transcript.push({ label: `${label} stdout`, text: run.stdout }, { label: `${label} stderr`, text: run.stderr });
      resolve(run);
    });
    child.stdin!.end(input ?? '');
  });
}

describe('helix CLI habits (issue 14) end to end', () => {
  let stack: Stack;
  let tmp: string;
  const env = (key: string | null = stack.adminKey, url = stack.url): Record<string, string | undefined> => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    HELIX_URL: url,
    ...(key === null ? {} : { HELIX_API_KEY: key }),
  });
  const helix = (args: string[], opts: { key?: string | null; url?: string; input?: string } = {}): Promise<Run> =>
    exec(process.execPath, [CLI, ...args], env(opts.key === undefined ? stack.adminKey : opts.key, opts.url ?? stack.url), opts.input);
  /** Exit 0, nothing on stderr: stdout. */
  const ok = async (args: string[], opts: { key?: string | null; input?: string } = {}): Promise<string> => {
    const r = await helix(args, opts);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };
  const lines = (text: string): string[] => text.split('\n').filter(Boolean);
  /** Waits for a heartbeat newer than the one GET /api/v1/runners shows now: the runner then stays online for 15 s. */
  const freshHeartbeat = async (id: string): Promise<void> => {
    const seen = async () => ((await stack.api('GET', '/api/v1/runners')).body as Array<{ id: string; last_seen: string }>).find((r) => r.id === id)?.last_seen;
    const before = await seen();
    await eventually(async () => (await seen()) !== before, 20_000, `a new heartbeat of ${id}`);
  };
  const allInSync = () =>
    eventually(
      async () => {
        const runners = (await stack.api('GET', '/api/v1/runners')).body as Array<{ state: string; in_sync: boolean }>;
        return runners.length === 2 && runners.every((r) => r.state === 'online' && r.in_sync);
      },
      30_000,
      'both runners online and in sync',
    );

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    tmp = mkdtempSync(join(tmpdir(), 'helix-cli-habits-'));
    stack = await startStack({
      runners: [
        { id: GPU1, memory: '80GB' },
        { id: GPU2, memory: '80GB' },
      ],
    });
    await allInSync();
  });

  afterAll(async () => {
    // A runner stopped by a test must be able to receive the stack's SIGTERM.
    for (const app of stack?.runners.values() ?? []) {
      try {
        process.kill(app.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    await stack?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('-o json|yaml|name, -q and --json: the same resources, parseable; -q and -o together are a usage error', async () => {
    expect(
      lines(
        await ok(['model', 'create', CHAT, '--name', 'Chat A', '--type', 'chat', '--runtime', 'vllm', '--memory', '1GB', '--context', '4096', '-o', 'name']),
      ),
    ).toEqual([`model/${CHAT}`]);
    expect(
      lines(await ok(['model', 'create', EMBED, '--name', 'Embed B', '--type', 'embed', '--runtime', 'vllm', '--memory', '1GB', '--disabled', '-q'])),
    ).toEqual([EMBED]);

    // The chat model's slot moves on between two calls: compare what does not.
    const stable = (list: Array<Record<string, unknown>>) => list.map(({ slots: _slots, updated: _updated, ...model }) => model);
    const json = JSON.parse(await ok(['model', 'list', '-o', 'json']));
    expect(stable(JSON.parse(await ok(['model', 'list', '--json'])))).toEqual(stable(json));
    expect(stable(JSON.parse(await ok(['--json', 'model', 'list'])))).toEqual(stable(json));
    expect(json.map((m: { id: string }) => m.id).sort()).toEqual([CHAT, EMBED]);
    const yamlText = await ok(['model', 'list', '-o', 'yaml']);
    expect(yamlText).toMatch(/^- id: \S+\n  name: /); // YAML proper, not JSON (which YAML would also parse)
    const yaml = parseYaml(yamlText);
    expect(yaml.map((m: { id: string }) => m.id)).toEqual(json.map((m: { id: string }) => m.id));
    expect(yaml.find((m: { id: string }) => m.id === EMBED)).toMatchObject({ type: 'embed', memory: 1_000_000_000, enabled: false });
    expect(lines(await ok(['model', 'list', '-o', 'name'])).sort()).toEqual([`model/${CHAT}`, `model/${EMBED}`]);
    expect(lines(await ok(['model', 'list', '-q'])).sort()).toEqual([CHAT, EMBED]);
    expect(lines(await ok(['-q', 'runner', 'list'])).sort()).toEqual([GPU1, GPU2]);
    expect(lines(await ok(['runner', 'list', '-o', 'name'])).sort()).toEqual([`runner/${GPU1}`, `runner/${GPU2}`]);
    expect(parseYaml(await ok(['system', 'settings', 'get', '-o', 'yaml']))).toEqual(JSON.parse(await ok(['system', 'settings', 'get', '-o', 'json'])));
    expect(lines(await ok(['model', 'get', EMBED, '-o', 'name']))).toEqual([`model/${EMBED}`]);

    const both = await helix(['model', 'list', '-q', '-o', 'json']);
    expect(both).toMatchObject({ code: 2, stdout: '' });
    expect(both.stderr).toMatch(/^error: -q prints ids only: it cannot be combined with -o json\n$/);
    expect((await helix(['model', 'list', '--json', '-o', 'yaml'])).code).toBe(2);
    const bad = await helix(['model', 'list', '-o', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are json, yaml, wide, name/);
  });

  it('-o wide adds columns to the tables', async () => {
    const narrow = lines(await ok(['model', 'list']))[0];
    const wide = lines(await ok(['model', 'list', '-o', 'wide']))[0];
    expect(narrow).not.toMatch(/DESCRIPTION/);
    expect(wide).toMatch(/^ID\s+NAME\s+TYPE\s+RUNTIME\s+MEMORY\s+CONTEXT\s+ENABLED\s+PREWARM\s+SLOTS\s+AUTO PULL\s+ORG\s+OWNER\s+UPDATED\s+DESCRIPTION$/);
    const placed: string = await eventually(
      async () => JSON.parse(await ok(['model', 'get', CHAT, '-o', 'json'])).slots?.[0]?.runner_id,
      20_000,
      'the chat model placed',
    );
    const runners = await ok(['runner', 'list', '-o', 'wide']);
    expect(runners).toMatch(/\sMODELS\n/);
    expect(runners.split('\n').find((l) => l.startsWith(placed))).toMatch(new RegExp(`\\s${CHAT}$`));
    expect(await ok(['runner', 'list'])).not.toMatch(/MODELS/);
  });

  it('model list filters: --type, --runtime, --enabled / --disabled, in every format', async () => {
    expect(lines(await ok(['model', 'list', '--type', 'embed', '-q']))).toEqual([EMBED]);
    expect(lines(await ok(['model', 'list', '--type', 'chat', '-q']))).toEqual([CHAT]);
    expect(lines(await ok(['model', 'list', '--enabled', '-q']))).toEqual([CHAT]);
    expect(JSON.parse(await ok(['model', 'list', '--disabled', '-o', 'json'])).map((m: { id: string }) => m.id)).toEqual([EMBED]);
    expect(lines(await ok(['model', 'list', '--runtime', 'vllm', '-q'])).sort()).toEqual([CHAT, EMBED]);
    expect(await ok(['model', 'list', '--type', 'image'])).toBe('No models.\n');
    expect(await ok(['model', 'list', '--type', 'image', '-q'])).toBe('');
    expect((await helix(['model', 'list', '--enabled', '--disabled'])).code).toBe(2);
    expect((await helix(['model', 'list', '--type', 'video'])).code).toBe(2);
  });

  let carol: { id: string; api_key: string };

  it('user list (admin): table, yaml and ids; a non-admin is refused', async () => {
    carol = JSON.parse(await ok(['user', 'create', '--name', 'carol', '-o', 'json']));
    const table = await ok(['user', 'list']);
    expect(lines(table)[0]).toMatch(/^ID\s+NAME\s+ADMIN\s+CREATED$/);
    expect(table).toMatch(new RegExp(`^${carol.id}\\s+carol\\s+no\\s+\\S+$`, 'm'));
    const users = parseYaml(await ok(['user', 'list', '-o', 'yaml']));
    expect(users.find((u: { name: string }) => u.name === 'carol')).toEqual({ id: carol.id, name: 'carol', admin: false, created: expect.any(String) });
    expect(lines(await ok(['user', 'ls', '-q']))).toContain(carol.id);
    expect(lines(await ok(['user', 'list', '-o', 'name']))).toContain(`user/${carol.id}`);
    const refused = await helix(['user', 'list'], { key: carol.api_key });
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/admin privileges are required/);
  });

  it('model update: flags or --file change only what they name (PUT semantics); nothing to change is a usage error', async () => {
    const before = JSON.parse(await ok(['model', 'get', EMBED, '-o', 'json']));
    const updated = JSON.parse(await ok(['model', 'update', EMBED, '--memory', '2GB', '--description', 'by flags', '-o', 'json']));
    expect(updated).toMatchObject({ ...before, memory: 2_000_000_000, description: 'by flags', updated: expect.any(String), slots: [] });
    expect(updated.name).toBe('Embed B');

    const file = join(tmp, 'update.json');
    writeFileSync(file, JSON.stringify({ id: EMBED, name: 'Embed B (file)', prewarm: true }));
    const table = await ok(['model', 'update', '--file', file, '--no-prewarm']);
    expect(table).toMatch(new RegExp(`^Updated model ${EMBED}\\.\\n`));
    expect(table).toMatch(/Name:\s+Embed B \(file\)/);
    expect(table).toMatch(/Prewarm:\s+no/);
    expect(table).toMatch(/Memory:\s+2GB/);
    expect(table).toMatch(/Description:\s+by flags/);

    writeFileSync(file, JSON.stringify({ id: 'habits/other', name: 'x' }));
    const mismatch = await helix(['model', 'update', EMBED, '--file', file]);
    expect(mismatch).toMatchObject({ code: 1, stdout: '' });
    expect(mismatch.stderr).toMatch(/^error: invalid request \(HTTP 400\): invalid fields: id/);
    const nothing = await helix(['model', 'update', EMBED]);
    expect(nothing).toMatchObject({ code: 2, stdout: '' });
    expect(nothing.stderr).toMatch(/nothing to change/);
    const missing = await helix(['model', 'update', 'habits/none', '--name', 'n']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/HTTP 404/);
    expect((await helix(['model', 'update', EMBED, '--disabled'], { key: carol.api_key })).stderr).toMatch(/admin privileges are required/);
  });

  it('version: the CLI and the server (any user); the client alone without a server', async () => {
    const view = JSON.parse(await ok(['version', '-o', 'json'], { key: carol.api_key }));
    expect(view).toEqual({ client: { version: VERSION }, server: { version: VERSION, api: 'v1', url: stack.url } });
    const table = await ok(['version']);
    expect(table).toBe(`Client version:  ${VERSION}\nServer version:  ${VERSION} (API v1, ${stack.url})\n`);
    expect(await ok(['--version'])).toBe(`${VERSION}\n`);
    const noKey = await helix(['version'], { key: null });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(
      new RegExp(`^error: helix ${VERSION.replace(/\./g, '\\.')}; the server's version is unknown: no API key given .*set HELIX_API_KEY`),
    );
    expect(parseYaml(await ok(['version', '--client', '-o', 'yaml'], { key: null }))).toEqual({ client: { version: VERSION } });
  });

  it('HELIX_URL works with or without a trailing /, /api/v1 or /api/v1/', async () => {
    for (const url of [stack.url, `${stack.url}/`, `${stack.url}/api/v1`, `${stack.url}/api/v1/`]) {
      const r = await helix(['version', '-o', 'json'], { url });
      expect({ url, code: r.code, stderr: r.stderr }).toEqual({ url, code: 0, stderr: '' });
      expect(JSON.parse(r.stdout).server).toEqual({ version: VERSION, api: 'v1', url: stack.url });
      expect((await helix(['model', 'list', '-q'], { url })).code).toBe(0);
    }
  });

  it('completion: the bash script completes commands, subcommands, options and -o values; zsh and fish scripts are generated too', async () => {
    const script = join(tmp, 'helix.bash');
    writeFileSync(script, await ok(['completion', 'bash'], { key: null }));
    const complete = (words: string[]): string[] => {
      const out = execFileSync(
        'bash',
        [
          '-c',
          `source "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _helix_completion; printf '%s\\n' "\${COMPREPLY[@]}"`,
          'x',
          script,
        ],
        { encoding: 'utf8' },
      );
      return lines(out);
    };
    expect(complete(['helix', 'mod'])).toEqual(['model']);
    expect(complete(['helix', 'model', 'up'])).toEqual(['update']);
    expect(complete(['helix', '--url', 'http://x', 'runner', 'w'])).toEqual(['wait']);
    expect(complete(['helix', 'runner', 'wait', '--in'])).toEqual(['--in-sync']);
    expect(complete(['helix', 'system', 'settings', 'set', '--w'])).toEqual(['--wait']);
    expect(complete(['helix', 'model', 'list', '-o', ''])).toEqual(['json', 'yaml', 'wide', 'name']);
    expect(complete(['helix', 'model', 'list', '--type', ''])).toEqual(['chat', 'embed', 'image']);
    expect(complete(['helix', 'completion', ''])).toEqual([]);
    expect(complete(['helix', ''])).toEqual(expect.arrayContaining(['system', 'model', 'runner', 'user', 'audit', 'org', 'version', 'completion']));
    expect(await ok(['completion', 'zsh'], { key: null })).toMatch(
      /^#compdef helix\n[\s\S]*bashcompinit[\s\S]*complete -o default -F _helix_completion helix\n$/,
    );
    const fish = await ok(['completion', 'fish'], { key: null });
    expect(fish).toContain(`complete -c helix -n 'test (__helix_path) = \\'/model\\'' -a 'update'`);
    expect((await helix(['completion', 'tcsh'], { key: null })).code).toBe(2);
  });

  it('--wait: set returns once both online runners applied the new version; progress "k/n runners in sync" at a terminal', async () => {
    const r = await helix(['system', 'settings', 'set', '--huggingface-token-stdin', '--wait', '--timeout', '60s', '-o', 'json'], { input: TOKEN_WAIT });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const version = JSON.parse(r.stdout).version as number;
    // Right after it returned: every runner reports the version (no polling here).
    const runners = (await stack.api('GET', '/api/v1/runners')).body as Array<{ id: string; in_sync: boolean; settings_version: number }>;
    expect(runners.map((x) => [x.id, x.in_sync, x.settings_version]).sort()).toEqual([
      [GPU1, true, version],
      [GPU2, true, version],
    ]);

    // Under a pseudo-terminal: the progress line on stderr, the summary on stdout.
    const cmd = `${process.execPath} ${CLI} system settings set --clear-hf-token --wait; echo "exit=$?"`;
    const tty = await exec('script', ['-qec', cmd, '/dev/null'], env());
    const screen = tty.stdout.replace(/\r/g, '\n');
    expect(screen).toContain('exit=0');
    expect(screen).toMatch(/^2\/2 runners in sync$/m);
    expect(screen).toMatch(/^Runners in sync: 2\/2 online\.$/m);
    expect((await ok(['runner', 'wait', '--in-sync'])).trim()).toBe('All online runners are in sync (2/2 runners in sync).');

    // A scoped change (an org's token): the same wait, through the stream sequence of every scope.
    await ok(['org', 'create', 'habits']);
    const org = await helix(['org', 'settings', 'set', 'habits', '--huggingface-token-stdin', '--wait', '-q'], { input: TOKEN_ORG });
    expect(org).toMatchObject({ code: 0, stdout: 'habits\n', stderr: '' });
    const after = (await stack.api('GET', '/api/v1/runners')).body as Array<{ in_sync: boolean; settings_applied: number }>;
    expect(after.map((x) => [x.in_sync, x.settings_applied])).toEqual([
      [true, 2],
      [true, 2],
    ]);
  });

  it('--wait times out (exit 3) while an online runner cannot apply; settings get says so in one line; runner wait converges once it can', async () => {
    await freshHeartbeat(GPU2);
    const pid = stack.runners.get(GPU2)!.pid;
    process.kill(pid, 'SIGSTOP');
    try {
      const r = await helix(['system', 'settings', 'set', '--huggingface-token-stdin', '--wait', '--timeout', '2s'], { input: TOKEN_STALL });
      expect(r.code).toBe(3);
      // The change itself was made and said so; the timeout is one line on stderr naming the runner.
      expect(r.stdout).toMatch(/^Global Hugging Face token set: sha256:[0-9a-f]{12} \(version \d+\)/);
      expect(r.stderr).toMatch(
        new RegExp(
          `^error: timed out after 2s waiting for runners to apply global settings version \\d+: 1/2 runners in sync; not yet: ${GPU2} \\(version \\d+\\)\\. Check them with: helix runner list\\n$`,
        ),
      );

      const get = await helix(['system', 'settings', 'get']);
      expect(get).toMatchObject({ code: 0, stderr: '' });
      expect(get.stdout).toMatch(
        new RegExp(
          `\\nOut of sync: 1 of 2 online runners has not applied the current settings yet \\(${GPU2}\\); wait for them with: helix runner wait --in-sync\\n$`,
        ),
      );

      const wait = await helix(['runner', 'wait', '--in-sync', '--timeout', '1s']);
      expect(wait.code).toBe(3);
      expect(wait.stderr).toMatch(/^error: timed out after 1s waiting for the runners to get in sync: 1\/2 runners in sync/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const done = await helix(['runner', 'wait', '--in-sync', '--timeout', '60s', '-o', 'json']);
    expect(done).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(done.stdout)).toEqual({ total: 2, inSync: 2, behind: [] });
    expect((await ok(['system', 'settings', 'get'])).includes('Out of sync')).toBe(false);
    expect((await helix(['runner', 'wait'])).code).toBe(2);
    expect((await helix(['system', 'settings', 'set', '--clear-hf-token', '--timeout', '5s'])).code).toBe(2);
  });

  it('--huggingface-token always prints the one-line process-list warning on stderr (script and terminal), never the token', async () => {
    const scripted = await helix(['system', 'settings', 'set', '--huggingface-token', TOKEN_FLAG, '-q']);
    expect(scripted.code).toBe(0);
    expect(scripted.stdout).toBe('system\n');
    expect(lines(scripted.stderr)).toHaveLength(1);
    expect(scripted.stderr.trimEnd()).toMatch(WARNING);
    const cmd = `${process.execPath} ${CLI} org settings set nope --huggingface-token ${TOKEN_FLAG}; echo "exit=$?"`;
    const tty = await exec('script', ['-qec', cmd, '/dev/null'], env());
    const screen = lines(tty.stdout.replace(/\r/g, ''));
    expect(screen[0]).toMatch(WARNING);
    expect(screen.at(-1)).toBe('exit=1');
    expect(tty.stdout).not.toContain(TOKEN_FLAG);
  });

  it('the packed npm package (@helix/cli): no dependencies, installs offline from its tarball in a clean directory and runs against the stack', async () => {
    const pack = await exec(process.execPath, [join(ROOT, 'scripts/pack-cli.mjs')], { PATH: process.env.PATH, HOME: process.env.HOME });
    expect(pack.code).toBe(0);
    const tarball = lines(pack.stdout).at(-1)!;
    expect(tarball).toMatch(new RegExp(`helix-cli-${VERSION.replace(/\./g, '\\.')}\\.tgz$`));
    const dir = mkdtempSync(join(tmpdir(), 'helix-cli-pkg-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{"name":"clean-dir","version":"1.0.0","private":true}\n');
      const install = await exec(
        'npm',
        ['install', '--offline', '--no-audit', '--no-fund', tarball],
        { PATH: process.env.PATH, HOME: process.env.HOME },
        undefined,
        dir,
      );
      expect({ code: install.code, stderr: install.stderr.split('\n').filter((l) => l && !/npm warn/i.test(l)) }).toEqual({ code: 0, stderr: [] });
      const installed = JSON.parse(readFileSync(join(dir, 'node_modules/@helix/cli/package.json'), 'utf8'));
      expect(installed).toMatchObject({ name: '@helix/cli', version: VERSION, bin: { helix: 'helix.js' } });
      expect(installed.dependencies ?? {}).toEqual({});
      const bin = join(dir, 'node_modules/.bin/helix');
      const run = (args: string[], input?: string) => exec(bin, args, { ...env(), HELIX_URL: `${stack.url}/api/v1/` }, input, dir);
      const version = await run(['version', '-o', 'json']);
      expect(version).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(version.stdout)).toEqual({ client: { version: VERSION }, server: { version: VERSION, api: 'v1', url: stack.url } });
      const set = await run(['system', 'settings', 'set', '--huggingface-token-stdin', '--wait', '-o', 'json'], TOKEN_PACKED);
      expect(set).toMatchObject({ code: 0, stderr: '' });
      const get = await run(['system', 'settings', 'get', '-o', 'json']);
      expect(get).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(get.stdout)).toEqual(JSON.parse(set.stdout));
      expect(
        parseYaml((await run(['model', 'list', '-o', 'yaml'])).stdout)
          .map((m: { id: string }) => m.id)
          .sort(),
      ).toEqual([CHAT, EMBED]);
      const broken = join(dir, 'broken.json');
      writeFileSync(broken, `{"id": "a/b", "name": "${TOKEN_PACKED}", oops}`);
      const parse = await run(['model', 'create', '--file', broken]);
      expect(parse.code).toBe(1);
      // jsonc-parser locates the error; the message says what and where, never the file's text.
      const at = `{"id": "a/b", "name": "${TOKEN_PACKED}", `.length;
      expect(parse.stderr).toBe(
        `error: --file ${broken} is not valid JSON: expected a JSON value but found a bare word at line 1, column ${at + 1} (position ${at}); strings need double quotes\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('no CLI output, log line or HTTP body of the suite contains a token; neither do process command lines now', async () => {
    const findings = await scanForSecrets(TOKENS, { texts: [...transcript, ...stack.texts()] });
    expect(findings).toEqual([]);
    const ps = execFileSync('ps', ['-eo', 'args', '-ww'], { encoding: 'utf8' });
    for (const token of TOKENS) expect(ps).not.toContain(token);
  });
});
