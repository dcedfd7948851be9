import type { EntityManager } from 'typeorm';

/**
 * A statement Postgres parses and plans once per connection and then only binds and executes: a
 * node-postgres named prepared statement. For the statements on hot paths (model creates, slot
 * reports, heartbeats, acks, settings changes and their outbox, the audit log, the runners page),
 * where parsing and planning cost more than running them (docs/decisions.md).
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

const defined = new Map<string, string>();

/**
 * Declares a prepared statement. node-postgres refuses a name that one connection already prepared
 * with other SQL, so a name reused with other text fails here, when the module loads, not on the
 * first query of some later connection.
 */
export function preparedStatement(name: string, text: string): PreparedStatement {
  assertNamedColumns(name, text);
  const known = defined.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement "${name}" is declared twice with different SQL`);
  defined.set(name, text);
  return Object.freeze({ name, text });
}

/**
 * A prepared statement keeps the row type it was planned with: a `*` there would make a replica of
 * the previous release fail every execution ("cached plan must not change result type") once a
 * migration adds a column. Its statements name their columns.
 */
export function assertNamedColumns(name: string, text: string): void {
  if (/(?:\bSELECT|\bRETURNING|,)\s*(?:\w+\.)?\*/i.test(text)) throw new Error(`prepared statement "${name}" selects * (name the columns)`);
}

/**
 * Runs `statement` like `manager.query(text, values)` (same result shapes, same QueryFailedError),
 * in the manager's transaction when it has one. TypeORM hands the query to node-postgres unchanged,
 * and node-postgres takes a `{ name, text }` config there. A fresh object each time, not the frozen
 * statement: node-postgres sets the values on the config it is given (8.x copies it first; older
 * releases wrote into it, which a frozen object refuses).
 */
export function queryPrepared<T = unknown>(manager: Pick<EntityManager, 'query'>, statement: PreparedStatement, values: readonly unknown[]): Promise<T> {
  return manager.query({ name: statement.name, text: statement.text } as unknown as string, [...values]) as Promise<T>;
}
