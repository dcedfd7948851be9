import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@helix/local-infra';

/**
 * The alert rules in deploy/prometheus are valid and do what their unit tests say, checked by
 * Prometheus's own promtool (Debian package `prometheus`, installed by .ci/run). A machine without
 * promtool fails here rather than skipping: CI must not pass with the rules unchecked.
 */
const dir = join(repoRoot(), 'deploy/prometheus');

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool could not run (${run.error.message}); install it with: apt-get install -y prometheus`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('Prometheus alert rules', () => {
  it('promtool is installed', () => {
    expect(() => execFileSync('promtool', ['--version'], { stdio: 'pipe' })).not.toThrow();
  });

  it('promtool check rules accepts deploy/prometheus/helix-rules.yaml', () => {
    const { status, output } = promtool('check', 'rules', 'helix-rules.yaml');
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(status, output).toBe(0);
  });

  it('promtool test rules: every alert fires when it should, and only after its delay', () => {
    const { status, output } = promtool('test', 'rules', 'helix-rules.test.yaml');
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });
});
