// The embedded Postgres (PGlite) on a thread of its own, so the statements it runs — synchronous
// WebAssembly — never hold up the server's event loop: sockets are read and acknowledgements
// written while the database works. `pglite-database.ts` is the other side: it queues the
// statements and sends them here one at a time. Plain JavaScript, so it loads without a
// TypeScript loader wherever the server runs (tsx, the test runner).
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';

/** What a Postgres error says, kept across the thread boundary (structured clone keeps only the message). */
const errorFields = [
  'code',
  'severity',
  'detail',
  'hint',
  'position',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
];

function describeError(error) {
  const described = { message: String(error?.message ?? error), name: error?.name ?? 'Error' };
  for (const field of errorFields) if (error?.[field] !== undefined) described[field] = error[field];
  return described;
}

let pg;
try {
  pg = await PGlite.create(workerData.dataDir, {
    loadDataDir: workerData.loadDataDir ? new Blob([workerData.loadDataDir]) : undefined,
    // Same value types as node-postgres is configured with: counts as numbers.
    parsers: { [types.INT8]: (value) => Number(value) },
  });
  parentPort.postMessage({ ready: true });
} catch (error) {
  parentPort.postMessage({ ready: false, error: describeError(error) });
}

parentPort.on('message', async ({ id, op, sql, params }) => {
  try {
    if (op === 'query') {
      const { rows } = await pg.query(sql, params);
      parentPort.postMessage({ id, result: rows });
    } else if (op === 'exec') {
      await pg.exec(sql);
      parentPort.postMessage({ id });
    } else if (op === 'dump') {
      const tarball = await (await pg.dumpDataDir('none')).arrayBuffer();
      parentPort.postMessage({ id, result: tarball }, [tarball]);
    } else if (op === 'close') {
      await pg.close();
      parentPort.postMessage({ id });
    } else {
      throw new Error(`unknown operation ${op}`);
    }
  } catch (error) {
    parentPort.postMessage({ id, error: describeError(error) });
  }
});
