import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../core/actor.ts';
import { openLeadDeal } from '../core/deals/deal-pipeline.ts';
import { findFreeSlots } from '../core/meetings/free-slots.ts';
import { bookMeeting } from '../core/meetings/meetings.ts';
import { setRepAvailability } from '../core/meetings/rep-availability.ts';
import { createOrganization } from '../core/organizations.ts';
import { createRep } from '../core/reps.ts';
import type { Database } from '../server/db/database.ts';
import { createTestDatabase } from './support/test-database.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/**
 * Every route that reads or writes an organization's rows, tried with another organization's
 * key. Each new route adds a row here: Acme's key must succeed, Globex's must be refused (403 or
 * 404) or see none of Acme's data.
 */
interface AcmeRows {
  contactId: string;
  conversationId: string;
  messageId: string;
  repId: string;
  meetingId: string;
  dealId: string;
}

interface RouteCase {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: (rows: AcmeRows) => string;
  body?: (rows: AcmeRows) => unknown;
  /** `refused`: 403/404 for the other org. `filtered`: 200, but nothing of Acme's in it. */
  otherOrg: 'refused' | 'filtered';
}

const routes: RouteCase[] = [
  { name: 'read a lead', method: 'GET', path: (r) => `/api/leads/${r.contactId}`, otherOrg: 'refused' },
  {
    name: 'find leads by email',
    method: 'GET',
    path: () => '/api/leads?email=pat@acme.example',
    otherOrg: 'filtered',
  },
  {
    name: 'find leads by phone',
    method: 'GET',
    path: () => '/api/leads?phone=%2B14155550199',
    otherOrg: 'filtered',
  },
  {
    name: "list a contact's conversations",
    method: 'GET',
    path: (r) => `/api/conversations?contactId=${r.contactId}`,
    otherOrg: 'filtered',
  },
  {
    name: "read a conversation's messages",
    method: 'GET',
    path: (r) => `/api/conversations/${r.conversationId}/messages`,
    otherOrg: 'refused',
  },
  {
    name: 'create a lead with the same email (must not merge into Acme)',
    method: 'POST',
    path: () => '/api/leads',
    body: () => ({ email: 'pat@acme.example' }),
    otherOrg: 'filtered',
  },
  {
    name: 'score a lead',
    method: 'POST',
    path: () => '/api/leads/score',
    body: (r) => ({ contactId: r.contactId }),
    otherOrg: 'refused',
  },
  {
    name: 'read the scoring profile',
    method: 'GET',
    path: () => '/api/scoring/profile',
    otherOrg: 'filtered',
  },
  {
    name: 'change the scoring profile (re-scores only its own contacts)',
    method: 'PUT',
    path: () => '/api/scoring/profile',
    body: () => ({ industries: ['logistics'] }),
    otherOrg: 'filtered',
  },
  {
    name: 'record consent',
    method: 'POST',
    path: () => '/api/compliance/consent',
    body: (r) => ({
      contactId: r.contactId,
      type: 'sms_marketing',
      method: 'web_form',
      evidence: { wording: 'I agree to receive texts from Acme.' },
    }),
    otherOrg: 'refused',
  },
  {
    name: "read a contact's consent",
    method: 'GET',
    path: (r) => `/api/compliance/consent?contactId=${r.contactId}`,
    otherOrg: 'refused',
  },
  {
    name: 'check an outbound message',
    method: 'POST',
    path: () => '/api/compliance/check',
    body: (r) => ({ contactId: r.contactId, channel: 'sms', purpose: 'marketing' }),
    otherOrg: 'refused',
  },
  {
    name: 'revoke consent',
    method: 'POST',
    path: () => '/api/compliance/consent/revoke',
    body: (r) => ({ contactId: r.contactId, type: 'all' }),
    otherOrg: 'refused',
  },
  {
    name: 'flag a contact Do-Not-Call',
    method: 'POST',
    path: () => '/api/compliance/dnc/contact',
    body: (r) => ({ contactId: r.contactId, doNotCall: true }),
    otherOrg: 'refused',
  },
  {
    name: "set a contact's time zone",
    method: 'POST',
    path: () => '/api/compliance/timezone',
    body: (r) => ({ contactId: r.contactId, timezone: 'America/Los_Angeles' }),
    otherOrg: 'refused',
  },
  {
    name: 'import the national Do-Not-Call registry (only into its own list)',
    method: 'POST',
    path: () => '/api/compliance/dnc/import',
    body: () => ({ text: '4155550199\n', areaCode: '415', dataDate: new Date().toISOString().slice(0, 10) }),
    otherOrg: 'filtered',
  },
  {
    name: 'add a number to the Do-Not-Call list',
    method: 'POST',
    path: () => '/api/compliance/dnc',
    body: () => ({ phone: '+14155550199' }),
    otherOrg: 'filtered',
  },
  {
    name: 'look a number up on the Do-Not-Call lists',
    method: 'GET',
    path: () => '/api/compliance/dnc?phone=%2B14155550199',
    otherOrg: 'filtered',
  },
  {
    name: 'remove a number from the Do-Not-Call list',
    method: 'POST',
    path: () => '/api/compliance/dnc/remove',
    body: () => ({ phone: '+14155550199' }),
    otherOrg: 'filtered',
  },
  {
    name: "read a contact's audit trail (audit.csv is checked in routes/compliance.db.test.ts)",
    method: 'GET',
    path: (r) => `/api/compliance/audit?contactId=${r.contactId}`,
    otherOrg: 'filtered',
  },
  {
    name: 'verify the audit chain',
    method: 'GET',
    path: () => '/api/compliance/audit/verify',
    otherOrg: 'filtered',
  },
  {
    name: 'talk to the qualifier about a contact',
    method: 'POST',
    path: () => '/api/agents/qualifier',
    body: (r) => ({ contactId: r.contactId, message: 'Hi, what does it cost?' }),
    otherOrg: 'refused',
  },
  {
    name: 'route a lead',
    method: 'POST',
    path: () => '/api/leads/route',
    body: (r) => ({ contactId: r.contactId }),
    otherOrg: 'refused',
  },
  {
    name: 'read the routing settings',
    method: 'GET',
    path: () => '/api/routing/settings',
    otherOrg: 'filtered',
  },
  {
    name: 'change the routing settings (only its own)',
    method: 'PUT',
    path: () => '/api/routing/settings',
    body: () => ({ enabledModes: ['B'] }),
    otherOrg: 'filtered',
  },
  {
    name: 'read the handoff settings',
    method: 'GET',
    path: () => '/api/handoff/settings',
    otherOrg: 'filtered',
  },
  {
    name: 'change the handoff settings (only its own)',
    method: 'PUT',
    path: () => '/api/handoff/settings',
    body: () => ({ handoffTimeoutMinutes: 7 }),
    otherOrg: 'filtered',
  },
  {
    name: 'list the leads waiting for a rep',
    method: 'GET',
    path: () => '/api/routing/queue',
    otherOrg: 'filtered',
  },
  {
    name: 'assign waiting leads to reps (only its own)',
    method: 'POST',
    path: () => '/api/routing/queue/assign',
    otherOrg: 'filtered',
  },
  {
    name: "list a contact's follow-ups",
    method: 'GET',
    path: (r) => `/api/follow-ups?contactId=${r.contactId}`,
    otherOrg: 'filtered',
  },
  {
    name: 'schedule follow-ups for a contact',
    method: 'POST',
    path: () => '/api/follow-ups/schedule',
    body: (r) => ({ contactId: r.contactId, sequence: 'nurture' }),
    otherOrg: 'refused',
  },
  {
    name: "cancel a contact's follow-ups",
    method: 'POST',
    path: () => '/api/follow-ups/cancel',
    body: (r) => ({ contactId: r.contactId }),
    otherOrg: 'refused',
  },
  {
    name: 'run due follow-ups (only its own)',
    method: 'POST',
    path: () => '/api/follow-ups/execute',
    otherOrg: 'filtered',
  },
  {
    name: 'read the follow-up sequences',
    method: 'GET',
    path: () => '/api/follow-ups/sequences',
    otherOrg: 'filtered',
  },
  {
    name: "list a contact's meetings",
    method: 'GET',
    path: (r) => `/api/meetings?contactId=${r.contactId}`,
    otherOrg: 'filtered',
  },
  { name: 'read a meeting', method: 'GET', path: (r) => `/api/meetings/${r.meetingId}`, otherOrg: 'refused' },
  {
    name: "offer a rep's free slots",
    method: 'GET',
    path: (r) => `/api/meetings/slots?repId=${r.repId}`,
    otherOrg: 'refused',
  },
  {
    name: "publish a rep's availability",
    method: 'PUT',
    path: (r) => `/api/reps/${r.repId}/availability`,
    body: () => ({ availability: { timeZone: 'UTC', weekly: { sun: [{ start: '00:00', end: '23:30' }] } } }),
    otherOrg: 'refused',
  },
  {
    name: 'cancel a meeting',
    method: 'POST',
    path: (r) => `/api/meetings/${r.meetingId}/cancel`,
    body: () => ({ reason: 'moved' }),
    otherOrg: 'refused',
  },
  {
    name: "list a contact's deals",
    method: 'GET',
    path: (r) => `/api/deals?contactId=${r.contactId}`,
    otherOrg: 'filtered',
  },
  { name: 'read a deal', method: 'GET', path: (r) => `/api/deals/${r.dealId}`, otherOrg: 'refused' },
  {
    name: 'move a deal',
    method: 'PATCH',
    path: (r) => `/api/deals/${r.dealId}`,
    body: () => ({ stage: 'proposal' }),
    otherOrg: 'refused',
  },
];

let db: Database;
let server: TestServer;
let acmeKey: string;
let globexKey: string;
let rows: AcmeRows;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  const acme = await createOrganization(db, { name: 'Acme' }, systemActor);
  acmeKey = acme.apiKey;
  globexKey = (await createOrganization(db, { name: 'Globex' }, systemActor)).apiKey;
  const lead = await server.request('POST', '/api/leads', {
    key: acmeKey,
    body: { email: 'pat@acme.example', phone: '+14155550199', firstName: 'Pat' },
  });
  const contactId = lead.body.id as string;
  const [conversation] = await db.query<{ id: string }>(
    `insert into conversations (org_id, contact_id, channel) values ($1, $2, 'web') returning id`,
    [acme.orgId, contactId],
  );
  const [message] = await db.query<{ id: string }>(
    `insert into messages (org_id, conversation_id, contact_id, direction, channel, sender, body)
     values ($1, $2, $3, 'inbound', 'web', 'prospect', 'hello from Acme') returning id`,
    [acme.orgId, conversation!.id, contactId],
  );
  const { repId } = await createRep(
    db,
    { orgId: acme.orgId, email: 'dana@acme.example', password: 'long-enough-pw' },
    systemActor,
  );
  const allDay = [{ start: '00:00', end: '23:30' }];
  await setRepAvailability(
    db,
    acme.orgId,
    repId,
    { timeZone: 'UTC', weekly: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay } },
    systemActor,
  );
  const now = new Date();
  const [slot] = await findFreeSlots(db, acme.orgId, { repId, now });
  const meeting = await bookMeeting(db, {
    orgId: acme.orgId,
    contactId,
    repId,
    startsAt: slot!.startsAt,
    actor: systemActor,
    now,
  });
  const deal = await db.transaction((tx) =>
    openLeadDeal(tx, {
      orgId: acme.orgId,
      contactId,
      amountCents: 100_000,
      currency: 'usd',
      actor: systemActor,
    }),
  );
  rows = {
    dealId: deal.id,
    contactId,
    conversationId: conversation!.id,
    messageId: message!.id,
    repId,
    meetingId: meeting.id,
  };
});

afterAll(async () => {
  await server.close();
  await db.close();
});

describe.each(routes)('$method $name', (route) => {
  it("answers Acme's own key", async () => {
    const res = await server.request(route.method, route.path(rows), {
      key: acmeKey,
      body: route.body?.(rows),
    });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  });

  it("never shows Acme's data to Globex's key", async () => {
    const res = await server.request(route.method, route.path(rows), {
      key: globexKey,
      body: route.body?.(rows),
    });
    if (route.otherOrg === 'refused') expect([403, 404]).toContain(res.status);
    else expect(res.status).toBeLessThan(300);
    const text = JSON.stringify(res.body);
    for (const id of Object.values(rows)) expect(text).not.toContain(id);
    expect(text).not.toContain('hello from Acme');
  });
});
