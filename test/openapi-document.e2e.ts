import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConfig, lint } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@helix/testing';

// The committed API document (docs/reference/openapi.json): current, valid and complete. The
// calls themselves are checked against a running gateway in openapi-client.e2e.ts.

const DOCUMENT_FILE = join(repoRoot(), 'docs/reference/openapi.json');
const document = JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const operations: Array<{ method: string; path: string; op: any }> = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(
  ([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
);
const PROBES = ['/healthz', '/readyz', '/metrics'];
const ERROR_REF = '#/components/schemas/ErrorBodyDto';

/**
 * Warnings of Redocly's recommended rules that the document keeps on purpose:
 * - info-license: the project has no licence to name (package.json says UNLICENSED).
 * - no-server-example.com: the second server is the gateway's default local address (npm start), on purpose.
 * - operation-4xx-response on the probes and /metrics: they take no key and no input, so they have no 4xx answer.
 */
const ACCEPTED_WARNINGS = [
  'info-license #/info',
  'no-server-example.com #/servers/1/url',
  ...PROBES.map((p) => `operation-4xx-response #/paths/~1${p.slice(1)}/get/responses`),
].sort();

describe('the API document (docs/reference/openapi.json)', () => {
  it('is what the current code produces, and so are its openapi-typescript types (else: npm run openapi)', () => {
    // The test script builds dist/ first; --check writes nothing and exits 1 naming the stale files.
    const run = spawnSync(process.execPath, [join(repoRoot(), 'scripts/openapi.mjs'), '--check', '--no-build'], { cwd: repoRoot(), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  });

  it("passes Redocly's recommended rules with zero errors, and only the warnings listed here", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lint({ ref: DOCUMENT_FILE, config });
    const describe = (p: (typeof problems)[number]) => `${p.ruleId} ${p.location[0]?.pointer ?? ''}`;
    expect(problems.filter((p) => p.severity === 'error').map((p) => `${describe(p)}: ${p.message}`)).toEqual([]);
    expect(
      problems
        .filter((p) => p.severity === 'warn')
        .map(describe)
        .sort(),
    ).toEqual(ACCEPTED_WARNINGS);
  });

  it('declares the API key as an opaque bearer token (not a JWT), required everywhere but on the probes', () => {
    expect(document.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer', description: expect.stringMatching(/opaque/i) } });
    expect(document.security).toEqual([{ bearer: [] }]);
    for (const { method, path, op } of operations) {
      if (PROBES.includes(path)) expect(op.security, `${method} ${path}`).toEqual([]);
      else expect(op.security ?? document.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
    }
    expect(document.servers.length).toBeGreaterThan(0);
  });

  it('gives every operation a summary, a readable unique operationId, a success body and its error statuses with the error body', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, path, op } of operations) {
      const where = `${method} ${path}`;
      expect(op.summary, where).toMatch(/^[A-Z].{3,80}$/);
      expect(op.operationId, where).toMatch(/^[a-z]+(?:[A-Z][a-z]+)+$/);
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((s) => s.startsWith('2'));
      expect(success, where).toHaveLength(1);
      expect(Object.keys(op.responses[success[0]].content ?? {}), `${where} success body`).not.toHaveLength(0);
      expect(op.responses[success[0]].description, `${where} success description`).not.toBe('');
      if (PROBES.includes(path)) continue;
      // Every authenticated route: 401 without a valid key, 503 when a service or the database is down.
      expect(statuses, where).toEqual(expect.arrayContaining(['401', '503']));
      if (op.requestBody) expect(statuses, `${where} takes a body`).toEqual(expect.arrayContaining(['400', '413', '415']));
      if ((op.parameters ?? []).length > 0) expect(statuses, `${where} takes parameters`).toContain('400');
      for (const status of statuses.filter((s) => !s.startsWith('2'))) {
        expect(op.responses[status].content['application/json'].schema, `${where} ${status}`).toEqual({ $ref: ERROR_REF });
        expect(op.responses[status].description, `${where} ${status}`).not.toBe('');
      }
    }
  });

  it('describes the error body as the gateway sends it', () => {
    const { ErrorBodyDto, ErrorCode } = document.components.schemas;
    expect(ErrorBodyDto.required).toEqual(['error', 'message']);
    expect(ErrorCode.enum.sort()).toEqual(['bad_request', 'conflict', 'forbidden', 'invalid_token', 'not_found', 'unauthorized', 'unavailable']);
  });

  it('has enums for model type and runtime and for slot and runner states, and integers where the API takes or gives whole numbers', () => {
    const { schemas } = document.components;
    expect(schemas.ModelType.enum).toEqual(['chat', 'embed', 'image']);
    expect(schemas.ModelRuntime.enum).toEqual(['vllm']);
    expect(schemas.SlotState.enum).toEqual(expect.arrayContaining(['scheduled', 'starting', 'running', 'failed', 'stopped']));
    expect(schemas.RunnerState.enum).toEqual(['online', 'offline']);
    for (const [schema, field] of [
      ['CreateModelDto', 'context_length'],
      ['UpdateModelDto', 'context_length'],
      ['ModelViewDto', 'memory'],
      ['ModelViewDto', 'context_length'],
      ['SlotViewDto', 'restarts'],
      ['RunnerViewDto', 'memory_total'],
      ['RunnerViewDto', 'settings_version'],
      ['SettingsViewDto', 'version'],
    ]) {
      expect(schemas[schema].properties[field].type, `${schema}.${field}`).toBe('integer');
    }
    expect(schemas.CreateModelDto.properties.memory.oneOf[0].type).toBe('integer');
    const limit = document.paths['/api/v1/audit'].get.parameters.find((p: any) => p.name === 'limit');
    expect(limit.schema.type).toBe('integer');
  });

  it('names the model id a path parameter {id}, percent-encoded (ids contain "/")', () => {
    const modelPaths = Object.keys(document.paths).filter((p) => p.startsWith('/api/v1/models/'));
    expect(modelPaths.sort()).toEqual(['/api/v1/models/{id}', '/api/v1/models/{id}/access', '/api/v1/models/{id}/settings', '/api/v1/models/{id}/token']);
    for (const { method, path, op } of operations.filter((o) => o.path.startsWith('/api/v1/models/'))) {
      const param = op.parameters.find((p: any) => p.in === 'path');
      expect(param, `${method} ${path}`).toMatchObject({ name: 'id', required: true, schema: { type: 'string', maxLength: 256 } });
      expect(param.description, `${method} ${path}`).toContain('Qwen%2FQwen2.5-VL-7B-Instruct');
    }
  });
});
