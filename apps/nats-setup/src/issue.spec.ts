import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decode } from '@nats-io/jwt';
import { setupNatsAuth } from './issue';

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'nats-setup-spec-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The user JWT of a .creds file, decoded. */
function claims(file: string): { name: string; nats: { pub?: { allow?: string[] }; sub?: { allow?: string[] }; resp?: unknown } } {
  const jwt = /-----BEGIN NATS USER JWT-----\n(.+)\n/.exec(readFileSync(file, 'utf8'))![1];
  return decode(jwt) as never;
}

describe('helix-nats-setup', () => {
  it('writes nats.conf, the signing keys and one credentials file per role, all readable only by the owner', async () => {
    const dir = fresh();
    const result = await setupNatsAuth(dir, { runners: ['gpu-1'], admin: false });
    expect(result.createdKeys).toBe(true);
    expect(result.credentials.map((f) => f.slice(dir.length + 1))).toEqual([
      'gateway.creds',
      'settings-service.creds',
      'models-service.creds',
      'runner-gpu-1.creds',
    ]);
    for (const file of [result.config, ...result.credentials, join(dir, 'keys', 'account.nk'), join(dir, 'keys', 'operator.nk')])
      expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    const conf = readFileSync(result.config, 'utf8');
    expect(conf).toMatch(/^operator: eyJ/m);
    expect(conf).toMatch(/^resolver: MEMORY$/m);
    expect(conf).not.toMatch(/\bS[OAU][A-Z2-7]{50,}/); // no seed in the server configuration
  });

  it('a second run reuses the keys (the running server keeps its configuration) and adds runners', async () => {
    const dir = fresh();
    await setupNatsAuth(dir, { runners: ['gpu-1'], admin: false });
    const conf = readFileSync(join(dir, 'nats.conf'), 'utf8');
    const account = readFileSync(join(dir, 'keys', 'account.nk'), 'utf8');
    const again = await setupNatsAuth(dir, { runners: ['gpu-2'], admin: true });
    expect(again.createdKeys).toBe(false);
    expect(readFileSync(join(dir, 'nats.conf'), 'utf8')).toBe(conf);
    expect(readFileSync(join(dir, 'keys', 'account.nk'), 'utf8')).toBe(account);
    expect(again.credentials.map((f) => f.slice(dir.length + 1))).toEqual(expect.arrayContaining(['runner-gpu-2.creds', 'admin.creds']));
  });

  it("a runner's credentials name its own subjects only; the admin's carry no limits", async () => {
    const dir = fresh();
    await setupNatsAuth(dir, { runners: ['gpu-1'], admin: true });
    const runner = claims(join(dir, 'runner-gpu-1.creds'));
    expect(runner.name).toBe('runner-gpu-1');
    expect(runner.nats.sub?.allow).toEqual(['runner.gpu-1.slots.create', 'runner.gpu-1.slots.stop', '_INBOX.runner-gpu-1.>']);
    expect(runner.nats.pub?.allow).toEqual(expect.arrayContaining(['settings.applied.gpu-1', 'runners.heartbeat.gpu-1', 'runner.gpu-1.slots.status']));
    expect(runner.nats.pub?.allow?.filter((s) => !s.startsWith('$JS.API.') && !s.includes('gpu-1'))).toEqual([]);
    expect(runner.nats.pub?.allow?.some((s) => /PURGE|STREAM\.\*|DELETE\.SETTINGS_ACKS/.test(s))).toBe(false);
    expect(runner.nats.pub?.allow).toContain('runner.gpu-1.replies.*');
    // No response permission for anyone: NATS would track every message delivered with a reply subject (see runnerCommandReplies).
    for (const role of ['runner-gpu-1', 'gateway', 'settings-service', 'models-service']) expect(claims(join(dir, `${role}.creds`)).nats.resp).toBeUndefined();
    expect(claims(join(dir, 'settings-service.creds')).nats.pub?.allow).toContain('_INBOX.gateway.>');
    expect(claims(join(dir, 'gateway.creds')).nats.sub?.allow).toContain('_INBOX.gateway.>');
    expect(claims(join(dir, 'gateway.creds')).nats.sub?.allow).not.toContain('_INBOX.>');
    const admin = claims(join(dir, 'admin.creds'));
    expect(admin.nats.pub?.allow).toBeUndefined();
    expect(admin.nats.sub?.allow).toBeUndefined();
    expect(claims(join(dir, 'gateway.creds')).nats.pub?.allow).toContain('svc.>');
    expect(claims(join(dir, 'models-service.creds')).nats.pub?.allow).not.toContain('svc.>');
  });
});
