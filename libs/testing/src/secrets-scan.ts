import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

export interface SecretFinding {
  /** Index into the secrets array (the secret itself is never reported). */
  secret_index: number;
  /** "file <path>" or "text <label>", plus the encoding in which it was found. */
  where: string;
  encoding: SecretEncoding;
}

export type SecretEncoding = 'utf8' | 'base64' | 'base64url' | 'hex';

export interface SecretSources {
  texts?: Array<{ label: string; text: string }>;
  /** Directories (scanned recursively, symlinks not followed) or single files. */
  dirs?: string[];
}

interface Needle {
  index: number;
  encoding: SecretEncoding;
  bytes: Buffer;
}

/**
 * Base64 of the secret as it would appear at any of the three byte alignments inside a larger
 * base64 blob: encode with 0-2 filler bytes in front and keep only the characters that depend on
 * the secret alone.
 */
function base64Forms(secret: Buffer): string[] {
  const out = new Set<string>();
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), secret]).toString('base64');
    const total = k + secret.length;
    const fullGroupsChars = Math.floor(total / 3) * 4;
    const skip = k === 0 ? 0 : k === 1 ? 2 : 3;
    const core = enc.slice(skip, fullGroupsChars);
    if (core.length >= 8) out.add(core);
  }
  out.add(secret.toString('base64')); // whole value, padded
  return [...out];
}

function needlesFor(secrets: string[]): Needle[] {
  const needles: Needle[] = [];
  secrets.forEach((secret, index) => {
    if (typeof secret !== 'string' || secret.length < 4) {
      throw new Error(`scanForSecrets: secret #${index} is empty or shorter than 4 characters`);
    }
    const raw = Buffer.from(secret, 'utf8');
    needles.push({ index, encoding: 'utf8', bytes: raw });
    for (const b64 of base64Forms(raw)) {
      needles.push({ index, encoding: 'base64', bytes: Buffer.from(b64) });
      const url = b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      if (url !== b64) needles.push({ index, encoding: 'base64url', bytes: Buffer.from(url) });
    }
    const hex = raw.toString('hex');
    needles.push({ index, encoding: 'hex', bytes: Buffer.from(hex) });
    if (/[a-f]/.test(hex)) needles.push({ index, encoding: 'hex', bytes: Buffer.from(hex.toUpperCase()) });
  });
  return needles;
}

function scanBuffer(buf: Buffer, needles: Needle[], where: string, out: SecretFinding[]): void {
  const seen = new Set<string>();
  for (const n of needles) {
    const key = `${n.index}/${n.encoding}`;
    if (seen.has(key)) continue;
    if (buf.indexOf(n.bytes) >= 0) {
      seen.add(key);
      out.push({ secret_index: n.index, where: `${where} (${n.encoding})`, encoding: n.encoding });
    }
  }
}

async function walk(path: string, visit: (file: string) => Promise<void>): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return; // vanished while scanning
  }
  if (st.isDirectory()) {
    let entries: string[];
    try {
      entries = await readdir(path);
    } catch {
      return;
    }
    for (const e of entries.sort()) await walk(join(path, e), visit);
  } else if (st.isFile()) {
    await visit(path);
  }
}

/**
 * Looks for each secret (UTF-8 bytes, base64 at any alignment, base64url, hex) in the given texts
 * and in every regular file under the given directories. Findings name the secret only by index.
 */
export async function scanForSecrets(secrets: string[], sources: SecretSources): Promise<SecretFinding[]> {
  const needles = needlesFor(secrets);
  const findings: SecretFinding[] = [];
  for (const { label, text } of sources.texts ?? []) {
    scanBuffer(Buffer.from(text, 'utf8'), needles, `text ${label}`, findings);
  }
  for (const dir of sources.dirs ?? []) {
    await walk(dir, async (file) => {
      let buf: Buffer;
      try {
        buf = await readFile(file);
      } catch {
        return;
      }
      scanBuffer(buf, needles, `file ${file}`, findings);
    });
  }
  return findings;
}

/** Throws (without revealing any secret) when scanForSecrets finds something. */
export async function assertNoSecrets(secrets: string[], sources: SecretSources): Promise<void> {
  const findings = await scanForSecrets(secrets, sources);
  if (findings.length > 0) {
    const list = findings.map((f) => `  secret #${f.secret_index} in ${f.where}`).join('\n');
    throw new Error(`found ${findings.length} occurrence(s) of secret values:\n${list}`);
  }
}

const BYTEA_OID = 17;

/**
 * Every row of every base table outside the system schemas, one line per row:
 * `<schema>.<table> <JSON of the row in Postgres text format>`; bytea columns are also given as
 * their decoded bytes (latin1) so raw byte content is searchable.
 */
export async function dumpPostgres(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const raw = { getTypeParser: () => (value: string) => value };
  try {
    const { rows: tables } = await client.query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE'
          AND table_schema NOT IN ('pg_catalog', 'information_schema')
          AND table_schema NOT LIKE 'pg\\_toast%' AND table_schema NOT LIKE 'pg\\_temp%'
        ORDER BY table_schema, table_name`,
    );
    const out: string[] = [];
    for (const { table_schema, table_name } of tables) {
      const name = `${client.escapeIdentifier(table_schema)}.${client.escapeIdentifier(table_name)}`;
      const res = await client.query({ text: `SELECT * FROM ${name}`, types: raw });
      const byteaCols = res.fields.filter((f) => f.dataTypeID === BYTEA_OID).map((f) => f.name);
      out.push(`-- ${table_schema}.${table_name}: ${res.rows.length} row(s)`);
      for (const row of res.rows as Array<Record<string, string | null>>) {
        const rec: Record<string, string | null> = { ...row };
        for (const col of byteaCols) {
          const v = row[col];
          if (typeof v === 'string' && v.startsWith('\\x')) rec[`${col}#bytes`] = Buffer.from(v.slice(2), 'hex').toString('latin1');
        }
        out.push(`${table_schema}.${table_name} ${JSON.stringify(rec)}`);
      }
    }
    return out.join('\n');
  } finally {
    await client.end().catch(() => undefined);
  }
}
