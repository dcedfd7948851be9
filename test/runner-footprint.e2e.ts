import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNNER_NODE_OPTIONS } from '@helix/local-infra';
import { eventually, repoRoot, SEED_MODEL, startStack, type Stack } from '@helix/testing';

/**
 * The runner's memory goal (docs/decisions.md, runner memory): one runner per GPU node holds no more
 * than it needs. What it must never load, because another process's concern pulls it in through a
 * shared lib: the ORM and the Postgres driver (about 300 modules, 8 MiB: the runner has no
 * database), @nestjs/swagger (only the gateway documents HTTP), class-validator with
 * class-transformer (about 300 modules; only the gateway validates HTTP bodies, configuration uses
 * @helix/config's own decorators) and Fastify's schema compilers (the runner's port serves probes
 * only: probeOnlyFastify). The hook sees what `require` loaded; NestJS 12's own `import()` of
 * @nestjs/microservices in NestFactory.create (its "lazy package" preload) does not show here.
 */
describe('the runner process loads no database, API-document or HTTP-validation code', () => {
  let stack: Stack;
  const dir = mkdtempSync(join(tmpdir(), 'helix-footprint-'));
  const hook = join(dir, 'record-packages.cjs');
  const report = join(dir, 'packages.json');

  beforeAll(async () => {
    // Preloaded into the runner: every half second, the npm packages its require cache holds (a
    // runner stopping by signal may not run 'exit' handlers).
    writeFileSync(
      hook,
      `setInterval(() => {
        const packages = new Set();
        for (const file of Object.keys(require.cache)) {
          const m = /.*node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file); // the innermost package
          if (m) packages.add(m[1]);
        }
        require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify([...packages].sort()));
      }, 500).unref();`,
    );
    stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after starting, applying the global token and starting a model', async () => {
    await stack.startRunner({ id: 'footprint', env: { NODE_OPTIONS: `${RUNNER_NODE_OPTIONS} --require ${hook}` } });
    expect((await stack.api('PUT', '/api/v1/system/settings', { huggingface_token: `hf_footprint${Date.now()}` })).status).toBe(200);
    expect((await stack.api('POST', '/api/v1/models', SEED_MODEL)).status).toBe(201);
    await eventually(
      async () => (await stack.api('GET', '/api/v1/models')).body.find((m: any) => m.id === SEED_MODEL.id)?.slots?.[0]?.state === 'running' || null,
      30_000,
      'the model running',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the hook's next report
    await stack.stopRunner('footprint');
    const packages: string[] = JSON.parse(readFileSync(report, 'utf8'));
    expect(packages).toContain('@nats-io/jetstream'); // the hook saw the runner's modules
    const forbidden = [
      'typeorm',
      '@nestjs/typeorm',
      'pg',
      '@nestjs/swagger',
      'swagger-ui-dist',
      'class-validator',
      'class-transformer',
      'validator',
      'libphonenumber-js',
      'ajv',
      '@fastify/ajv-compiler',
      '@fastify/fast-json-stringify-compiler',
    ];
    expect(packages.filter((p) => forbidden.includes(p))).toEqual([]);
    // NestJS runs from the runner's bundle (scripts/lib/bundle-apps.mjs): none of its ES modules is
    // loaded from node_modules, and what the bundle inlined is held to the same list.
    expect(packages.filter((p) => p.startsWith('@nestjs/'))).toEqual([]);
    const inlined = (JSON.parse(readFileSync(join(repoRoot(), 'dist/apps/runner/main.bundle.json'), 'utf8')) as { packages: string[] }).packages;
    expect(inlined).toContain('@nestjs/core');
    expect(inlined.filter((p) => forbidden.includes(p))).toEqual([]);
  }, 120_000);
});
