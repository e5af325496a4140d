import pg from 'pg';
import type { Db, WorkOptions } from '../../core/db.ts';
import { createConnectionGate } from './connection-gate.ts';
import type { Database } from './database.ts';

// Counts (bigint) as numbers, matching the PGlite parser; our bigints stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/**
 * Any Postgres reachable by URL: a Supabase project or a self-hosted server. A pool of
 * `poolSize` connections (10), of which background work may hold all but `reservedForInteractive`
 * (3): see `createConnectionGate`.
 */
export async function openPostgres(
  url: string,
  options: { poolSize?: number; reservedForInteractive?: number } = {},
): Promise<Database> {
  const size = options.poolSize ?? 10;
  const gate = createConnectionGate(size, options.reservedForInteractive ?? 3);
  const pool = new pg.Pool({ connectionString: url, max: size });
  // A connection the server drops while idle (a restart, a failover) is replaced on next use;
  // without a listener node-postgres would throw it and take the process down.
  pool.on('error', (error) => console.warn(`postgres: an idle connection closed (${error.message})`));
  // `pool.end()` resolves before the sockets close; closing waits for them, so nothing the
  // server says afterwards (such as a dropped database's termination) reaches a closed pool.
  const open = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    open.add(client);
    client.once('end', () => open.delete(client));
  });
  // Fail at start-up, not at the first request, when the server is unreachable.
  const probe = await pool.connect();
  probe.release();
  const isInteractive = (work?: WorkOptions) => work?.interactive ?? false;
  return {
    kind: 'postgres',
    query: <Row>(sql: string, params?: readonly unknown[], options?: WorkOptions) =>
      gate.run(
        isInteractive(options),
        async () => (await pool.query(sql, params as unknown[])).rows as Row[],
      ),
    transaction: (work, options) =>
      gate.run(isInteractive(options), () => inTransaction(pool, (client) => work(clientDb(client)))),
    // Without parameters node-postgres uses the simple protocol, which runs a whole script.
    execScript: (sql) =>
      gate.run(false, () => inTransaction(pool, async (client) => void (await client.query(sql)))),
    close: async () => {
      const closed = [...open].map((client) => new Promise((resolve) => client.once('end', resolve)));
      await pool.end();
      await Promise.all(closed);
    },
  };
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

function clientDb(client: pg.PoolClient): Db {
  const db: Db = {
    query: async <Row>(sql: string, params?: readonly unknown[]) =>
      (await client.query(sql, params as unknown[])).rows as Row[],
    transaction: (work) => work(db),
  };
  return db;
}
