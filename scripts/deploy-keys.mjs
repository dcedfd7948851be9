#!/usr/bin/env node
// `node scripts/deploy-keys.mjs <dir>`: generates the keys a Kubernetes install needs, one file per
// variable (0600, in a new 0700 directory), ready for `kubectl create secret generic --from-file`:
//   HELIX_ENCRYPTION_KEY     32 random bytes, base64 (settings-service: tokens at rest)
//   HELIX_SETTINGS_KEY       32 random bytes, base64 (gateway, settings-service, runners: tokens on the bus)
//   HELIX_EVENT_SIGNING_KEY  Ed25519 seed, base64 (settings-service)
//   HELIX_EVENT_VERIFY_KEY   the matching Ed25519 public key, base64 (runners)
//   HELIX_ADMIN_API_KEY      "hl-" + 32 random bytes, base64url (gateway: the first admin's API key)
// An existing file is kept (run it again safely); nothing is printed but the file names.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = process.argv[2];
if (!dir || dir.startsWith('-')) {
  process.stderr.write('usage: node scripts/deploy-keys.mjs <dir>\n');
  process.exit(64);
}
const out = resolve(dir);
mkdirSync(out, { recursive: true, mode: 0o700 });

const { privateKey } = generateKeyPairSync('ed25519');
// The JWK form holds exactly the raw 32-byte seed (d) and public key (x), base64url.
const jwk = privateKey.export({ format: 'jwk' });
const b64 = (/** @type {string} */ base64url) => Buffer.from(base64url, 'base64url').toString('base64');

/** @type {Record<string, string>} */
const keys = {
  HELIX_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  HELIX_SETTINGS_KEY: randomBytes(32).toString('base64'),
  HELIX_EVENT_SIGNING_KEY: b64(jwk.d ?? ''),
  HELIX_EVENT_VERIFY_KEY: b64(jwk.x ?? ''),
  HELIX_ADMIN_API_KEY: `hl-${randomBytes(32).toString('base64url')}`,
};
// The pair belongs together: keep or write both.
const pairExists = existsSync(join(out, 'HELIX_EVENT_SIGNING_KEY')) || existsSync(join(out, 'HELIX_EVENT_VERIFY_KEY'));
for (const [name, value] of Object.entries(keys)) {
  const file = join(out, name);
  const isPair = name === 'HELIX_EVENT_SIGNING_KEY' || name === 'HELIX_EVENT_VERIFY_KEY';
  if ((isPair && pairExists) || existsSync(file)) {
    process.stdout.write(`kept  ${file}\n`);
    continue;
  }
  writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
  process.stdout.write(`wrote ${file}\n`);
}
