import { Worker } from 'node:worker_threads';
import type { Db, WorkOptions } from '../../core/db.ts';
import type { Database } from './database.ts';

/**
 * Embedded Postgres in `dataDir` (or in memory when undefined). One process per directory.
 * `loadDataDir` starts from a dumped database instead of running initdb (fast test databases);
 * `closeWaitMs` is how long closing waits for queued work (10 s).
 *
 * PGlite runs on its own thread (`pglite-worker.mjs`): each statement is synchronous
 * WebAssembly, and on the server's thread it held up every socket while it ran (a batch of
 * widget messages, an agent turn's transaction). Here statements are queued and sent over.
 */
export async function openPglite(
  dataDir: string | undefined,
  options: { loadDataDir?: Blob; closeWaitMs?: number } = {},
): Promise<PgliteDatabase> {
  const thread = await startPgliteThread(dataDir, options.loadDataDir);
  const queue = createStatementQueue();
  const query = <Row>(sql: string, params?: readonly unknown[], caller?: Error) =>
    thread.call<Row[]>('query', sql, params ?? [], caller);
  /** One transaction; the queue gives it the connection until it ends. */
  const inTransaction = async <T>(work: (tx: Db) => Promise<T>): Promise<T> => {
    await query('begin');
    let result: T;
    try {
      result = await work(transactionDb);
    } catch (error) {
      await query('rollback').catch(() => {});
      throw error;
    }
    await query('commit');
    return result;
  };
  // Statements inside a transaction run straight on: they already hold the connection.
  const transactionDb: Db = {
    query: (sql, params) => query(sql, params, new Error()),
    transaction: (work) => work(transactionDb),
  };
  return {
    kind: 'pglite',
    query: <Row>(sql: string, params?: readonly unknown[], options?: WorkOptions) => {
      const caller = new Error(); // its stack is formatted only if the statement fails
      return queue.run(options?.interactive ?? false, () => query<Row>(sql, params, caller));
    },
    transaction: (work, options) => queue.run(options?.interactive ?? false, () => inTransaction(work)),
    execScript: (sql) => queue.run(false, () => inTransaction(() => thread.call('exec', sql))),
    close: async () => {
      // Work already queued finishes first. A transaction stuck on something outside the
      // database (a provider call in a workflow step) would hold the shutdown for ever: after
      // the wait its thread is stopped. What was committed is on disk, and the next start
      // recovers as after a crash.
      let timer: NodeJS.Timeout | undefined;
      const waitMs = options.closeWaitMs ?? 10_000;
      const gaveUp = new Promise<true>((resolve) => {
        timer = setTimeout(() => resolve(true), waitMs);
      });
      const stuck = await Promise.race([queue.idle().then(() => false), gaveUp]);
      clearTimeout(timer);
      queue.close(new Error('the embedded database is closed'));
      if (stuck) {
        await thread.stop();
        throw new Error(
          `the embedded database was still busy after ${waitMs} ms; stopped it (the next start recovers what was committed)`,
        );
      }
      await thread.call('close');
      await thread.stop();
    },
    dump: () => queue.run(false, async () => new Blob([await thread.call<ArrayBuffer>('dump')])),
  };
}

interface PgliteThread {
  /** `caller` is where the statement came from: a failure's stack shows it. */
  call<T = void>(
    op: 'query' | 'exec' | 'dump' | 'close',
    sql?: string,
    params?: readonly unknown[],
    caller?: Error,
  ): Promise<T>;
  stop(): Promise<void>;
}

/** A Postgres error as the worker describes it: its message and fields such as `code`. */
interface DescribedError {
  message: string;
  name: string;
  [field: string]: unknown;
}

async function startPgliteThread(
  dataDir: string | undefined,
  loadDataDir: Blob | undefined,
): Promise<PgliteThread> {
  const tarball = loadDataDir ? await loadDataDir.arrayBuffer() : undefined;
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
    workerData: { dataDir, loadDataDir: tarball },
    transferList: tarball ? [tarball] : [],
  });
  const pending = new Map<
    number,
    { resolve: (value: never) => void; reject: (error: Error) => void; caller: Error }
  >();
  let nextId = 0;
  let stopped: Error | undefined;
  const fail = (error: Error) => {
    stopped ??= error;
    for (const request of pending.values()) request.reject(error);
    pending.clear();
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', (message: { ready: boolean; error?: DescribedError }) =>
      message.ready ? resolve() : reject(toError(message.error!, new Error())),
    );
    worker.once('error', reject);
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => fail(new Error(`the embedded database stopped (thread exit code ${code})`)));
  await ready;
  worker.on('message', (message: { id: number; result?: unknown; error?: DescribedError }) => {
    const request = pending.get(message.id);
    if (!request) return;
    pending.delete(message.id);
    // The thread keeps the process alive only while a statement is outstanding.
    if (pending.size === 0) worker.unref();
    if (message.error) request.reject(toError(message.error, request.caller));
    else request.resolve(message.result as never);
  });
  worker.unref();
  return {
    call<T>(op: string, sql?: string, params?: readonly unknown[], caller = new Error()) {
      if (stopped) return Promise.reject(stopped);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: never) => void, reject, caller });
        if (pending.size === 1) worker.ref();
        worker.postMessage({ id, op, sql, params });
      });
    },
    async stop() {
      fail(new Error('the embedded database is closed'));
      await worker.terminate();
    },
  };
}

/** The worker's error as an Error thrown where the statement was issued, so its stack leads there. */
function toError(described: DescribedError, caller: Error): Error {
  const { message, name: _name, ...fields } = described;
  const error = Object.assign(new Error(message), fields);
  error.stack = `Error: ${message}\n${(caller.stack ?? '').split('\n').slice(1).join('\n')}`;
  return error;
}

/**
 * PGlite has one connection, so top-level statements and transactions take turns here, one at
 * a time:
 *
 * - interactive work (a prospect's message waiting for its acknowledgement) goes before queued
 *   background work, so an acknowledgement waits for the statement running now, not for every
 *   agent turn in progress. Each class keeps its arrival order;
 * - the event loop gets a turn between them (setImmediate), so a backlog of queued work never
 *   runs back to back in microtasks.
 */
function createStatementQueue() {
  type Start = { start: () => void; reject: (error: Error) => void };
  const interactive: Start[] = [];
  const background: Start[] = [];
  let running = false;
  let closed: Error | undefined;
  const drained: (() => void)[] = [];

  const next = () => {
    const queued = interactive.shift() ?? background.shift();
    if (queued) return queued.start();
    running = false;
    for (const resolve of drained.splice(0)) resolve();
  };

  return {
    run<T>(isInteractive: boolean, work: () => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(closed);
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          work()
            .then(resolve, reject)
            .finally(() => setImmediate(next));
        };
        (isInteractive ? interactive : background).push({ start, reject });
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
    /** Refuses what is queued and everything after. */
    close(error: Error): void {
      closed = error;
      for (const queued of [...interactive.splice(0), ...background.splice(0)]) queued.reject(error);
    },
  };
}

export interface PgliteDatabase extends Database {
  /** The whole database as a tarball, loadable with `loadDataDir`. */
  dump(): Promise<Blob>;
}
