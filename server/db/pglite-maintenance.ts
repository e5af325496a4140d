import type { Db } from '../../core/db.ts';

/**
 * PGlite runs Postgres in single-user mode, where autovacuum never runs: without it the planner
 * has no statistics for tables that grew after they were created, and picks plans that read
 * every row of an organization (at 4,000 conversations, finding a visitor's chat took 1.9 ms
 * instead of 0.2 ms, and it grows with the table), and updated rows' dead versions are never
 * reclaimed. This does autovacuum's job for the embedded database with autovacuum's own
 * thresholds: a table is analyzed once 10% of it (plus 50 rows) changed since its last analyze,
 * and vacuumed once 20% of it (plus 50 rows) is dead rows. A table with rows that was never
 * analyzed (a data directory from an earlier run) is analyzed at once.
 */
export interface MaintainedTable {
  table: string;
  vacuumed: boolean;
}

export async function maintainTables(db: Db): Promise<MaintainedTable[]> {
  // Table counters reach pg_stat_user_tables when the backend flushes them; make that now.
  await db.query('select pg_stat_force_next_flush()');
  const due = await db.query<{ name: string; vacuum: boolean }>(
    `select quote_ident(s.schemaname) || '.' || quote_ident(s.relname) as name,
            s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0) as vacuum
     from pg_stat_user_tables s join pg_class c on c.oid = s.relid
     where s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
        or s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0)
        or (c.reltuples < 0 and pg_relation_size(c.oid) > 0)
     order by s.relname`,
  );
  for (const table of due) {
    // One statement outside a transaction: VACUUM cannot run inside one.
    await db.query(table.vacuum ? `vacuum (analyze) ${table.name}` : `analyze ${table.name}`);
  }
  return due.map((table) => ({ table: table.name, vacuumed: table.vacuum }));
}
