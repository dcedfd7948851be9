import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, scanForSecrets, startStack, type Stack } from '@helix/testing';

/**
 * The built `helix` CLI's scoped-token commands (docs/reference/rest.md and docs/reference/cli.md) against the real stack:
 * org, user and model settings, the resolution chain, user delete; as admins, owners, members and
 * outsiders. Every output of every run is kept and scanned for the tokens at the end.
 */
const ROOT = repoRoot();
const CLI = join(ROOT, 'dist/apps/cli/main.js');
const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const stamp = Date.now();
const ORG_TOKEN = `hf_scopedOrg${stamp}z`;
const ALICE_TOKEN = `hf_scopedAlice${stamp}z`;
const BOB_TOKEN = `hf_scopedBob${stamp}z`;
const CAROL_TOKEN = `hf_scopedCarol${stamp}z`;
const MODEL_TOKEN = `hf_scopedModel${stamp}z`;
const STRAY_TOKEN = `hf_scopedStray${stamp}z`;
const TOKENS = [ORG_TOKEN, ALICE_TOKEN, BOB_TOKEN, CAROL_TOKEN, MODEL_TOKEN, STRAY_TOKEN];

/** An org model with an owner (its chain: model → user → org → global) and a system model (model → global). */
const ORG_MODEL = 'acme/chat-7b';
const SYSTEM_MODEL = 'sys/plain-embedder';
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
interface User {
  id: string;
  name: string;
  api_key: string;
}

/** Every CLI output of the suite, for the final token scan. */
const transcript: Array<{ label: string; text: string }> = [];

function exec(args: string[], env: Record<string, string | undefined>, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: env as NodeJS.ProcessEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin!.end(input ?? '');
  });
}

describe('helix CLI: scoped tokens end to end', () => {
  let stack: Stack;
  let alice: User; // non-admin, owner of acme, owner of ORG_MODEL
  let bob: User; // non-admin, in no org
  let carol: User; // non-admin, deleted by the suite
  let dave: User; // non-admin, deleted with --json

  const helix = async (args: string[], opts: { key?: string; input?: string } = {}): Promise<Run> => {
    const r = await exec(
      args,
      { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', HELIX_URL: stack.url, HELIX_API_KEY: opts.key ?? stack.adminKey },
      opts.input,
    );
    const label = `helix ${args.map((a) => (TOKENS.includes(a) ? '<token>' : a)).join(' ')}`;
    transcript.push({ label: `${label} stdout`, text: r.stdout }, { label: `${label} stderr`, text: r.stderr });
    return r;
  };
  const json = async (args: string[], opts: { key?: string; input?: string } = {}): Promise<any> => {
    const r = await helix([...args, '--json'], opts);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout);
  };
  const ok = async (args: string[], opts: { key?: string; input?: string } = {}): Promise<string> => {
    const r = await helix(args, opts);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return r.stdout;
  };
  const expectOneLineError = (r: Run, code: number, pattern: RegExp): void => {
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toMatch(pattern);
  };
  const createUser = async (name: string): Promise<User> => {
    const res = await stack.api('POST', '/api/v1/users', { name, admin: false });
    expect(res.status).toBe(201);
    return res.body;
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    stack = await startStack();
    [alice, bob, carol, dave] = [await createUser('alice'), await createUser('bob'), await createUser('carol'), await createUser('dave')];
    expect((await stack.api('POST', '/api/v1/orgs', { id: 'acme', name: 'Acme Corp' })).status).toBe(201);
    expect((await stack.api('PUT', `/api/v1/orgs/acme/members/${alice.id}`, { role: 'owner' })).status).toBe(200);
    // The models through the CLI too; disabled, so that no runner is needed.
    const base = ['--type', 'embed', '--runtime', 'vllm', '--memory', '1GB', '--disabled'];
    await json(['model', 'create', ORG_MODEL, '--name', 'Chat 7B', ...base, '--org', 'acme', '--owner', alice.id]);
    await json(['model', 'create', SYSTEM_MODEL, '--name', 'Plain', ...base]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('org settings set --huggingface-token-stdin / get, with --json (admin); a member sees the table with scope and id', async () => {
    const set = await json(['org', 'settings', 'set', 'acme', '--huggingface-token-stdin'], { input: `${ORG_TOKEN}\n` });
    expect(set).toMatchObject({
      id: 'org:acme',
      scope: 'org',
      scope_id: 'acme',
      huggingface_token_set: true,
      huggingface_token_source: 'database',
      huggingface_token_fingerprint: fp(ORG_TOKEN),
      version: 1,
    });
    expect(await json(['org', 'settings', 'get', 'acme'])).toEqual(set);
    const table = await ok(['org', 'settings', 'get', 'acme'], { key: alice.api_key });
    expect(table).toMatch(/^Scope:\s+org\nScope ID:\s+acme\nHugging Face token:\s+configured\n/);
    expect(table).toMatch(new RegExp(`Fingerprint:\\s+${fp(ORG_TOKEN)}\\n`));
    expect(table).toMatch(/Version:\s+1\n/);
  });

  it('user settings set for yourself (a non-admin) goes to your own scope; get shows it', async () => {
    const set = await helix(['user', 'settings', 'set', '--huggingface-token', ALICE_TOKEN], { key: alice.api_key });
    expect(set.code).toBe(0);
    // The flag works, with its one-line warning that the token shows in the process list.
    expect(set.stderr).toMatch(/^warning: the token given with --huggingface-token is visible to other local users in the process list[^\n]*\n$/);
    const out = set.stdout;
    expect(out).toContain(`Hugging Face token of user ${alice.id} set: ${fp(ALICE_TOKEN)} (version 1); runners receive it within seconds.`);
    expect(await json(['user', 'settings', 'get'], { key: alice.api_key })).toMatchObject({
      id: `user:${alice.id}`,
      scope: 'user',
      scope_id: alice.id,
      huggingface_token_fingerprint: fp(ALICE_TOKEN),
    });
    const table = await ok(['user', 'settings', 'get'], { key: alice.api_key });
    expect(table).toMatch(new RegExp(`^Scope:\\s+user\\nScope ID:\\s+${alice.id}\\n`));
  });

  it("user settings set --user <id> (admin) sets another user's token; that user sees it as their own", async () => {
    const out = await ok(['user', 'settings', 'set', '--user', bob.id, '--huggingface-token-stdin'], { input: BOB_TOKEN });
    expect(out).toContain(`Hugging Face token of user ${bob.id} set: ${fp(BOB_TOKEN)} (version 1)`);
    expect(await json(['user', 'settings', 'get', '--user', bob.id])).toMatchObject({ scope_id: bob.id, huggingface_token_fingerprint: fp(BOB_TOKEN) });
    expect((await json(['user', 'settings', 'get'], { key: bob.api_key })).huggingface_token_fingerprint).toBe(fp(BOB_TOKEN));
    // The admin's own scope is untouched.
    expect((await json(['user', 'settings', 'get'])).huggingface_token_set).toBe(false);
  });

  it('model settings set/get with a model id containing "/" (the model\'s owner); the plain REST path agrees', async () => {
    const set = await json(['model', 'settings', 'set', ORG_MODEL, '--huggingface-token-stdin'], { key: alice.api_key, input: `${MODEL_TOKEN}\n` });
    expect(set).toMatchObject({ id: `model:${ORG_MODEL}`, scope: 'model', scope_id: ORG_MODEL, huggingface_token_fingerprint: fp(MODEL_TOKEN), version: 1 });
    expect(await json(['model', 'settings', 'get', ORG_MODEL], { key: alice.api_key })).toEqual(set);
    expect((await stack.api('GET', `/api/v1/models/${ORG_MODEL}/settings`)).body).toEqual(set);
    const table = await ok(['model', 'settings', 'get', ORG_MODEL]);
    expect(table).toMatch(new RegExp(`^Scope:\\s+model\\nScope ID:\\s+${re(ORG_MODEL)}\\n`));
  });

  it('model token: the chain model → user → org → global, naming the effective level as each is cleared', async () => {
    const chain = await json(['model', 'token', ORG_MODEL], { key: alice.api_key });
    expect(chain).toEqual({
      model_id: ORG_MODEL,
      effective: { scope: 'model', scope_id: ORG_MODEL, fingerprint: fp(MODEL_TOKEN) },
      chain: [
        { scope: 'model', scope_id: ORG_MODEL, set: true, fingerprint: fp(MODEL_TOKEN), version: 1 },
        { scope: 'user', scope_id: alice.id, set: true, fingerprint: fp(ALICE_TOKEN), version: 1 },
        { scope: 'org', scope_id: 'acme', set: true, fingerprint: fp(ORG_TOKEN), version: 1 },
        { scope: 'global', scope_id: null, set: false },
      ],
    });
    const table = (await ok(['model', 'token', ORG_MODEL], { key: alice.api_key })).trimEnd().split('\n');
    expect(table[2]).toMatch(/^LEVEL\s+ID\s+SET\s+FINGERPRINT\s+VERSION\s+EFFECTIVE$/);
    expect(table[3]).toMatch(new RegExp(`^model\\s+${re(ORG_MODEL)}\\s+yes\\s+${fp(MODEL_TOKEN)}\\s+1\\s+<- effective$`));
    expect(table[4]).toMatch(new RegExp(`^user\\s+${alice.id}\\s+yes\\s+${fp(ALICE_TOKEN)}\\s+1$`));
    expect(table[5]).toMatch(new RegExp(`^org\\s+acme\\s+yes\\s+${fp(ORG_TOKEN)}\\s+1$`));
    expect(table[6]).toMatch(/^global\s+-\s+no\s+-\s+-$/);
    expect(table.at(-1)).toBe(`Effective: the model ${ORG_MODEL} token (${fp(MODEL_TOKEN)}) is used when this model starts.`);

    // --clear-hf-token on the model: its owner's token applies.
    const cleared = await ok(['model', 'settings', 'set', ORG_MODEL, '--clear-hf-token'], { key: alice.api_key });
    expect(cleared).toMatch(new RegExp(`^Hugging Face token of model ${re(ORG_MODEL)} cleared \\(version 2\\); the model falls back to its owner's`));
    let out = await ok(['model', 'token', ORG_MODEL]);
    expect(out).toMatch(new RegExp(`^user\\s+${alice.id}\\s+yes\\s+${fp(ALICE_TOKEN)}\\s+1\\s+<- effective$`, 'm'));
    expect(out).toContain(`Effective: the user ${alice.id} token (${fp(ALICE_TOKEN)}) is used when this model starts.`);

    // …then the owner's: the org's applies.
    await ok(['user', 'settings', 'set', '--clear-hf-token'], { key: alice.api_key });
    out = await ok(['model', 'token', ORG_MODEL], { key: alice.api_key });
    expect(out).toMatch(new RegExp(`^org\\s+acme\\s+yes\\s+${fp(ORG_TOKEN)}\\s+1\\s+<- effective$`, 'm'));
    expect(out).toContain(`Effective: the org acme token (${fp(ORG_TOKEN)}) is used when this model starts.`);
    expect(out.match(/<- effective/g)).toHaveLength(1);
  });

  it('model token of a system model with no level set: the runners fall back to their own HF_TOKEN', async () => {
    expect(await json(['model', 'token', SYSTEM_MODEL])).toEqual({
      model_id: SYSTEM_MODEL,
      effective: null,
      chain: [
        { scope: 'model', scope_id: SYSTEM_MODEL, set: false },
        { scope: 'global', scope_id: null, set: false },
      ],
    });
    const out = await ok(['model', 'token', SYSTEM_MODEL]);
    expect(out).not.toContain('<- effective');
    expect(out.trimEnd().split('\n').at(-1)).toBe('Effective: none of these levels is set; runners use their own HF_TOKEN, or no token if they have none.');
  });

  it('403 for a non-member (one line, exit 1, nothing changed); a non-admin may not read another user', async () => {
    expectOneLineError(
      await helix(['org', 'settings', 'get', 'acme'], { key: bob.api_key }),
      1,
      /^error: permission denied: Only an admin or a member of this org may see its token settings \(HTTP 403 forbidden\)$/m,
    );
    const refused = await helix(['org', 'settings', 'set', 'acme', '--huggingface-token-stdin'], { key: bob.api_key, input: STRAY_TOKEN });
    expectOneLineError(refused, 1, /permission denied: .*owner of this org.*\(HTTP 403 forbidden\)/);
    expectOneLineError(await helix(['model', 'token', ORG_MODEL], { key: bob.api_key }), 1, /permission denied: .*\(HTTP 403 forbidden\)/);
    expectOneLineError(await helix(['user', 'settings', 'get', '--user', bob.id], { key: alice.api_key }), 1, /permission denied: .*\(HTTP 403 forbidden\)/);
    expect((await json(['org', 'settings', 'get', 'acme'])).huggingface_token_fingerprint).toBe(fp(ORG_TOKEN));
  });

  it('404 for an unknown org, user or model (one line, exit 1)', async () => {
    expectOneLineError(await helix(['org', 'settings', 'get', 'nope']), 1, /\(HTTP 404 not found\)$/m);
    expectOneLineError(await helix(['org', 'settings', 'set', 'nope', '--huggingface-token-stdin'], { input: STRAY_TOKEN }), 1, /nope.*\(HTTP 404 not found\)/);
    expectOneLineError(await helix(['model', 'token', 'no/such-model']), 1, /\(HTTP 404 not found\)/);
  });

  it('the token flags: none or two of them are usage errors (exit 2) and send nothing', async () => {
    expectOneLineError(
      await helix(['org', 'settings', 'set', 'acme']),
      2,
      /say what to set: --huggingface-token-stdin, --huggingface-token <token> or --clear-hf-token/,
    );
    expectOneLineError(await helix(['user', 'settings', 'set', '--huggingface-token', STRAY_TOKEN, '--clear-hf-token']), 2, /cannot be used with/);
    expect((await json(['user', 'settings', 'get'])).version).toBe(0);
  });

  it('user delete: prints what was deleted (text and --json); the token is cleared and the key stops working', async () => {
    await ok(['user', 'settings', 'set', '--user', carol.id, '--huggingface-token-stdin'], { input: CAROL_TOKEN });
    const out = await ok(['user', 'delete', carol.id]);
    expect(out).toMatch(new RegExp(`^Deleted user carol \\(id ${carol.id}\\): its API keys no longer work, its Hugging Face token was cleared`));
    expectOneLineError(await helix(['user', 'settings', 'get', '--user', carol.id]), 1, /\(HTTP 404 not found\)/);
    expectOneLineError(await helix(['user', 'settings', 'get'], { key: carol.api_key }), 1, /set HELIX_API_KEY/);
    expect(await json(['user', 'delete', dave.id])).toMatchObject({ id: dave.id, name: 'dave', admin: false });
    expectOneLineError(await helix(['user', 'delete', dave.id]), 1, /\(HTTP 404 not found\)/);
    expectOneLineError(await helix(['user', 'delete', bob.id], { key: alice.api_key }), 1, /admin privileges are required/);
  });

  it('--help of the new commands shows examples', async () => {
    expect(await ok(['org', 'settings', 'set', '--help'])).toContain('printf %s "$HF_TOKEN" | helix org settings set acme --huggingface-token-stdin');
    expect(await ok(['user', 'settings', 'set', '--help'])).toContain('helix user settings set --user ');
    expect(await ok(['model', 'token', '--help'])).toContain('helix model token Qwen/Qwen2.5-VL-7B-Instruct');
  });

  it('no CLI output, log line or HTTP body of the suite contains a token; neither do process command lines now', async () => {
    const findings = await scanForSecrets(TOKENS, { texts: [...transcript, ...stack.texts()] });
    expect(findings).toEqual([]);
    const ps = execFileSync('ps', ['-eo', 'args', '-ww'], { encoding: 'utf8' });
    for (const token of TOKENS) expect(ps).not.toContain(token);
  });
});
