import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.ts';
import { createTestDatabase } from '../tests/support/test-database.ts';
import { systemActor } from './actor.ts';
import { upsertLead } from './leads.ts';
import { createOrganization, updateOrganizationSettings } from './organizations.ts';
import { assertRepMaySee, repInbox } from './rep-inbox.ts';
import { createRep, type Rep, signIn } from './reps.ts';

let db: Database;
let orgId: string;
let ann: Rep;
let bob: Rep;
let admin: Rep;
let outsider: Rep;
const conversationOf: Record<string, string> = {};

async function rep(org: string, email: string, role: 'rep' | 'admin' = 'rep'): Promise<Rep> {
  await createRep(db, { orgId: org, email, password: 'long-enough-pw', role }, systemActor);
  return (await signIn(db, { email, password: 'long-enough-pw' })).rep;
}

async function conversationRoutedTo(email: string, repId: string | null): Promise<string> {
  const { lead } = await upsertLead(db, orgId, { email }, systemActor);
  if (repId)
    await db.query('update contacts set routing = $2 where id = $1', [lead.id, JSON.stringify({ repId })]);
  const [row] = await db.query<{ id: string }>(
    `insert into conversations (org_id, contact_id, channel) values ($1, $2, 'web') returning id`,
    [orgId, lead.id],
  );
  return row!.id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  const other = (await createOrganization(db, { name: 'Globex' }, systemActor)).orgId;
  ann = await rep(orgId, 'ann@acme.example');
  bob = await rep(orgId, 'bob@acme.example');
  admin = await rep(orgId, 'boss@acme.example', 'admin');
  outsider = await rep(other, 'gil@globex.example');
  conversationOf.ann = await conversationRoutedTo('lead-a@example.com', ann.id);
  conversationOf.bob = await conversationRoutedTo('lead-b@example.com', bob.id);
  conversationOf.nobody = await conversationRoutedTo('lead-c@example.com', null);
});
afterAll(() => db.close());

const inboxIds = async (who: Rep, mine = false) =>
  (await repInbox(db, who, { mine })).map((item) => item.id).sort();

describe('what a rep sees in the console', () => {
  it('shows every conversation of the organization by default, and marks the rep’s own', async () => {
    expect(await inboxIds(ann)).toEqual(Object.values(conversationOf).sort());
    const mine = (await repInbox(db, ann)).filter((item) => item.assignedToMe).map((item) => item.id);
    expect(mine).toEqual([conversationOf.ann]);
    expect(await inboxIds(ann, true)).toEqual([conversationOf.ann]);
  });

  it('shows a rep only their own when the organization says so; admins still see all', async () => {
    await updateOrganizationSettings(db, orgId, { console: { repVisibility: 'assigned' } }, systemActor);
    expect(await inboxIds(ann)).toEqual([conversationOf.ann]);
    await expect(assertRepMaySee(db, ann, conversationOf.bob!)).rejects.toThrow(/not found/);
    await expect(assertRepMaySee(db, ann, conversationOf.ann!)).resolves.toBeUndefined();
    expect(await inboxIds(admin)).toEqual(Object.values(conversationOf).sort());
    await updateOrganizationSettings(db, orgId, { console: { repVisibility: 'all' } }, systemActor);
  });

  it('never shows another organization’s conversations', async () => {
    expect(await inboxIds(outsider)).toEqual([]);
    await expect(assertRepMaySee(db, outsider, conversationOf.ann!)).rejects.toThrow(/not found/);
  });
});
