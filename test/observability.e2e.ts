import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '@helix/local-infra';
import { eventually, startStack, type Stack } from '@helix/testing';

/**
 * Logs and metrics as an operator meets them, on real processes at LOG_LEVEL=info: the gateway's
 * access log, the request id from the gateway to the services' lines, quiet start-up, and the
 * alerting metrics after a rotation.
 */
const TOKEN = `hf_obsAlpha${Date.now()}xyz`;
const NEST_BOOT = ['RoutesResolver', 'RouterExplorer', 'InstanceLoader', 'NestFactory', 'NestApplication', 'NestMicroservice'];

const access = (fields: Record<string, unknown>) => (l: any) => l.msg === 'request completed' && Object.entries(fields).every(([k, v]) => l[k] === v);

async function metricsText(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

/** Every helix_* metric name in the Grafana dashboard's and the alert rules' expressions. */
function referencedMetrics(): Map<string, string> {
  const names = new Map<string, string>();
  const add = (expr: string, where: string) => {
    for (const name of expr.match(/\bhelix_[a-z0-9_]+/g) ?? []) names.set(name, where);
  };
  const dashboard = JSON.parse(readFileSync(join(repoRoot(), 'deploy/grafana/helix.json'), 'utf8'));
  for (const panel of dashboard.panels) for (const target of panel.targets ?? []) add(target.expr, `dashboard panel "${panel.title}"`);
  const rules = parse(readFileSync(join(repoRoot(), 'deploy/prometheus/helix-rules.yaml'), 'utf8'));
  for (const group of rules.groups) for (const rule of group.rules) add(rule.expr, `alert ${rule.alert}`);
  return names;
}

/** Whether a /metrics exposition declares `name` (a histogram's _bucket/_count/_sum through its base name). */
function declares(text: string, name: string): boolean {
  if (text.includes(`# TYPE ${name} `)) return true;
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return base !== name && text.includes(`# TYPE ${base} histogram`);
}

/** The value of one sample (`name{labels}`) in a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('logs and metrics for operators', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ runners: [{ id: 'obs-1' }, { id: 'obs-2' }], env: { LOG_LEVEL: 'info' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('starts without NestJS narration at info, and every line has a msg', () => {
    const apps = [stack.gateway, stack.models, ...stack.settings, ...stack.runners.values()];
    for (const app of apps) {
      const contexts = app
        .json()
        .filter((l: any) => l.level === 'info')
        .map((l: any) => l.context);
      for (const noisy of NEST_BOOT) expect(contexts, `${app.name} logs ${noisy} at info`).not.toContain(noisy);
      for (const line of app.json()) expect(typeof line.msg, `${app.name}: ${JSON.stringify(line)}`).toBe('string');
      // The services' deadline interceptor and error filter (which logs errors with their stack) are applied.
      expect(app.lines.filter((l) => l.includes('registration must occur before initialization'))).toEqual([]);
    }
  });

  it('a PUT is access-logged with its route pattern, status, user and request id, and the settings-service line carries that id', async () => {
    const me = (await stack.api('GET', '/api/v1/users/me')).body;
    const res = await fetch(`${stack.url}/api/v1/system/settings?pretty=1`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json', 'x-request-id': 'obs-put-1' },
      body: JSON.stringify({ huggingface_token: TOKEN }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('obs-put-1');

    const line = await stack.gateway.waitFor(access({ request_id: 'obs-put-1' }));
    expect(line).toMatchObject({ level: 'info', method: 'PUT', route: '/api/v1/system/settings', status: 200, user_id: me.id });
    expect(typeof line.duration_ms).toBe('number');
    expect(JSON.stringify(line)).not.toContain('pretty');

    const changed = await stack.settings[0].waitFor((l: any) => l.msg === 'system settings updated by admin' && l.version === 1);
    expect(changed.request_id).toBe('obs-put-1');
    const initiated = await stack.settings[0].waitFor((l: any) => l.msg === 'initiated system settings sync to all runners' && l.version === 1);
    expect(initiated.request_id).toBe('obs-put-1');
    // The event carries the id in its Helix-Request-Id header to the runners' applied lines.
    for (const id of ['obs-1', 'obs-2']) {
      const applied = await stack.runners.get(id)!.waitFor((l: any) => l.msg === 'updated hugging face token from control plane' && l.version === 1);
      expect(applied.request_id).toBe('obs-put-1');
    }
  });

  it('the request id reaches the models-service lines too, and an unsafe X-Request-Id is replaced', async () => {
    const res = await fetch(`${stack.url}/api/v1/models`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json', 'x-request-id': 'bad id "with" quotes' },
      body: JSON.stringify({ id: 'obs/model-a', name: 'obs/model-a', type: 'chat', runtime: 'vllm', memory: '1GB', context_length: 4096 }),
    });
    expect(res.status).toBe(201);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = await stack.gateway.waitFor(access({ request_id: id }));
    expect(line).toMatchObject({ method: 'POST', route: '/api/v1/models' });
    const created = await stack.models.waitFor((l: any) => l.request_id === id);
    expect(created.msg).toEqual(expect.any(String));
  });

  it('401, 403, 404 and refused bodies are access-logged, with the route pattern and never the URL or a credential', async () => {
    const user = await stack.api('POST', '/api/v1/users', { name: 'obs-user', admin: false });
    expect(user.status).toBe(201);
    const userKey: string = user.body.api_key;

    const unauth = await fetch(`${stack.url}/api/v1/runners`, { headers: { authorization: 'Bearer hl-not-a-real-key-0123456789', 'x-request-id': 'obs-401' } });
    expect(unauth.status).toBe(401);
    expect(await stack.gateway.waitFor(access({ request_id: 'obs-401' }))).toMatchObject({ route: '/api/v1/runners', status: 401, user_id: null });

    const forbidden = await fetch(`${stack.url}/api/v1/runners`, { headers: { authorization: `Bearer ${userKey}`, 'x-request-id': 'obs-403' } });
    expect(forbidden.status).toBe(403);
    const line403 = await stack.gateway.waitFor(access({ request_id: 'obs-403' }));
    expect(line403).toMatchObject({ route: '/api/v1/runners', status: 403, user_id: user.body.id });

    const missing = await fetch(`${stack.url}/api/v1/nothing/here-0123?secret=1`, { headers: { 'x-request-id': 'obs-404' } });
    expect(missing.status).toBe(404);
    expect(await stack.gateway.waitFor(access({ request_id: 'obs-404' }))).toMatchObject({ route: 'unmatched', status: 404, method: 'GET' });

    const refused = await fetch(`${stack.url}/api/v1/system/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'text/plain', 'x-request-id': 'obs-415' },
      body: `huggingface_token=${TOKEN}`,
    });
    expect(refused.status).toBe(415);
    expect(await stack.gateway.waitFor(access({ request_id: 'obs-415' }))).toMatchObject({ route: '/api/v1/system/settings', status: 415 });

    const invalid = await fetch(`${stack.url}/api/v1/system/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json', 'x-request-id': 'obs-400' },
      body: JSON.stringify({ huggingface_token: 42 }),
    });
    expect(invalid.status).toBe(400);
    expect(await stack.gateway.waitFor(access({ request_id: 'obs-400' }))).toMatchObject({ status: 400 });

    // Refused before any route: a malformed escape (the router's own error) and a non-canonical path.
    const before = stack.gateway.json().filter(access({ status: 400, route: 'unmatched' })).length;
    expect((await stack.raw('GET', '/api/v1/models/%zz?token=abc')).status).toBe(400);
    expect((await stack.raw('GET', '/api/v1//runners')).status).toBe(400);
    await eventually(() => stack.gateway.json().filter(access({ status: 400, route: 'unmatched' })).length === before + 2, 10_000, 'two 400s logged');

    // Process output only: the user-creation response itself holds the new key.
    const logs = stack
      .texts()
      .filter((t) => t.label.endsWith(' output'))
      .map((t) => t.text);
    expect(logs.length).toBeGreaterThanOrEqual(5);
    for (const text of logs) {
      expect(text).not.toContain(stack.adminKey);
      expect(text).not.toContain(userKey);
      expect(text).not.toContain('hl-not-a-real-key-0123456789');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('secret=1');
      expect(text).not.toContain('token=abc');
      expect(text).not.toMatch(/"authorization"/i);
    }
  });

  it('exports the alerting metrics with the values of the rotation: version per scope kind, runners online and in sync, slots, outbox lag', async () => {
    const settings = await eventually(async () => {
      const text = await metricsText(stack.settingsHealth[0]);
      return sample(text, 'helix_settings_version{scope="global"}') === 1 ? text : undefined;
    });
    expect(sample(settings, 'helix_settings_version{scope="org"}')).toBe(0);
    expect(sample(settings, 'helix_settings_outbox_pending')).toBe(0);
    expect(sample(settings, 'helix_settings_outbox_oldest_age_seconds')).toBe(0);

    // The model created above runs on one runner.
    const models = await eventually(
      async () => {
        const text = await metricsText(stack.modelsHealth);
        return sample(text, 'helix_models_slots{state="running",reason="none"}') === 1 ? text : undefined;
      },
      20_000,
      'one running slot in the metrics',
    );
    expect(sample(models, 'helix_models_runners{state="online"}')).toBe(2);
    expect(sample(models, 'helix_models_runners{state="offline"}')).toBe(0);

    const gateway = await eventually(async () => {
      const text = await metricsText(stack.url);
      return sample(text, 'helix_gateway_runners_in_sync') === 2 ? text : undefined;
    });
    expect(sample(gateway, 'helix_gateway_runner_in_sync{runner="obs-1"}')).toBe(1);
    expect(sample(gateway, 'helix_gateway_runner_in_sync{runner="obs-2"}')).toBe(1);

    const runner = await metricsText(stack.runnerHttp.get('obs-1')!);
    expect(runner).toContain('# TYPE helix_runner_vllm_restarts_total counter');
    expect(runner).toContain('# TYPE helix_runner_hf_auth_failures_total counter');
  });

  it('every metric the Grafana dashboard and the alert rules use is exported by a running service', async () => {
    const texts = await Promise.all([stack.url, stack.settingsHealth[0], stack.modelsHealth, stack.runnerHttp.get('obs-1')!].map(metricsText));
    const all = texts.join('\n');
    const referenced = referencedMetrics();
    expect(referenced.size).toBeGreaterThanOrEqual(10);
    const missing = [...referenced].filter(([name]) => !declares(all, name)).map(([name, where]) => `${name} (${where})`);
    expect(missing).toEqual([]);
  });
});
