import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ModelSpec, ModelView } from '@helix/contracts';
import { preparedStatement, queryPrepared } from '@helix/persistence';
import { OCCUPIES_SQL, returnedRows } from '../slots/slot.repository';

/** A stored model without its slots (SlotRepository has those). */
export type ModelRecord = Omit<ModelView, 'slots'>;

interface ModelRow extends Omit<ModelSpec, 'memory'> {
  memory: string; // bigint
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'm.id, m.name, m.type, m.runtime, m.memory, m.context_length, m.description, m.enabled, m.auto_pull, m.prewarm, m.runtime_args, m.org_id, m.owner_id, m.created_at, m.updated_at';

// On the placing path of every create (see queryPrepared).
const INSERT = preparedStatement(
  'models.insert',
  `INSERT INTO models.models AS m (id, name, type, runtime, memory, context_length, description, enabled, auto_pull, prewarm, runtime_args, org_id, owner_id, created_by, created_at, updated_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now(), now())
   ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
);

/** The only writer (and the reader) of models.models. Methods that take `tx` run in the caller's transaction. */
@Injectable()
export class ModelRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Inserts the model; null when its id is taken. */
  async insert(spec: ModelSpec, createdBy: string | null, tx: EntityManager): Promise<ModelRecord | null> {
    const rows: ModelRow[] = await queryPrepared(tx, INSERT, [...specValues(spec), createdBy]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async find(id: string, tx: EntityManager = this.db.manager): Promise<ModelRecord | null> {
    const [row]: ModelRow[] = await tx.query(`SELECT ${COLUMNS} FROM models.models m WHERE m.id = $1`, [id]);
    return row ? toRecord(row) : null;
  }

  /** The model, locked for the rest of `tx` (updates and deletes of one model are serialised). */
  async lock(id: string, tx: EntityManager): Promise<ModelRecord | null> {
    const [row]: ModelRow[] = await tx.query(`SELECT ${COLUMNS} FROM models.models m WHERE m.id = $1 FOR UPDATE`, [id]);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<ModelRecord[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM models.models m ORDER BY m.id`)).map(toRecord);
  }

  /** Enabled prewarm models, oldest first (started on every runner that joins). */
  async listPrewarm(): Promise<ModelRecord[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM models.models m WHERE m.enabled AND m.prewarm ORDER BY m.created_at`)).map(toRecord);
  }

  /** Models that are enabled but have no deployment (new, lost with their runner, or unplaced), oldest first. */
  async listUndeployed(): Promise<ModelRecord[]> {
    const rows: ModelRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM models.models m
        WHERE m.enabled AND NOT EXISTS (SELECT 1 FROM models.slots s WHERE s.model_id = m.id AND ${OCCUPIES_SQL})
        ORDER BY m.created_at`,
    );
    return rows.map(toRecord);
  }

  /** Writes every field of `spec` (the id selects the row). */
  async update(spec: ModelSpec, tx: EntityManager): Promise<void> {
    await tx.query(
      `UPDATE models.models SET name = $2, type = $3, runtime = $4, memory = $5, context_length = $6, description = $7, enabled = $8,
              auto_pull = $9, prewarm = $10, runtime_args = $11, org_id = $12, owner_id = $13, updated_at = now() WHERE id = $1`,
      specValues(spec),
    );
  }

  /** The org is gone: its models keep existing without it (docs/reference/rest.md). Returns their ids. */
  async detachOrg(orgId: string): Promise<string[]> {
    const result: unknown = await this.db.query('UPDATE models.models SET org_id = NULL, updated_at = now() WHERE org_id = $1 RETURNING id', [orgId]);
    return returnedRows<{ id: string }>(result)
      .map((r) => r.id)
      .sort();
  }

  /** The user is gone: the models they owned keep existing without an owner. Returns their ids. */
  async detachOwner(ownerId: string): Promise<string[]> {
    const result: unknown = await this.db.query('UPDATE models.models SET owner_id = NULL, updated_at = now() WHERE owner_id = $1 RETURNING id', [ownerId]);
    return returnedRows<{ id: string }>(result)
      .map((r) => r.id)
      .sort();
  }

  /** Deletes the model (its slots go with it: ON DELETE CASCADE). */
  async delete(id: string, tx: EntityManager): Promise<void> {
    await tx.query('DELETE FROM models.models WHERE id = $1', [id]);
  }
}

function specValues(s: ModelSpec): unknown[] {
  return [
    s.id,
    s.name,
    s.type,
    s.runtime,
    s.memory,
    s.context_length,
    s.description,
    s.enabled,
    s.auto_pull,
    s.prewarm,
    JSON.stringify(s.runtime_args),
    s.org_id,
    s.owner_id,
  ];
}

function toRecord(row: ModelRow): ModelRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    runtime: row.runtime,
    memory: Number(row.memory),
    context_length: row.context_length,
    description: row.description,
    enabled: row.enabled,
    auto_pull: row.auto_pull,
    prewarm: row.prewarm,
    runtime_args: row.runtime_args,
    org_id: row.org_id,
    owner_id: row.owner_id,
    created: row.created_at.toISOString(),
    updated: row.updated_at.toISOString(),
  };
}

/** The model as stored and deployed (a record without its timestamps). */
export function specOf({ created: _created, updated: _updated, ...spec }: ModelRecord): ModelSpec {
  return spec;
}
