import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { Counter, Gauge } from 'prom-client';
import { TokenAtRestCipher } from '@helix/secrets';
import { SingleFlight } from '@helix/tasks';
import { HfTokenRepository, scopeIdOf } from './hf-token.repository';

const BATCH = 500;
const RETRY_MS = 30_000;

const resealed = new Counter({ name: 'helix_settings_tokens_resealed_total', help: 'stored tokens re-encrypted with the current HELIX_ENCRYPTION_KEY' });
const byKid = new Gauge({
  name: 'helix_settings_tokens_by_kid',
  help: 'stored tokens per HELIX_ENCRYPTION_KEY id (after the last re-encryption pass)',
  labelNames: ['kid'] as const,
});

/**
 * HELIX_ENCRYPTION_KEY rotation: at start-up (and every 30 s until it succeeds) every stored token
 * sealed with another key than the first listed is opened with the key it names and sealed again
 * with the first, in transactions of 500 rows. Replicas share the work (`SKIP LOCKED`). Versions
 * and events do not change. While tokens remain under another key (a replica not yet restarted
 * still seals with the old first key, or another replica held the rows) the pass runs again every
 * 30 s. While the list holds older keys every pass is logged, so the log says when none is left
 * and the old key can be removed: with two replicas, the one that re-sealed the rows may not be the
 * one that sees the last of them gone.
 */
@Injectable()
export class TokenReseal implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly flight: SingleFlight;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly tokens: HfTokenRepository,
    private readonly cipher: TokenAtRestCipher,
    @InjectDataSource() private readonly db: Pick<DataSource, 'transaction'>,
    @InjectPinoLogger('TokenReseal') private readonly logger: PinoLogger,
  ) {
    this.flight = new SingleFlight(
      async () => void (await this.run()),
      (err) => {
        this.logger.warn({ err }, 'could not re-encrypt stored tokens yet; trying again in 30 s');
        this.again();
      },
    );
  }

  /** One more pass in 30 s. */
  private again(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flight.kick(), RETRY_MS);
    this.timer.unref();
  }

  onApplicationBootstrap(): void {
    this.flight.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    await this.flight.stop();
  }

  /** Resolves when the current pass is done (tests). */
  idle(): Promise<void> {
    return this.flight.idle();
  }

  /** Re-seals batch after batch until no row names another key; returns how many were re-sealed. */
  async run(): Promise<number> {
    const kid = this.cipher.sealingKid;
    let total = 0;
    for (;;) {
      const count = await this.db.transaction(async (tx) => {
        const rows = await this.tokens.lockSealedWithOtherKey(tx, kid, BATCH);
        for (const row of rows) {
          const scopeId = scopeIdOf(row);
          const token = this.cipher.open(row.envelope, row.scope, scopeId);
          await this.tokens.replaceEnvelope(tx, row, this.cipher.seal(token, row.scope, scopeId));
        }
        return rows.length;
      });
      total += count;
      resealed.inc(count);
      if (count < BATCH) break;
    }
    const counts = await this.tokens.countByKid();
    byKid.reset();
    for (const c of counts) byKid.set({ kid: c.kid }, c.tokens);
    const remaining = counts.filter((c) => c.kid !== kid).reduce((sum, c) => sum + c.tokens, 0);
    if (total > 0 || remaining > 0 || this.cipher.opensOlderKeys) {
      this.logger.info({ kid, resealed: total, remaining_under_other_keys: remaining }, 'stored tokens re-encrypted with the current encryption key');
    }
    if (remaining > 0) this.again();
    return total;
  }
}
