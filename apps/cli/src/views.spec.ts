import type { ApiKeyView, RunnerView, SettingsView, SlotView, SystemSettingsView, TokenChainView } from '@helix/contracts';
import { fingerprint } from '@helix/secrets';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED_MODEL_VIEW } from '@helix/testing';
import { formatBytes } from './format';
import { renderTable } from './table';
import {
  renderApiKeys,
  renderCreatedApiKey,
  renderCreatedUser,
  renderRevokedApiKey,
  renderDeletedUser,
  renderModel,
  renderModels,
  renderRunners,
  renderSettings,
  renderTokenChain,
  syncSummary,
  type ModelView,
} from './views';

const TOKEN = 'hf_tableLeakCanary0123456789';
const FP = fingerprint(TOKEN);

/** What a buggy or future server might add: views must print chosen fields only. */
const leaky = { huggingface_token: TOKEN, hf_token: TOKEN, token: TOKEN, env: { HF_TOKEN: TOKEN } };

const apiKey: ApiKeyView = { id: 'k1', prefix: 'hl-abcdef', created: '2026-11-27T10:00:00.000Z', revoked: null, bootstrap: false };

const settings: SystemSettingsView = {
  id: 'system',
  scope: 'global',
  scope_id: null,
  created: '2026-11-27T10:00:00.000Z',
  updated: '2026-11-27T10:05:00.000Z',
  huggingface_token_set: true,
  huggingface_token_source: 'database',
  huggingface_token_fingerprint: FP,
  huggingface_token_status: 'valid',
  huggingface_token_owner: 'alice',
  huggingface_token_role: 'read',
  version: 3,
};

const slot = (over: Partial<SlotView> = {}): SlotView => ({
  id: 'slot-1',
  model_id: 'Qwen/Qwen2.5-VL-7B-Instruct',
  runner_id: 'gpu-1',
  state: 'running',
  restarts: 0,
  endpoint: 'http://10.0.0.5:40001',
  hf_token_source: 'global',
  hf_token_fingerprint: FP,
  error: null,
  gpus: [0],
  created: '2026-11-27T10:00:00.000Z',
  updated: '2026-11-27T10:00:01.000Z',
  ...over,
});

const runner = (over: Partial<RunnerView> = {}): RunnerView => ({
  id: 'gpu-1',
  state: 'online',
  last_seen: '2026-11-27T10:05:00.000Z',
  memory_total: 80_000_000_000,
  memory_allocated: 39_000_000_000,
  settings_version: 3,
  in_sync: true,
  settings_applied: 4,
  hf_token_provided: true,
  slots: [slot()],
  gpus: [{ index: 0, memory_total: 80e9, memory_allocated: 0, slot_ids: [] }],
  ...over,
});

const model: ModelView = {
  ...SEED_MODEL_VIEW,
  slots: [
    slot(),
    slot({
      id: 'slot-2',
      runner_id: 'gpu-2',
      state: 'failed',
      hf_token_source: 'none',
      hf_token_fingerprint: null,
      error: { code: 'hf_auth', message: 'Set the Hugging Face token.' },
    }),
  ],
};

describe('views', () => {
  it('settings show configured/source/fingerprint/version/sync, never the token', () => {
    const text = renderSettings(
      { ...settings, ...leaky } as SystemSettingsView,
      syncSummary([runner(), runner({ id: 'gpu-2', in_sync: false, state: 'offline' })]),
    );
    expect(text).toContain('configured');
    expect(text).toContain('database');
    expect(text).toContain(FP);
    expect(text).toMatch(/Version:\s+3/);
    expect(text).toMatch(/Runners in sync:\s+1\/2 \(1 offline\)/);
    expect(text).not.toContain(TOKEN);
  });

  it('settings without a token, and an unknown sync state', () => {
    const text = renderSettings(
      { ...settings, huggingface_token_set: false, huggingface_token_source: 'none', huggingface_token_fingerprint: null },
      'unknown',
    );
    expect(text).toMatch(/not configured/);
    expect(text).toMatch(/Fingerprint:\s+-/);
    expect(text).toMatch(/Runners in sync:\s+unknown/);
  });

  it('a scoped view says whose token it is and where its models fall back; the global view has no scope lines', () => {
    const org: SettingsView = { ...settings, id: 'org:acme', scope: 'org', scope_id: 'acme', version: 2 };
    const text = renderSettings({ ...org, ...leaky } as SettingsView);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Scope:\s+org$/);
    expect(lines[1]).toMatch(/^Scope ID:\s+acme$/);
    expect(text).toMatch(new RegExp(`Fingerprint:\\s+${FP}`));
    expect(text).toMatch(/Version:\s+2/);
    expect(text).not.toContain(TOKEN);
    const model = renderSettings({
      ...org,
      id: 'model:a/b',
      scope: 'model',
      scope_id: 'a/b',
      huggingface_token_set: false,
      huggingface_token_fingerprint: null,
    });
    expect(model).toMatch(/^Scope:\s+model\nScope ID:\s+a\/b\n/);
    expect(model).toMatch(/not configured \(the model falls back to its owner's, its org's or the global token\)/);
    expect(renderSettings({ ...org, scope: 'user', scope_id: 'u1', huggingface_token_set: false })).toMatch(/not configured \(the user's models fall back/);
    expect(renderSettings(settings)).not.toMatch(/Scope/);
  });

  const chain = (effective: TokenChainView['effective']): TokenChainView => ({
    model_id: 'Qwen/Qwen2.5-VL-7B-Instruct',
    effective,
    chain: [
      { scope: 'model', scope_id: 'Qwen/Qwen2.5-VL-7B-Instruct', set: false },
      { scope: 'user', scope_id: 'u_123', set: true, fingerprint: 'sha256:1a2b3c4d5e6f', version: 2 },
      { scope: 'org', scope_id: 'acme', set: true, fingerprint: 'sha256:9f8e7d6c5b4a', version: 1 },
      { scope: 'global', scope_id: null, set: false },
    ],
  });

  it('model token: the chain as a table, first level first, the effective level marked and named', () => {
    const view = chain({ scope: 'user', scope_id: 'u_123', fingerprint: 'sha256:1a2b3c4d5e6f' });
    const lines = renderTokenChain({ ...view, ...leaky } as TokenChainView).split('\n');
    expect(lines[0]).toBe('Token resolution for model Qwen/Qwen2.5-VL-7B-Instruct (first level set wins):');
    expect(lines[2]).toMatch(/^LEVEL\s+ID\s+SET\s+FINGERPRINT\s+VERSION\s+EFFECTIVE$/);
    expect(lines[3]).toMatch(/^model\s+Qwen\/Qwen2\.5-VL-7B-Instruct\s+no\s+-\s+-$/);
    expect(lines[4]).toMatch(/^user\s+u_123\s+yes\s+sha256:1a2b3c4d5e6f\s+2\s+<- effective$/);
    expect(lines[5]).toMatch(/^org\s+acme\s+yes\s+sha256:9f8e7d6c5b4a\s+1$/);
    expect(lines[6]).toMatch(/^global\s+-\s+no\s+-\s+-$/);
    expect(lines.filter((l) => l.includes('<- effective'))).toHaveLength(1);
    expect(lines.at(-1)).toBe('Effective: the user u_123 token (sha256:1a2b3c4d5e6f) is used when this model starts.');
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('model token: the global level, and no level set (runners fall back to their HF_TOKEN or none)', () => {
    const global = chain({ scope: 'global', scope_id: null, fingerprint: FP });
    global.chain[3] = { scope: 'global', scope_id: null, set: true, fingerprint: FP, version: 4 };
    global.chain[1].set = false;
    global.chain[2].set = false;
    const g = renderTokenChain(global);
    expect(g).toMatch(new RegExp(`^global\\s+-\\s+yes\\s+${FP}\\s+4\\s+<- effective$`, 'm'));
    expect(g.split('\n').at(-1)).toBe(`Effective: the global token (${FP}) is used when this model starts.`);
    const none = renderTokenChain({
      model_id: 'a/b',
      effective: null,
      chain: [
        { scope: 'model', scope_id: 'a/b', set: false },
        { scope: 'global', scope_id: null, set: false },
      ],
    });
    expect(none).not.toContain('<- effective');
    expect(none.split('\n').at(-1)).toBe('Effective: none of these levels is set; runners use their own HF_TOKEN, or no token if they have none.');
  });

  it('a deleted user says what went with it', () => {
    expect(renderDeletedUser({ id: 'u1', name: 'alice', admin: false, created: 'now' }, 'u1')).toMatch(/^Deleted user alice \(id u1\): .*token was cleared/);
    expect(renderDeletedUser(undefined, 'u2')).toMatch(/^Deleted user u2: /);
  });

  it('runner list shows the current version and each runner in sync or not', () => {
    const text = renderRunners(
      [runner({ ...leaky } as Partial<RunnerView>), runner({ id: 'gpu-2', settings_version: 2, in_sync: false, settings_applied: 12, slots: [] })],
      3,
    );
    const [header, blank, columns, first, second] = text.split('\n');
    expect(header).toBe('Current settings version: 3');
    expect(blank).toBe('');
    expect(columns).toMatch(
      /^ID\s+STATE\s+MEMORY \(USED\/TOTAL\)\s+GPUS \(USED\/TOTAL\)\s+SLOTS\s+SETTINGS VERSION\s+IN SYNC\s+SCOPES\s+HF TOKEN\s+LAST SEEN$/,
    );
    expect(first).toMatch(/^gpu-1\s+online\s+39GB\/80GB\s+0:0\/80GB\s+1 \(1 running\)\s+3\s+yes\s+4\s+provided/);
    expect(second).toMatch(/^gpu-2\s+online\s+39GB\/80GB\s+0:0\/80GB\s+0\s+2\s+no\s+12\s+provided/);
    expect(text).not.toContain(TOKEN);
    expect(renderRunners([])).toBe('No runners registered.');
  });

  it('model get shows slots with state, error and token source; never a token', () => {
    const text = renderModel({ ...model, ...leaky } as ModelView);
    expect(text).toMatch(/Memory:\s+39GB/);
    expect(text).toContain('["--trust-remote-code","--max-model-len","32768"]');
    const slotLines = text.split('\n').slice(text.split('\n').indexOf('Slots:') + 1);
    expect(slotLines[0]).toMatch(/^SLOT\s+RUNNER\s+GPUS\s+STATE\s+RESTARTS\s+TOKEN SOURCE\s+TOKEN FINGERPRINT\s+ENDPOINT\s+ERROR$/);
    expect(slotLines[1]).toMatch(new RegExp(`^slot-1\\s+gpu-1\\s+0\\s+running\\s+0\\s+global\\s+${FP}\\s+http://10.0.0.5:40001\\s+-$`));
    expect(slotLines[2]).toMatch(/^slot-2\s+gpu-2\s+0\s+failed\s+0\s+none\s+-\s+\S+\s+hf_auth: Set the Hugging Face token\.$/);
    expect(text).not.toContain(TOKEN);
    expect(renderModel({ id: 'a/b', runtime_args: { args: ['--x'] } })).toContain('["--x"]');
    expect(renderModel({ id: 'a/b' })).toContain('Slots: none');
  });

  it('model list', () => {
    const text = renderModels([{ ...model, ...leaky } as ModelView]);
    expect(text.split('\n')[1]).toMatch(/^Qwen\/Qwen2.5-VL-7B-Instruct\s+Qwen 2.5 VL 7B\s+chat\s+vllm\s+39GB\s+32768\s+yes\s+yes\s+2 \(1 running, 1 failed\)$/);
    expect(text).not.toContain(TOKEN);
    expect(renderModels([])).toBe('No models.');
  });

  it('API keys: a list shows prefixes and states, never more; a created key is shown once with a warning to save it', () => {
    const text = renderApiKeys([apiKey, { ...apiKey, id: 'k2', prefix: null, revoked: '2026-11-27T11:00:00.000Z', bootstrap: true }], 'u1');
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^ID\s+PREFIX\s+CREATED\s+STATE\s+BOOTSTRAP$/),
      expect.stringMatching(/^k1\s+hl-abcdef\s+2026-11-27T10:00:00.000Z\s+active\s+-$/),
      expect.stringMatching(/^k2\s+\(unknown until next use\)\s+2026-11-27T10:00:00.000Z\s+revoked 2026-11-27T11:00:00.000Z\s+HELIX_ADMIN_API_KEY$/),
    ]);
    expect(renderApiKeys([], 'u1')).toBe('User u1 has no API keys.');
    const created = renderCreatedApiKey({ id: 'k3', prefix: 'hl-abcdef', created: 'now', api_key: 'hl-abcdefSECRET' });
    expect(created).toContain('API key: hl-abcdefSECRET');
    expect(created).toMatch(/shown only once/);
  });

  it('a created user shows its API key once, with a warning to save it', () => {
    const text = renderCreatedUser({ id: 'u1', name: 'alice', admin: false, created: 'now', api_key: 'hl-abc' });
    expect(text).toContain('API key: hl-abc');
    expect(text).toMatch(/shown only once/);
  });

  it('no rendering of any server object prints a token carried in a field it does not display (property)', () => {
    // The fields the views display on purpose (docs/reference/rest.md): all but names, ids and fingerprints are typed non-strings.
    const displayed = new Set([
      ...Object.keys(settings),
      'model_id',
      'effective',
      'chain',
      'set',
      'fingerprint',
      'version',
      ...Object.keys(runner()),
      ...Object.keys(slot()),
      ...Object.keys(model),
      'created',
      'updated',
      'prefix',
      'revoked',
      'bootstrap',
    ]);
    const tokenKey = fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom('huggingface_token', 'hf_token', 'token', 'HF_TOKEN', 'secret', 'value'));
    fc.assert(
      fc.property(
        fc.dictionary(
          tokenKey.filter((k) => !displayed.has(k)),
          fc.constant(TOKEN),
        ),
        fc.boolean(),
        (extra, set) => {
          const out = [
            renderSettings({ ...settings, ...extra, huggingface_token_set: set } as SystemSettingsView, 'unknown'),
            renderRunners([{ ...runner(), ...extra } as RunnerView], 1),
            renderModel({ ...model, ...extra, slots: [{ ...slot(), ...extra } as SlotView] } as ModelView),
            renderModels([{ ...model, ...extra } as ModelView]),
            renderSettings({ ...settings, ...extra, scope: 'org', scope_id: 'acme' } as SettingsView),
            renderTokenChain({ ...chain(null), ...extra, chain: chain(null).chain.map((l) => ({ ...l, ...extra })) } as TokenChainView),
            renderApiKeys([{ ...apiKey, ...extra } as ApiKeyView]),
            renderRevokedApiKey({ ...apiKey, ...extra } as ApiKeyView, apiKey.id),
          ].join('\n');
          expect(out).not.toContain(TOKEN);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('table and formatting', () => {
  it('aligns columns, right-aligns numbers and keeps every cell on one line', () => {
    const text = renderTable(
      [
        { header: 'name', value: (r: { n: string; v: number }) => r.n },
        { header: 'value', value: (r) => String(r.v), right: true },
      ],
      [
        { n: 'a\nb', v: 1 },
        { n: 'long name', v: 100 },
      ],
    );
    expect(text).toBe(['NAME       VALUE', 'a b            1', 'long name    100'].join('\n'));
  });

  it('formats bytes in the unit an operator would have written', () => {
    expect(formatBytes(39_000_000_000)).toBe('39GB');
    expect(formatBytes(40 * 1024 ** 3)).toBe('40GiB');
    expect(formatBytes(80_000_000_000)).toBe('80GB');
    expect(formatBytes(1_234_567_890)).toBe('1.2GB');
    expect(formatBytes(0)).toBe('0');
    expect(formatBytes(512)).toBe('512B');
    expect(formatBytes(undefined)).toBe('-');
  });
});
