import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimExclusive } from './claims';

describe('claimExclusive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claims-spec-'));

  it('refuses a key a live process holds, and gives it out again once released', () => {
    const release = claimExclusive(dir, 'a');
    expect(release).toBeTypeOf('function');
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe(String(process.pid));
    expect(claimExclusive(dir, 'a')).toBeNull();
    release!();
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(claimExclusive(dir, 'a')).toBeTypeOf('function');
  });

  it('takes over the claim of a process that is gone', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dir, 'b'), dead);
    expect(claimExclusive(dir, 'b')).toBeTypeOf('function');
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe(String(process.pid));
  });

  it("refuses the claim of another live process (the parent's, here)", () => {
    writeFileSync(join(dir, 'c'), String(process.ppid));
    expect(claimExclusive(dir, 'c')).toBeNull();
  });
});
