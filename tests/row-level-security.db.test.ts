import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../core/actor.ts';
import { upsertLead } from '../core/leads.ts';
import { createOrganization } from '../core/organizations.ts';
import type { Database } from '../server/db/database.ts';
import { createTestDatabase } from './support/test-database.ts';

/**
 * On Supabase, clients reach tables through PostgREST as a non-owner role with the JWT claims in
 * `request.jwt.claims`; the policies must confine them to their organization's rows.
 */
let db: Database;
let acme: string;
let globex: string;
beforeAll(async () => {
  db = await createTestDatabase();
  acme = (await createOrganization(db, { name: 'Acme' }, systemActor)).orgId;
  globex = (await createOrganization(db, { name: 'Globex' }, systemActor)).orgId;
  await upsertLead(db, acme, { email: 'a@acme.example' }, systemActor);
  await upsertLead(db, globex, { email: 'g@globex.example' }, systemActor);
  await db.query(`do $$ begin
    if not exists (select 1 from pg_roles where rolname = 'qh_rls_client') then create role qh_rls_client; end if;
  end $$`);
  await db.query('grant select, insert on all tables in schema public to qh_rls_client');
});
afterAll(() => db.close());

async function asClient<T>(orgId: string | null, sql: string, params: unknown[] = []): Promise<T[]> {
  return db.transaction(async (tx) => {
    await tx.query('set local role qh_rls_client');
    await tx.query(`select set_config('request.jwt.claims', $1, true)`, [
      orgId ? JSON.stringify({ org_id: orgId }) : '',
    ]);
    return tx.query<T>(sql, params);
  });
}

describe('row-level security', () => {
  it("shows a client only its organization's rows", async () => {
    expect(await asClient(acme, 'select email from contacts')).toEqual([{ email: 'a@acme.example' }]);
    expect(await asClient(globex, 'select email from contacts')).toEqual([{ email: 'g@globex.example' }]);
    expect(await asClient(null, 'select email from contacts')).toEqual([]);
  });

  it('refuses writing a row into another organization', async () => {
    await expect(
      asClient(acme, `insert into contacts (org_id, email) values ($1, 'x@y.z')`, [globex]),
    ).rejects.toThrow(/row-level security/);
  });
});
