import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertNoSecrets, dumpPostgres, scanForSecrets, startPostgres, type PostgresProcess } from './index';

const TOKEN = 'hf_PlantedTokenAbcdefghijklmnopqrstuvwx';
const OTHER = 'hf_OtherTokenZyxwvutsrqponmlkjihgfedcba';

describe('scanForSecrets', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'helix-scan-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('finds a planted token in a nested binary file and names the file, not the token', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'clean.log'), 'nothing to see\n');
    writeFileSync(join(dir, 'a', 'b', 'data.bin'), Buffer.concat([Buffer.from([0, 255, 1, 2]), Buffer.from(TOKEN), Buffer.from([0, 0])]));
    const findings = await scanForSecrets([OTHER, TOKEN], { dirs: [dir] });
    expect(findings).toEqual([{ secret_index: 1, where: `file ${join(dir, 'a', 'b', 'data.bin')} (utf8)`, encoding: 'utf8' }]);
    expect(JSON.stringify(findings)).not.toContain(TOKEN);
  });

  it('finds base64 and base64url forms at any alignment inside a larger encoded blob, and hex', async () => {
    const dir = tempDir();
    for (const pad of [0, 1, 2]) {
      const blob = Buffer.concat([Buffer.alloc(pad, 7), Buffer.from(`{"t":"${TOKEN}"}`), Buffer.from([0xfb, 0xff])]);
      writeFileSync(join(dir, `b64-${pad}.txt`), `prefix ${blob.toString('base64')} suffix`);
      writeFileSync(join(dir, `b64url-${pad}.txt`), blob.toString('base64url'));
    }
    writeFileSync(join(dir, 'hex.txt'), `\\x${Buffer.from(TOKEN).toString('hex')}`);
    const findings = await scanForSecrets([TOKEN], { dirs: [dir] });
    const files = findings.map((f) => f.where.replace(`file ${dir}/`, ''));
    for (const pad of [0, 1, 2]) {
      expect(files).toContain(`b64-${pad}.txt (base64)`);
      expect(files.some((f) => f.startsWith(`b64url-${pad}.txt (base64`))).toBe(true);
    }
    expect(files).toContain('hex.txt (hex)');
    expect(findings.every((f) => f.secret_index === 0)).toBe(true);
  });

  it('base64 detection holds for arbitrary surrounding bytes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), async (before, after) => {
        const blob = Buffer.concat([Buffer.from(before), Buffer.from(TOKEN), Buffer.from(after)]).toString('base64');
        const findings = await scanForSecrets([TOKEN], { texts: [{ label: 'blob', text: blob }] });
        return findings.some((f) => f.encoding === 'base64');
      }),
      { numRuns: 200 },
    );
  });

  it('scans texts and labels them', async () => {
    const findings = await scanForSecrets([TOKEN, OTHER], {
      texts: [
        { label: 'gateway stdout', text: `{"msg":"x","auth":"Bearer ${OTHER}"}` },
        { label: 'clean', text: 'hf_*** redacted' },
      ],
    });
    expect(findings).toEqual([{ secret_index: 1, where: 'text gateway stdout (utf8)', encoding: 'utf8' }]);
  });

  it('reports nothing for clean dirs and texts (including compressed content and near misses)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'near.txt'), TOKEN.slice(0, -1) + '_' + TOKEN.slice(1));
    writeFileSync(join(dir, 'zipped.gz'), gzipSync(Buffer.from('unrelated '.repeat(100))));
    expect(await scanForSecrets([TOKEN, OTHER], { dirs: [dir], texts: [{ label: 'empty', text: '' }] })).toEqual([]);
    await expect(assertNoSecrets([TOKEN], { dirs: [dir] })).resolves.toBeUndefined();
  });

  it('assertNoSecrets throws naming the location but never the token', async () => {
    const err = await assertNoSecrets([TOKEN], { texts: [{ label: 'runner log', text: TOKEN }] }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('secret #0 in text runner log');
    expect((err as Error).message).not.toContain(TOKEN);
  });

  it('tolerates missing paths, accepts single files, and rejects empty secrets', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'one.txt'), TOKEN);
    expect(await scanForSecrets([TOKEN], { dirs: [join(dir, 'missing'), join(dir, 'one.txt')] })).toHaveLength(1);
    await expect(scanForSecrets([''], { texts: [] })).rejects.toThrow(/secret #0/);
  });
});

describe('dumpPostgres', () => {
  let db: PostgresProcess;
  const query = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(sql, params);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await startPostgres();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('dumpPostgres prints every row of user tables so scanForSecrets can find clear-text tokens', async () => {
    const token = 'hf_' + 'PgDumpPlanted' + Math.random().toString(36).slice(2, 12);
    const other = 'hf_NeverStoredAnywhere0123456789';
    await query('CREATE SCHEMA app');
    await query('CREATE TABLE app.blobs (id int, payload bytea, meta jsonb)');
    await query('INSERT INTO app.blobs VALUES (1, $1, $2)', [Buffer.from(`xx${token}yy`), JSON.stringify({ ok: true })]);
    const dump = await dumpPostgres(db.url);
    expect(dump).toContain('app.blobs');
    expect(dump).not.toContain('pg_catalog');
    const findings = await scanForSecrets([other, token], { texts: [{ label: 'postgres dump', text: dump }] });
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.secret_index === 1)).toBe(true);
    expect(JSON.stringify(findings)).not.toContain(token);
  });
});
