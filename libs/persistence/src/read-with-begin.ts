import type { ClientBase, QueryResult } from 'pg';
import { assertNamedColumns } from './prepared';

/**
 * A read sent in the message that opens a transaction (and takes a lock): one round trip less on a
 * hot path. Such a message uses the simple query protocol, which takes no parameters, so the read is
 * an SQL-level prepared statement: PREPAREd once per connection by a message of its own (a WeakSet of
 * node-postgres clients, one per server session, remembers where), then EXECUTEd with literal
 * arguments. Arguments come from this code (see the literal helpers below), never from a request.
 * Each statement of a simple query takes its own snapshot, so the read sees what was committed while
 * the lock before it was awaited.
 */
export class ReadWithBegin<Row> {
  private readonly preparedOn = new WeakSet<ClientBase>();

  /** `name` shares the namespace of pg_prepared_statements; `text` uses $1… for `paramTypes`. */
  constructor(
    readonly name: string,
    private readonly paramTypes: readonly string[],
    private readonly text: string,
  ) {
    assertNamedColumns(name, text);
  }

  /** Sends BEGIN, `lockSql` (if any) and the read as one message; the transaction stays open on `client`. */
  async begin(client: ClientBase, lockSql: string | null, args: readonly SqlLiteral[]): Promise<Row[]> {
    if (!this.preparedOn.has(client)) {
      await client.query(`PREPARE ${this.name}(${this.paramTypes.join(', ')}) AS ${this.text}`);
      this.preparedOn.add(client);
    }
    const statements = ['BEGIN', ...(lockSql ? [lockSql] : []), `EXECUTE ${this.name}(${args.map((a) => a.sql).join(', ')})`];
    const results = (await client.query(statements.join('; '))) as unknown as QueryResult[];
    return results[results.length - 1].rows as Row[];
  }
}

/** SQL text of a value, made only by the helpers below. */
export interface SqlLiteral {
  readonly sql: string;
}

export function timestampLiteral(at: Date): SqlLiteral {
  if (Number.isNaN(at.getTime())) throw new RangeError('timestampLiteral: invalid date');
  return { sql: `'${at.toISOString()}'::timestamptz` };
}

export function integerLiteral(n: number): SqlLiteral {
  if (!Number.isSafeInteger(n)) throw new RangeError(`integerLiteral: ${n} is not a safe integer`);
  return { sql: String(n) };
}

/** A string constant of this code (quotes doubled; standard_conforming_strings is on since Postgres 9.1). */
export function textLiteral(s: string): SqlLiteral {
  if (s.includes('\0')) throw new RangeError('textLiteral: NUL byte');
  return { sql: `'${s.replace(/'/g, "''")}'` };
}
