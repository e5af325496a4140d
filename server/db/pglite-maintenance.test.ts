import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import type { Database } from './database.ts';
import { maintainTables } from './pglite-maintenance.ts';

// Always PGlite (not a *.db.test.ts file): PostgreSQL servers have autovacuum of their own.
let db: Database;
let orgId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  const rows = await db.query<{ id: string }>(
    `insert into organizations (name, widget_key) values ('Acme', 'wk_maintenance') returning id`,
  );
  orgId = rows[0]!.id;
  await maintainTables(db); // what the template's migrations left
});
afterAll(() => db.close());

const visitorChatPlan = async () => {
  const plan = await db.query<{ 'QUERY PLAN': string }>(
    `explain select * from conversations where org_id = $1 and channel = 'web' and visitor_id = $2
       and status = 'open' order by created_at desc limit 1`,
    [orgId, 'visitor-1234'],
  );
  return plan.map((row) => row['QUERY PLAN']).join('\n');
};

describe('table maintenance for the embedded database (no autovacuum there)', () => {
  it('analyzes a table that grew, so the planner finds a visitor’s chat by its index', async () => {
    await db.query(
      `insert into contacts (org_id, first_name) select $1, 'v' || g from generate_series(1, 3000) g`,
      [orgId],
    );
    await db.query(
      `insert into conversations (org_id, contact_id, channel, visitor_id)
       select org_id, id, 'web', 'visitor-' || substr(first_name, 2) from contacts where org_id = $1`,
      [orgId],
    );
    // Without statistics the plan reads every open web chat of the organization.
    expect(await visitorChatPlan()).not.toContain('conversations_visitor');

    const maintained = await maintainTables(db);
    expect(maintained.map((entry) => entry.table)).toEqual(
      expect.arrayContaining(['public.contacts', 'public.conversations']),
    );
    expect(await visitorChatPlan()).toContain('conversations_visitor');
    // Nothing changed since: nothing to do.
    expect(await maintainTables(db)).toEqual([]);
  });

  it('vacuums a table once a fifth of its rows are dead versions', async () => {
    // v1, v10–v19, v100–v199, v1000–v1999: 1,111 of 3,000 contacts updated.
    await db.query(`update contacts set last_name = 'x' where org_id = $1 and first_name like 'v1%'`, [
      orgId,
    ]);
    expect(await maintainTables(db)).toEqual([{ table: 'public.contacts', vacuumed: true }]);
    await db.query('select pg_stat_force_next_flush()');
    const stats = await db.query<{ n_dead_tup: number }>(
      `select n_dead_tup from pg_stat_user_tables where relname = 'contacts'`,
    );
    expect(stats[0]!.n_dead_tup).toBe(0);
  });
});
