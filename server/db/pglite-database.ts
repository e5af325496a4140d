import { PGlite, type Transaction, types } from '@electric-sql/pglite';
import type { Db, WorkOptions } from '../../core/db.ts';
import type { Database } from './database.ts';

/**
 * Embedded Postgres in `dataDir` (or in memory when undefined). One process per directory.
 * `loadDataDir` starts from a dumped database instead of running initdb (fast test databases);
 * `closeWaitMs` is how long closing waits for queued work (10 s).
 */
export async function openPglite(
  dataDir: string | undefined,
  options: { loadDataDir?: Blob; closeWaitMs?: number } = {},
): Promise<PgliteDatabase> {
  const pg = await PGlite.create(dataDir, {
    loadDataDir: options.loadDataDir,
    // Same value types as node-postgres is configured with: counts as numbers.
    parsers: { [types.INT8]: (value: string) => Number(value) },
  });
  const queue = createStatementQueue();
  return {
    kind: 'pglite',
    query: <Row>(sql: string, params?: readonly unknown[], options?: WorkOptions) =>
      queue.run(
        options?.interactive ?? false,
        async () => (await pg.query<Row>(sql, params as unknown[])).rows,
      ),
    transaction: (work, options) =>
      queue.run(options?.interactive ?? false, () => pg.transaction((tx) => work(transactionDb(tx)))),
    execScript: (sql) =>
      queue.run(false, () =>
        pg.transaction(async (tx) => {
          await tx.exec(sql);
        }),
      ),
    close: async () => {
      // Work already queued finishes first. PGlite's own close waits for an open transaction,
      // so one stuck on something outside the database (a provider call in a workflow step)
      // would hold the shutdown for ever: after the wait it is left open. What was committed is
      // on disk, and the next start recovers as after a crash.
      let timer: NodeJS.Timeout | undefined;
      const waitMs = options.closeWaitMs ?? 10_000;
      const gaveUp = new Promise<true>((resolve) => {
        timer = setTimeout(() => resolve(true), waitMs);
      });
      const stuck = await Promise.race([queue.idle().then(() => false), gaveUp]);
      clearTimeout(timer);
      if (stuck) throw new Error(`the embedded database was still busy after ${waitMs} ms; left open`);
      await pg.close();
    },
    dump: () => queue.run(false, () => pg.dumpDataDir('none') as Promise<Blob>),
  };
}

/**
 * PGlite has one connection and runs each statement synchronously, so top-level statements and
 * transactions take turns here, one at a time:
 *
 * - the event loop gets a turn between them (setImmediate). Without it, a backlog of queued
 *   statements ran back to back in microtasks: sockets went unread and heartbeats late until
 *   widgets were dropped (bench/widget-load: event-loop stalls of 20 s at 2,000 widgets);
 * - interactive work (a prospect's message waiting for its acknowledgement: a transaction or a
 *   single statement marked so) goes before queued background work, so an acknowledgement waits
 *   for the statement running now, not for every agent turn in progress. Each class keeps its
 *   arrival order.
 *
 * Statements inside a transaction run straight on: they already hold the connection.
 */
function createStatementQueue() {
  const interactive: (() => void)[] = [];
  const background: (() => void)[] = [];
  let running = false;
  const drained: (() => void)[] = [];

  const next = () => {
    const start = interactive.shift() ?? background.shift();
    if (start) return start();
    running = false;
    for (const resolve of drained.splice(0)) resolve();
  };

  return {
    run<T>(isInteractive: boolean, work: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        (isInteractive ? interactive : background).push(() => {
          work()
            .then(resolve, reject)
            .finally(() => setImmediate(next));
        });
        if (!running) {
          running = true;
          setImmediate(next);
        }
      });
    },
    /** Resolves once nothing is queued or running: closing waits for work already accepted. */
    idle(): Promise<void> {
      if (!running) return Promise.resolve();
      return new Promise<void>((resolve) => drained.push(resolve));
    },
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
