import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnApp, eventually, startStack, type Stack } from '@helix/testing';

const key = () => randomBytes(32).toString('base64');

describe('configuration errors stop a process with one clear line', () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['gateway', {}, ['DATABASE_URL', 'HELIX_SETTINGS_KEY']],
    ['settings-service', { DATABASE_URL: 'postgres://x@127.0.0.1:1/x' }, ['HELIX_ENCRYPTION_KEY', 'HELIX_SETTINGS_KEY', 'HELIX_EVENT_SIGNING_KEY']],
    ['models-service', {}, ['DATABASE_URL']],
    ['runner', { HELIX_RUNNER_MEMORY: '80GB' }, ['HELIX_SETTINGS_KEY', 'HELIX_EVENT_VERIFY_KEY']],
    ['runner', { HELIX_SETTINGS_KEY: key(), HELIX_EVENT_VERIFY_KEY: key() }, ['HELIX_RUNNER_MEMORY']],
    ['runner', { HELIX_SETTINGS_KEY: key(), HELIX_EVENT_VERIFY_KEY: key(), HELIX_RUNNER_MEMORY: '80GB', HELIX_RUNNER_ID: 'has.dots' }, ['HELIX_RUNNER_ID']],
    ['settings-service', { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', HELIX_ENCRYPTION_KEY: key(), HELIX_SETTINGS_KEY: key() }, ['HELIX_EVENT_SIGNING_KEY']],
    [
      'settings-service',
      {
        DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
        HELIX_ENCRYPTION_KEY: 'c2VjcmV0LW5vdC0zMi1ieXRlcw==',
        HELIX_SETTINGS_KEY: key(),
        HELIX_EVENT_SIGNING_KEY: key(),
      },
      ['HELIX_ENCRYPTION_KEY'],
    ],
    ['gateway', { DATABASE_URL: 'mysql://nope', HELIX_SETTINGS_KEY: key() }, ['DATABASE_URL']],
    [
      'runner',
      { HELIX_SETTINGS_KEY_FILE: '/nonexistent/helix-settings-key', HELIX_EVENT_VERIFY_KEY: key(), HELIX_RUNNER_MEMORY: '80GB' },
      ['HELIX_SETTINGS_KEY_FILE'],
    ],
    ['runner', { HELIX_SETTINGS_KEY: key(), HELIX_EVENT_VERIFY_KEY: key(), HELIX_RUNNER_MEMORY: '80GB', HELIX_VLLM_UID: 'nobody' }, ['HELIX_VLLM_UID']],
    ['runner', { HELIX_SETTINGS_KEY: key(), HELIX_EVENT_VERIFY_KEY: key(), HELIX_RUNNER_MEMORY: '80GB', HELIX_VLLM_GID: '65534' }, ['HELIX_VLLM_GID']],
    [
      'settings-service',
      {
        DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
        HELIX_ENCRYPTION_KEY: `k1:${key()},k1:${key()}`,
        HELIX_SETTINGS_KEY: key(),
        HELIX_EVENT_SIGNING_KEY: key(),
      },
      ['HELIX_ENCRYPTION_KEY'],
    ],
  ];

  it.each(cases)('%s, case %#: one line that names the variable', async (app, env, variables) => {
    const proc = spawnApp(app, { HELIX_NATS_URL: 'nats://127.0.0.1:1', ...env });
    expect(await proc.waitForExit(15_000)).toBe(1);
    const lines = proc.lines.filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    for (const v of variables) expect(lines[0]).toContain(v);
    expect(lines[0]).not.toMatch(/\n|\s+at\s|Error:/);
    for (const value of Object.values(env)) if (value.length > 8) expect(lines[0]).not.toContain(value);
  });
});

describe('every process stops cleanly on SIGTERM within 10 s', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'gpu-stop' }] });
    const created = await stack.api('POST', '/api/v1/models', {
      id: 'acme/stop-test',
      name: 'Stop test',
      type: 'chat',
      runtime: 'vllm',
      memory: '1GB',
      context_length: 2048,
    });
    expect(created.status).toBe(201);
    await eventually(async () => (await stack.api('GET', '/api/v1/models/acme/stop-test')).body.slots?.[0]?.state === 'running', 30_000, 'slot running');
    const metrics = await (await fetch(`${stack.modelsHealth}/metrics`)).text();
    expect(metrics).toMatch(/^helix_models_slots_dispatched_total 1$/m);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(['runner', 'gateway', 'models-service', 'settings-service'])('%s exits 0', async (name) => {
    const app =
      name === 'runner' ? stack.runners.get('gpu-stop')! : name === 'gateway' ? stack.gateway : name === 'models-service' ? stack.models : stack.settings[0];
    const started = Date.now();
    const code = await app.stop('SIGTERM', 10_000);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    if (name === 'runner') {
      expect(app.json().some((l) => l.msg === 'NewVLLMRuntime received args')).toBe(true);
      stack.runners.delete('gpu-stop');
    }
  });
});
