import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log (docs/reference/rest.md): append-only. `seq` orders entries recorded at the same instant; `id` is
 * the producer's event id (unique, so a redelivered event is stored once). Newest-first pages, alone
 * or filtered by target or action, read one index each.
 */
export class AuditLog1764231000000 implements MigrationInterface {
  name = 'AuditLog1764231000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE gateway.audit_log (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id uuid NOT NULL UNIQUE,
      at timestamptz NOT NULL,
      actor_id uuid,
      action text NOT NULL,
      target text NOT NULL,
      details jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query('CREATE INDEX audit_log_newest ON gateway.audit_log (at DESC, seq DESC)');
    await q.query('CREATE INDEX audit_log_target_newest ON gateway.audit_log (target, at DESC, seq DESC)');
    await q.query('CREATE INDEX audit_log_action_newest ON gateway.audit_log (action, at DESC, seq DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE gateway.audit_log');
  }
}
