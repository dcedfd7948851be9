import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scanForSecrets, startStack, type Stack } from '@helix/testing';

/**
 * docs/reference/events.md: a runner that joins replays every scope before it is ready, and one that was offline
 * while scopes changed catches up. 1,000 scoped tokens set through the API; ground truth is the
 * token a model start hands vLLM (the simulator's /sim/info fingerprint), for sampled scopes.
 */
const fp = (t: string) => `sha256:${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
const stamp = Date.now().toString(36);
const ORGS = 400;
const USERS = 300;
const MODELS = 300;
const tokenOf = (kind: string, i: number, round = 1) => `hf_scale${kind}${i}r${round}${stamp}`;
const enc = (id: string) => `/api/v1/models/${encodeURIComponent(id)}`;
const small = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: id, type: 'embed', runtime: 'vllm', memory: '1GB', ...extra });
const used: string[] = [];

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

describe('1,000 scoped tokens: a joining runner holds them all, an offline one catches up (docs/reference/events.md)', () => {
  let stack: Stack;
  const userIds: string[] = [];
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await stack.api(method, path, body);
    expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(300);
    return res.body;
  };
  const setToken = (path: string, token: string | null) => {
    if (token) used.push(token);
    return ok('PUT', path, { huggingface_token: token });
  };
  const slotOf = async (id: string) => (await stack.api('GET', enc(id))).body?.slots?.[0];
  /** Starts a fresh model with this chain and returns the fingerprint vLLM received. */
  const startedWith = async (id: string, chain: Record<string, unknown>) => {
    await ok('POST', '/api/v1/models', small(id, chain));
    const slot = await vi.waitFor(
      async () => {
        const s = await slotOf(id);
        expect(s?.state, JSON.stringify(s)).toBe('running');
        return s;
      },
      { timeout: 20_000, interval: 150 },
    );
    const info = (await (await fetch(`${slot.endpoint}/sim/info`)).json()) as { hf_token_fingerprint: string | null };
    expect(info.hf_token_fingerprint).toBe(slot.hf_token_fingerprint);
    return { source: slot.hf_token_source, fingerprint: info.hf_token_fingerprint };
  };
  /** Waits until every committed settings event was published to the SETTINGS stream. */
  const outboxDrained = async () => {
    const db = new Client({ connectionString: stack.pg.url });
    await db.connect();
    try {
      await vi.waitFor(
        async () => {
          const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM settings.outbox');
          expect(rows[0].n, 'settings events committed but not yet published').toBe(0);
        },
        { timeout: 30_000, interval: 100 },
      );
    } finally {
      await db.end();
    }
  };
  const runnerView = async () => (await stack.api('GET', '/api/v1/runners')).body.find((r: any) => r.id === 'gpu-join');

  beforeAll(async () => {
    stack = await startStack();
    const orgs = Array.from({ length: ORGS }, (_, i) => i);
    await inParallel(orgs, 16, async (i) => {
      await ok('POST', '/api/v1/orgs', { id: `org-${i}` });
      await setToken(`/api/v1/orgs/org-${i}/settings`, tokenOf('Org', i));
    });
    await inParallel(
      Array.from({ length: USERS }, (_, i) => i),
      16,
      async (i) => {
        const user = await ok('POST', '/api/v1/users', { name: `scale-user-${i}` });
        userIds[i] = user.id;
        await setToken(`/api/v1/users/${user.id}/settings`, tokenOf('User', i));
      },
    );
    await inParallel(
      Array.from({ length: MODELS }, (_, i) => i),
      16,
      async (i) => {
        await ok('POST', '/api/v1/models', small(`scale/model-${i}`, { enabled: false }));
        await setToken(`${enc(`scale/model-${i}`)}/settings`, tokenOf('Model', i));
      },
    );
    // A PUT answers once its change is committed; the outbox publishes it to the stream just after.
    // "Set before the runner started" means published too. A CI run once had the runner end its
    // replay holding 703 of 1,000 scopes, most likely because the outbox was still publishing.
    await outboxDrained();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('a runner started after 1,000 scoped tokens were set is ready holding all of them, and in sync', async () => {
    const runner = await stack.startRunner({ id: 'gpu-join', memory: '80GB' });
    // Ready means replayed: the log line (written asynchronously) says how many scopes it holds.
    const replay = await runner.waitFor((l) => l.msg === 'settings replay complete');
    expect(replay.scopes).toBe(ORGS + USERS + MODELS);
    const view = await vi.waitFor(
      async () => {
        const v = await runnerView();
        expect(v?.in_sync, JSON.stringify(v)).toBe(true);
        return v;
      },
      { timeout: 15_000 },
    );
    expect(view.settings_applied).toBe(ORGS + USERS + MODELS);
    // The settings-service recorded the replay's acks (one log line per batch) but keeps no row per
    // scope: 1,000 scoped rows per runner would be 10 million at 100 runners × 100,000 scopes.
    await stack.settings[0].waitFor((l) => l.msg === 'successfully synced settings to runner' && l.runner_id === 'gpu-join');
    const db = new Client({ connectionString: stack.pg.url });
    await db.connect();
    try {
      const rows = await db.query("SELECT scope, count(*)::int AS n FROM settings.runner_acks WHERE runner_id = 'gpu-join' GROUP BY scope");
      expect(rows.rows.filter((r) => r.scope !== 'global')).toEqual([]);
    } finally {
      await db.end();
    }
    // Ground truth for sampled scopes of each kind: a model start uses exactly that scope's token.
    for (const i of [0, 137, ORGS - 1])
      expect(await startedWith(`sample/org-${i}`, { org_id: `org-${i}` })).toEqual({ source: 'org', fingerprint: fp(tokenOf('Org', i)) });
    for (const i of [3, USERS - 1]) {
      expect(await startedWith(`sample/user-${i}`, { owner_id: userIds[i], org_id: 'org-5' })).toEqual({ source: 'user', fingerprint: fp(tokenOf('User', i)) });
    }
    for (const i of [0, MODELS - 1]) {
      await ok('PUT', enc(`scale/model-${i}`), { enabled: true, org_id: 'org-6' });
      const slot = await vi.waitFor(
        async () => {
          const s = await slotOf(`scale/model-${i}`);
          expect(s?.state).toBe('running');
          return s;
        },
        { timeout: 20_000 },
      );
      expect(slot).toMatchObject({ hf_token_source: 'model', hf_token_fingerprint: fp(tokenOf('Model', i)) });
    }
  });

  it('a runner that was offline while scopes changed catches up when it returns, and is not in sync meanwhile', async () => {
    expect(await stack.stopRunner('gpu-join')).toBe(0);
    // While it is away: new tokens for some orgs and models, some user tokens cleared, a global token.
    await inParallel([10, 11, 12, 13, 14], 5, (i) => setToken(`/api/v1/orgs/org-${i}/settings`, tokenOf('Org', i, 2)).then(() => undefined));
    await inParallel([20, 21, 22], 3, (i) => setToken(`/api/v1/users/${userIds[i]}/settings`, null).then(() => undefined));
    await inParallel([30, 31], 2, (i) => setToken(`${enc(`scale/model-${i}`)}/settings`, tokenOf('Model', i, 2)).then(() => undefined));
    const global = `hf_scaleGlobal${stamp}`;
    await setToken('/api/v1/system/settings', global);
    expect((await runnerView()).in_sync).toBe(false);

    await outboxDrained();
    await stack.startRunner({ id: 'gpu-join', memory: '80GB' });
    const view = await vi.waitFor(
      async () => {
        const v = await runnerView();
        expect(v?.in_sync, JSON.stringify(v)).toBe(true);
        expect(v.state).toBe('online');
        return v;
      },
      { timeout: 15_000 },
    );
    expect(view.settings_applied).toBe(ORGS + USERS + MODELS + 1);
    expect(view.settings_version).toBe(1);
    expect(await startedWith('after/org-12', { org_id: 'org-12' })).toEqual({ source: 'org', fingerprint: fp(tokenOf('Org', 12, 2)) });
    // A cleared user token falls back to the next level of the chain (here: the org's).
    expect(await startedWith('after/user-21', { owner_id: userIds[21], org_id: 'org-40' })).toEqual({ source: 'org', fingerprint: fp(tokenOf('Org', 40)) });
    expect(await startedWith('after/user-22', { owner_id: userIds[22] })).toEqual({ source: 'global', fingerprint: fp(global) });
    await ok('PUT', enc('scale/model-31'), { enabled: true });
    await vi.waitFor(
      async () =>
        expect(await slotOf('scale/model-31')).toMatchObject({ state: 'running', hf_token_source: 'model', hf_token_fingerprint: fp(tokenOf('Model', 31, 2)) }),
      {
        timeout: 20_000,
      },
    );
  });

  it('no token value in any log, response, or the NATS files', async () => {
    // Every token starts with "hf_scale": no text may hold that prefix in clear. Encoded forms (base64,
    // hex) are looked for with a sample, since each token adds eight needles to the scan.
    for (const { label, text } of stack.texts()) expect(text.includes('hf_scale'), label).toBe(false);
    const findings = await scanForSecrets(
      used.filter((_, i) => i % 20 === 0 || i >= used.length - 12),
      { texts: stack.texts(), dirs: [stack.nats.storeDir] },
    );
    expect(findings).toEqual([]);
  });
});
