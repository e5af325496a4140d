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
    query: async <Row>(sql: string, params?: readonly unknown[]) =>
      (await pg.query<Row>(sql, params as unknown[])).rows,
    transaction: (work) => pg.transaction((tx) => work(transactionDb(tx))),
    execScript: async (sql) => {
      await pg.transaction(async (tx) => {
        await tx.exec(sql);
      });
    },
    close: () => pg.close(),
    dump: () => pg.dumpDataDir('none') as Promise<Blob>,
  };
}

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
