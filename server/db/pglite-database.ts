import { PGlite, type Transaction, types } from '@electric-sql/pglite';
import type { Db } from '../../core/db.ts';
import type { Database } from './database.ts';

/**
 * Embedded Postgres in `dataDir` (or in memory when undefined). One process per directory.
 * `loadDataDir` starts from a dumped database instead of running initdb (fast test databases).
 */
export async function openPglite(
  dataDir: string | undefined,
  options: { loadDataDir?: Blob } = {},
): Promise<PgliteDatabase> {
  const pg = await PGlite.create(dataDir, {
    loadDataDir: options.loadDataDir,
    // Same value types as node-postgres is configured with: counts as numbers.
    parsers: { [types.INT8]: (value: string) => Number(value) },
  });
  return {
    kind: 'pglite',
    query: async <Row>(sql: string, params?: readonly unknown[]) => {
      await eventLoopTurn();
      return (await pg.query<Row>(sql, params as unknown[])).rows;
    },
    transaction: async (work) => {
      await eventLoopTurn();
      return pg.transaction((tx) => work(transactionDb(tx)));
    },
    execScript: async (sql) => {
      await pg.transaction(async (tx) => {
        await tx.exec(sql);
      });
    },
    close: () => pg.close(),
    dump: () => pg.dumpDataDir('none') as Promise<Blob>,
  };
}

/**
 * PGlite runs each statement synchronously, and a queued statement starts as soon as the one
 * before it ends, so under load the event loop would reach neither sockets nor timers: widget
 * messages wait unread and heartbeats go late until clients drop. Each top-level statement or
 * transaction first lets the event loop take a turn (setImmediate keeps their order). Statements
 * inside a transaction run straight on. Measured in bench/widget-load: no connection lost at
 * 2,000 messages a second, and about 3× the acknowledgements per second under load.
 */
const eventLoopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface PgliteDatabase extends Database {
  /** The whole database as a tarball, loadable with `loadDataDir`. */
  dump(): Promise<Blob>;
}

function transactionDb(tx: Transaction): Db {
  const db: Db = {
    query: async <Row>(sql: string, params?: readonly unknown[]) =>
      (await tx.query<Row>(sql, params as unknown[])).rows,
    transaction: (work) => work(db),
  };
  return db;
}
