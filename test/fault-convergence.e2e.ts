import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, scanForSecrets, startStack, type Stack } from '@helix/testing';

/**
 * Kill-and-restart cycles of every process in turn while the token rotates: each cycle kills one
 * process with SIGKILL (Postgres with SIGQUIT, its crash), restarts it, rotates the token, and
 * measures how long it takes until every runner reports the new version in GET /api/v1/runners.
 * The numbers are reported (in .test-results/fault-convergence.json and on stdout); the test
 * asserts only that nothing is lost: every rotation converges, and no vLLM process outlives the
 * runner that started it. The p99 goal (≤ 5 s) is read from the report, not asserted on timing.
 */
const RUNNERS = ['gpu-k1', 'gpu-k2'];
const VICTIMS = ['nats', 'postgres', 'settings-service', 'models-service', 'gateway', 'runner'] as const;
/** One round in CI (every process killed once); more for a closer look: HELIX_FAULT_ROUNDS=5 npx vitest run test/fault-convergence.e2e.ts */
const ROUNDS = Number(process.env.HELIX_FAULT_ROUNDS ?? 1);
const CONVERGE_LIMIT_MS = 60_000;
const stamp = Date.now();
const tokens: string[] = [];
const nextToken = () => {
  const t = `hf_faultConv${stamp}n${tokens.length}`;
  tokens.push(t);
  return t;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter(Boolean);
  } catch {
    return [];
  }
};

describe('fault cycles: every process killed in turn during rotations', () => {
  let stack: Stack;
  const samples: Array<{ victim: string; round: number; ms: number }> = [];

  beforeAll(async () => {
    stack = await startStack({ runners: RUNNERS.map((id) => ({ id })) });
    // One model per runner, so that a killed runner has a vLLM child that must die with it.
    for (const [i, runner] of RUNNERS.entries()) {
      const res = await stack.api('POST', '/api/v1/models', {
        id: `fault/m${i}`,
        name: `m${i}`,
        type: 'chat',
        runtime: 'vllm',
        memory: '50GB',
        context_length: 1024,
      });
      expect(res.status, res.text).toBe(201);
      void runner;
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** A PUT that is retried while the victim is still coming back; returns the new version. */
  async function rotate(): Promise<number> {
    const token = nextToken();
    const deadline = Date.now() + CONVERGE_LIMIT_MS;
    for (;;) {
      const res = await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: token }).catch(() => undefined);
      if (res?.status === 200) return res.body.version;
      if (Date.now() > deadline) throw new Error(`rotation failed: ${res?.status} ${res?.text}`);
      await sleep(200);
    }
  }

  async function converged(version: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const res = await stack.api('GET', '/api/v1/runners').catch(() => undefined);
      const runners: any[] = res?.status === 200 ? res.body : [];
      const ok = RUNNERS.every((id) => runners.some((r) => r.id === id && r.state === 'online' && r.settings_version >= version && r.in_sync));
      if (ok) return Date.now() - started;
      if (Date.now() - started > CONVERGE_LIMIT_MS) throw new Error(`runners did not report version ${version} within ${CONVERGE_LIMIT_MS} ms: ${res?.text}`);
      await sleep(50);
    }
  }

  async function killAndRestart(victim: (typeof VICTIMS)[number], round: number): Promise<void> {
    switch (victim) {
      case 'nats':
        await stack.nats.kill();
        await sleep(500);
        await stack.nats.start();
        return;
      case 'postgres':
        await stack.pg.kill();
        await sleep(500);
        await stack.pg.start();
        return;
      case 'settings-service':
        stack.settings[0].kill();
        await stack.settings[0].waitForExit();
        stack.settings.shift();
        stack.settingsHealth.shift();
        await stack.startSettingsService();
        return;
      case 'models-service':
        stack.models.kill();
        await stack.models.waitForExit();
        await stack.startModelsService();
        return;
      case 'gateway':
        stack.gateway.kill();
        await stack.gateway.waitForExit();
        await stack.startGateway();
        return;
      case 'runner': {
        const id = RUNNERS[round % RUNNERS.length];
        const runner = stack.runners.get(id)!;
        const vllm = childrenOf(runner.pid);
        process.kill(runner.pid, 'SIGKILL'); // the runner only: its children are not signalled
        await runner.waitForExit();
        stack.runners.delete(id);
        // No vLLM process (each holds a token) outlives its runner.
        const deadline = Date.now() + 10_000;
        while (vllm.some(alive) && Date.now() < deadline) await sleep(100);
        expect(vllm.filter(alive), `vLLM children of the killed runner ${id}`).toEqual([]);
        await stack.startRunner({ id });
        return;
      }
    }
  }

  it(
    `${ROUNDS} rounds of ${VICTIMS.join(', ')}: every rotation converges and no vLLM process is orphaned`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        for (const victim of VICTIMS) {
          await rotate(); // a rotation in flight when the kill lands
          await killAndRestart(victim, round);
          const version = await rotate();
          samples.push({ victim, round, ms: await converged(version) });
        }
      }
      const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
      const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
      const report = { samples, p50_ms: pick(0.5), p99_ms: pick(0.99), max_ms: sorted.at(-1) };
      mkdirSync(join(repoRoot(), '.test-results'), { recursive: true });
      writeFileSync(join(repoRoot(), '.test-results/fault-convergence.json'), JSON.stringify(report, null, 2));
      console.log(
        `fault convergence after each kill: p50 ${report.p50_ms} ms, p99 ${report.p99_ms} ms, max ${report.max_ms} ms; ${samples.map((s) => `${s.victim}:${s.ms}`).join(' ')}`,
      );
      expect(samples).toHaveLength(ROUNDS * VICTIMS.length);
    },
    20 * 60_000,
  );

  it('no token value of the cycles appears in any log line or response', async () => {
    expect(await scanForSecrets(tokens, { texts: stack.texts() })).toEqual([]);
  });
});
