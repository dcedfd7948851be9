import { randomBytes } from 'node:crypto';
import type { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Secret, TokenAtRestCipher } from '@helix/secrets';
import type { HfTokenEntity } from '../entities';
import type { HfTokenRepository } from './hf-token.repository';
import { TokenReseal } from './token-reseal.service';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');

/** A table of stored tokens, in memory, with the repository calls TokenReseal makes. */
function table(cipher: TokenAtRestCipher, kids: string[]) {
  const rows: HfTokenEntity[] = kids.map((_, i) => ({ scope: 'org', scopeId: `org-${i}`, envelope: null }) as unknown as HfTokenEntity);
  // Each row sealed with the key its kid names: a cipher whose first key is that one.
  const sealers: Record<string, TokenAtRestCipher> = { k1: TokenAtRestCipher.fromBase64(`k1:${K1},k2:${K2}`), k2: cipher };
  rows.forEach((row, i) => (row.envelope = sealers[kids[i]].seal(Secret.of(`hf_reseal${i}`), 'org', row.scopeId)));
  /** Rows another replica holds (`FOR UPDATE SKIP LOCKED` passes over them). */
  const lockedElsewhere = new Set<string>();
  const repo = {
    lockSealedWithOtherKey: async (_tx: unknown, kid: string, limit: number) =>
      rows.filter((r) => r.envelope!.kid !== kid && !lockedElsewhere.has(r.scopeId)).slice(0, limit),
    replaceEnvelope: async (_tx: unknown, row: HfTokenEntity, envelope: HfTokenEntity['envelope']) => void (row.envelope = envelope),
    countByKid: async () => {
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.envelope!.kid, (counts.get(r.envelope!.kid) ?? 0) + 1);
      return [...counts].map(([kid, tokens]) => ({ kid, tokens }));
    },
  };
  return { rows, lockedElsewhere, repo: repo as unknown as HfTokenRepository };
}

describe('TokenReseal (HELIX_ENCRYPTION_KEY rotation)', () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = { info: (o: Record<string, unknown>) => lines.push(o), warn: () => undefined } as unknown as PinoLogger;
  const db = { transaction: (work: (tx: unknown) => Promise<unknown>) => work({}) } as unknown as Pick<DataSource, 'transaction'>;

  beforeEach(() => {
    lines.length = 0;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('re-seals every token under another key and says none is left', async () => {
    const cipher = TokenAtRestCipher.fromBase64(`k2:${K2},k1:${K1}`);
    const { rows, repo } = table(cipher, ['k1', 'k2', 'k1']);
    expect(await new TokenReseal(repo, cipher, db, logger).run()).toBe(2);
    expect(rows.map((r) => r.envelope!.kid)).toEqual(['k2', 'k2', 'k2']);
    expect(rows.map((r, i) => cipher.open(r.envelope, 'org', r.scopeId).reveal() === `hf_reseal${i}`)).toEqual([true, true, true]);
    expect(lines).toEqual([{ kid: 'k2', resealed: 2, remaining_under_other_keys: 0 }]);
  });

  it('while the list holds an older key, a pass with nothing to do is logged too (another replica may have done the work)', async () => {
    const cipher = TokenAtRestCipher.fromBase64(`k2:${K2},k1:${K1}`);
    const { repo } = table(cipher, ['k2']);
    await new TokenReseal(repo, cipher, db, logger).run();
    expect(lines).toEqual([{ kid: 'k2', resealed: 0, remaining_under_other_keys: 0 }]);
  });

  it('with one key and nothing to do, says nothing', async () => {
    const cipher = TokenAtRestCipher.fromBase64(`k2:${K2}`);
    const { repo } = table(cipher, ['k2']);
    await new TokenReseal(repo, cipher, db, logger).run();
    expect(lines).toEqual([]);
  });

  it('runs again 30 s later while tokens remain under another key (rows another replica held, or one still sealing with the old key wrote)', async () => {
    const cipher = TokenAtRestCipher.fromBase64(`k2:${K2},k1:${K1}`);
    const { rows, lockedElsewhere, repo } = table(cipher, ['k1', 'k1']);
    lockedElsewhere.add('org-1');
    const reseal = new TokenReseal(repo, cipher, db, logger);
    await reseal.run();
    expect(lines).toEqual([{ kid: 'k2', resealed: 1, remaining_under_other_keys: 1 }]);
    lines.length = 0;
    lockedElsewhere.clear(); // the other replica rolled back (it stopped, say)
    await vi.advanceTimersByTimeAsync(29_000);
    expect(lines).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    await reseal.idle();
    expect(lines).toEqual([{ kid: 'k2', resealed: 1, remaining_under_other_keys: 0 }]);
    expect(rows.map((r) => r.envelope!.kid)).toEqual(['k2', 'k2']);
    // Done: no further pass.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines).toHaveLength(1);
    await reseal.onApplicationShutdown();
  });
});
