import { describe, expect, it } from 'vitest';
import { generateKeyBase64 } from './envelope';
import { RequestAuthenticator } from './request-auth';

describe('RequestAuthenticator (gateway → settings-service change requests)', () => {
  const key = generateKeyBase64();
  const auth = RequestAuthenticator.fromBase64(key);
  const body = { scope: 'global', scope_id: null, huggingface_token: null, updated_by: 'u1' };

  it('accepts the request it authenticated, until it expires', () => {
    const proof = auth.authenticate('update', body, 30_000, 1_000_000);
    expect(auth.verify('update', body, proof, 1_000_000)).toBe('ok');
    expect(auth.verify('update', body, proof, 1_000_000 + 30_001)).toBe('expired');
  });

  it('refuses any change to the body, the purpose, the nonce or the expiry, a missing proof, another key', () => {
    const proof = auth.authenticate('update', body);
    expect(auth.verify('update', { ...body, updated_by: 'mallory' }, proof)).toBe('bad_mac');
    expect(auth.verify('clear-scope', body, proof)).toBe('bad_mac');
    // Flip the last character to one it cannot already be (a fixed 'A' would be a no-op 1 time in 64).
    const otherLast = proof.nonce.endsWith('A') ? 'B' : 'A';
    expect(auth.verify('update', body, { ...proof, nonce: `${proof.nonce.slice(0, -1)}${otherLast}` })).toBe('bad_mac');
    expect(auth.verify('update', body, { ...proof, expires_at: new Date(Date.now() + 60_000).toISOString() })).toBe('bad_mac');
    expect(auth.verify('update', body, undefined)).toBe('missing');
    expect(auth.verify('update', body, { nonce: 'short', expires_at: proof.expires_at, mac: proof.mac })).toBe('missing');
    expect(RequestAuthenticator.fromBase64(generateKeyBase64()).verify('update', body, proof)).toBe('bad_mac');
  });

  it('gives each request its own nonce and caps the lifetime at five minutes', () => {
    const a = auth.authenticate('update', body, 10 * 60_000, 0);
    expect(a.nonce).not.toBe(auth.authenticate('update', body).nonce);
    expect(a.expires_at).toBe(new Date(5 * 60_000).toISOString());
  });
});
