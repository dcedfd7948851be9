import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { Authenticator, JwtAuth } from '@nats-io/nats-core';
import { fromSeed } from '@nats-io/nkeys';

// PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
// A creds file: the user JWT and the user's nkey seed, each between "-----BEGIN …-----" / "------END …------" lines.
const CREDS_BLOCK = /\s*(?:(?:[-]{3,}[^\n]*[-]{3,}\n)(.+)(?:\n\s*[-]{3,}[^\n]*[-]{3,}\n))/gi;

/**
 * The JWT authenticator for a NATS creds file, like nats.js's `credsAuthenticator`, but signing the
 * server's nonce with Node's native Ed25519 instead of tweetnacl (pure JavaScript, which derives the
 * key pair again for every call: 16–47 ms of a runner's start-up, measured cold). The seed is checked
 * (prefix and checksum) by @nats-io/nkeys once, here; the signature is the same bytes (Ed25519 is
 * deterministic), and `nkey` is the JWT's subject, the public key the server verifies it with.
 */
export function credsAuthenticator(creds: Uint8Array): Authenticator {
  const { jwt, seed } = parseCreds(creds);
  const key = privateKeyOf(seed);
  const nkey = jwtSubject(jwt);
  return (nonce?: string): JwtAuth => ({ jwt, nkey, sig: nonce ? sign(null, Buffer.from(nonce), key).toString('base64') : '' });
}

function parseCreds(creds: Uint8Array): { jwt: string; seed: string } {
  const text = new TextDecoder().decode(creds);
  const blocks = [...text.matchAll(CREDS_BLOCK)].map((m) => m[1].trim());
  if (blocks.length < 2) throw new Error('unable to parse credentials');
  return { jwt: blocks[0], seed: blocks[1] };
}

/** An nkey seed is base32 of [2 prefix bytes, the 32-byte Ed25519 seed, a CRC-16]; nkeys checks all of it. */
function privateKeyOf(seed: string): KeyObject {
  fromSeed(new TextEncoder().encode(seed)); // throws on a bad prefix or checksum
  const raw = base32Decode(seed).subarray(2, 34);
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    value = (value << 5) | BASE32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function jwtSubject(jwt: string): string {
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
  if (typeof claims.sub !== 'string') throw new Error('unable to parse credentials: the JWT has no subject');
  return claims.sub;
}
