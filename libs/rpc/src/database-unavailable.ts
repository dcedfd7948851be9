// Duck-typed on the error's code and message: importing typeorm or pg for an instanceof check would
// load them (about 300 modules) into every process that replies over NATS, the runner included.

/** Postgres error codes that mean "the database is not reachable right now" rather than a bug. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; driverError?: { code?: string } };
  const code = e?.driverError?.code ?? e?.code;
  if (code && /^(08|57P0|53)/.test(code)) return true;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)) return true;
  return /connect ECONNREFUSED|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    String(e?.message),
  );
}
