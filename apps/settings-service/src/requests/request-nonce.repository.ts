import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '@helix/persistence';

// In the transaction of every change (see queryPrepared in @helix/persistence).
const CLAIM = preparedStatement(
  'settings.request-nonces.claim',
  `WITH expired AS (DELETE FROM settings.request_nonces WHERE expires_at < now())
   INSERT INTO settings.request_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING RETURNING nonce`,
);

/** All SQL of `settings.request_nonces`: each change request's nonce is used once. */
@Injectable()
export class RequestNonceRepository {
  /**
   * Records the nonce in the transaction of the change it authorizes; false when it was already used
   * (a replay). Expired nonces are dropped on the way: an expired request is refused anyway.
   */
  async claim(tx: EntityManager, nonce: string, expiresAt: Date): Promise<boolean> {
    // One statement: the insert does not see the delete (same snapshot), which only matters for an
    // expired nonce, and an expired request never gets this far.
    const rows: unknown = await queryPrepared(tx, CLAIM, [nonce, expiresAt]);
    return Array.isArray(rows) && rows.length === 1;
  }
}
