import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { databaseKind } from '../../tests/support/test-database.ts';
import { openPostgres } from './postgres-database.ts';

// Only the PostgreSQL pass has a server to pool connections to; PGlite's queue has its own test.
describe.skipIf(databaseKind !== 'postgres')('the PostgreSQL pool under load', () => {
  it('acknowledges while every background connection waits on a lock', async () => {
    const url = process.env.TEST_DATABASE_URL!;
    const db = await openPostgres(url, { poolSize: 3, reservedForInteractive: 1 });
    // Another session holds the lock the background work needs, as a long turn holds the audit chain.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query('select pg_advisory_lock(4242)');
    try {
      let backgroundDone = 0;
      const background = Array.from({ length: 5 }, () =>
        db.transaction((tx) => tx.query('select pg_advisory_xact_lock(4242)')).then(() => backgroundDone++),
      );
      // Background work has taken its two connections and is blocked; more of it is queued.
      await expect.poll(() => waitingOnTheLock(holder)).toBe(2);

      const acked = await db.query<{ ok: number }>('select 1 as ok', [], { interactive: true });
      expect(acked).toEqual([{ ok: 1 }]);
      expect(backgroundDone).toBe(0);

      await holder.query('select pg_advisory_unlock(4242)');
      await Promise.all(background);
      expect(backgroundDone).toBe(5);
    } finally {
      await holder.end();
      await db.close();
    }
  });
});

async function waitingOnTheLock(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
     where wait_event_type = 'Lock' and query like '%pg_advisory_xact_lock(4242)%' and pid <> pg_backend_pid()`,
  );
  return rows[0]!.n;
}
