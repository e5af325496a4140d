/**
 * The one database interface the domain sees. Both drivers (embedded PGlite and node-postgres)
 * speak the same SQL with `$1` parameters, so the domain writes plain, typed SQL once.
 */
export interface Db {
  /** Runs one statement and returns its rows. */
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: WorkOptions,
  ): Promise<Row[]>;
  /** Runs `work` in one transaction; nested calls join the outer transaction. */
  transaction<T>(work: (tx: Db) => Promise<T>, options?: WorkOptions): Promise<T>;
}

export interface WorkOptions {
  /**
   * Someone is waiting on this write right now (a prospect's message awaiting its
   * acknowledgement): it runs before queued background work such as agent turns — in the
   * embedded database's one queue, or on a PostgreSQL pool's connections kept free for it.
   * Ignored inside a transaction.
   */
  interactive?: boolean;
}

/** Returns the single row a statement must produce, or undefined. */
export async function queryOne<Row>(
  db: Db,
  sql: string,
  params?: readonly unknown[],
): Promise<Row | undefined> {
  const rows = await db.query<Row>(sql, params);
  return rows[0];
}

/**
 * The database refused the data itself (SQLSTATE class 22, data exception: a character it cannot
 * store, a value out of range; or 23, a broken constraint): trying the same write again fails the
 * same way, so callers answer with a final refusal rather than "retry".
 */
export function isPermanentDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}
