import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../core/actor.ts';
import type { Db } from '../../../core/db.ts';
import { sendMeetingInvite } from '../../../core/meetings/meeting-invites.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { recordingSender, sendOutbound } from '../../../core/outbound.ts';
import type { OutboundAttachment } from '../../../core/outbound-message.ts';
import { createRep, signIn } from '../../../core/reps.ts';
import { ambientDatabase } from '../../../inngest/ambient-database.ts';
import { EmbeddedRuntime } from '../../../inngest/embedded-runtime.ts';
import { meetingInviteWorkflows } from '../../../inngest/functions/meeting-invites.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import { waitFor } from '../../../tests/support/wait-for.ts';
import type { ClientBundles } from '../../client-bundles.ts';
import type { Database } from '../../db/database.ts';

/**
 * Meetings end to end: availability and booking through the API, the invitations sent by the
 * workflow through the compliance gate into the delivery ledger (recorded-only email keeps the
 * .ics), and the update a cancel sends.
 */
let base: Database;
let db: Db;
let server: TestServer;
let runtime: EmbeddedRuntime;
let acme: { orgId: string; apiKey: string };
let globex: { orgId: string; apiKey: string };
let repId: string;
let sessionToken: string;
const widget: ClientBundles = { loader: '', widgetApp: '', consoleApp: '' };
const rep = { email: 'dana@acme.example', password: 'long-enough-pw', name: 'Dana Rivera' };
const allDay = [{ start: '00:00', end: '23:30' }];
const everyDay = {
  timeZone: 'UTC',
  weekly: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
  minNoticeHours: 1,
};

interface LedgerRow {
  idempotency_key: string;
  purpose: string;
  sender: string;
  to_address: string;
  subject: string;
  body: string;
  status: string;
  attachments: OutboundAttachment[] | null;
}

beforeAll(async () => {
  base = await createTestDatabase();
  db = ambientDatabase(base);
  acme = await createOrganization(db, { name: 'Acme' }, systemActor);
  globex = await createOrganization(db, { name: 'Globex' }, systemActor);
  ({ repId } = await createRep(db, { orgId: acme.orgId, ...rep }, systemActor));
  sessionToken = (await signIn(db, rep)).token;
  const deliver = (draft: Parameters<typeof sendOutbound>[1]) =>
    sendOutbound({ db, senders: { email: recordingSender('email') } }, draft);
  // Wired the way server/workflows.ts wires it.
  runtime = new EmbeddedRuntime({
    db,
    functions: meetingInviteWorkflows({
      sendInvite: (orgId, meetingId, recipient) =>
        sendMeetingInvite({ db, deliver }, orgId, meetingId, recipient),
    }),
    pollIntervalMs: 20,
    backoffMs: () => 10,
  });
  runtime.start();
  server = await startTestServer(db, { widget });
});
afterAll(async () => {
  await runtime.stop();
  await server.close();
  await base.close();
});

const invitesOf = (meetingId: string, sequence: number) =>
  db.query<LedgerRow>(
    `select * from outbound_deliveries where idempotency_key like $1 order by idempotency_key`,
    [`meeting-invite:${meetingId}:${sequence}:%`],
  );

async function invitesSent(meetingId: string, sequence: number, count = 2): Promise<LedgerRow[]> {
  runtime.poke();
  return waitFor(async () => {
    const rows = await invitesOf(meetingId, sequence);
    return rows.length === count && rows.every((row) => row.status === 'recorded') ? rows : null;
  }, `the invitations of ${meetingId} (SEQUENCE ${sequence})`);
}

function parseInvite(row: LedgerRow) {
  expect(row.attachments).toHaveLength(1);
  const [file] = row.attachments!;
  const calendar = new ICAL.Component(ICAL.parse(file!.content));
  const event = calendar.getFirstSubcomponent('vevent')!;
  return {
    file: file!,
    method: calendar.getFirstPropertyValue('method'),
    uid: event.getFirstPropertyValue('uid'),
    sequence: event.getFirstPropertyValue('sequence'),
    status: event.getFirstPropertyValue('status'),
    start: (event.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().toISOString(),
    attendees: event.getAllProperties('attendee').map((property) => property.getFirstValue()),
  };
}

async function newLead(body: Record<string, unknown>): Promise<string> {
  const created = await server.request('POST', '/api/leads', { key: acme.apiKey, body });
  return created.body.id as string;
}

async function slots(limit = 3): Promise<{ repId: string; startsAt: string; endsAt: string }[]> {
  const res = await server.request('GET', `/api/meetings/slots?repId=${repId}&limit=${limit}`, {
    key: acme.apiKey,
  });
  expect(res.status).toBe(200);
  return res.body.items as { repId: string; startsAt: string; endsAt: string }[];
}

describe('meetings API and invitations', () => {
  it("publishes the rep's availability, refusing bad hours with a problem naming the field", async () => {
    const bad = await server.request('PUT', `/api/reps/${repId}/availability`, {
      key: acme.apiKey,
      body: { availability: { ...everyDay, timeZone: 'Mars/Olympus' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.contentType).toContain('application/problem+json');
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'availability.timeZone' })]);
    expect((await slots()).length).toBe(0);

    const saved = await server.request('PUT', `/api/reps/${repId}/availability`, {
      key: acme.apiKey,
      body: { availability: everyDay },
    });
    expect(saved).toMatchObject({
      status: 200,
      body: { availability: { ...everyDay, meetingMinutes: 30, bufferMinutes: 0, horizonDays: 14 } },
    });
    const offered = await slots();
    expect(offered).toHaveLength(3);
    expect(offered[0]).toMatchObject({ repId, repName: 'Dana Rivera' });
    // Another organization's key cannot touch this rep.
    const theirs = await server.request('PUT', `/api/reps/${repId}/availability`, {
      key: globex.apiKey,
      body: { availability: null },
    });
    expect(theirs.status).toBe(404);
  });

  it('books a slot (201), sends both invitations with the .ics, and a cancel sends METHOD:CANCEL, SEQUENCE 1', async () => {
    const contactId = await newLead({ email: 'pat@prospect.example', firstName: 'Pat', lastName: 'Lee' });
    const slot = (await slots())[1]!;
    const booked = await server.request('POST', '/api/meetings', {
      key: acme.apiKey,
      body: { contactId, repId, startsAt: slot.startsAt, prospectTimeZone: 'Europe/Berlin' },
    });
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({
      contactId,
      repId,
      startsAt: slot.startsAt,
      endsAt: slot.endsAt,
      status: 'booked',
      sequence: 0,
      title: 'Acme demo',
    });
    const meetingId = booked.body.id as string;

    const taken = await server.request('POST', '/api/meetings', {
      key: acme.apiKey,
      body: { contactId: await newLead({ email: 'kim@prospect.example' }), repId, startsAt: slot.startsAt },
    });
    expect(taken.status).toBe(409);
    expect(taken.contentType).toContain('application/problem+json');
    expect(taken.body.detail).toBe('that time is no longer free');
    const tooSoon = await server.request('POST', '/api/meetings', {
      key: acme.apiKey,
      body: { contactId, repId, startsAt: new Date(Date.now() + 10 * 60_000).toISOString() },
    });
    expect(tooSoon.status).toBe(400);
    const unknownField = await server.request('POST', '/api/meetings', {
      key: acme.apiKey,
      body: { contactId, repId, startsAt: slot.startsAt, orgId: globex.orgId },
    });
    expect(unknownField.status).toBe(400);

    const [prospectInvite, repInvite] = await invitesSent(meetingId, 0);
    expect(prospectInvite).toMatchObject({
      idempotency_key: `meeting-invite:${meetingId}:0:prospect`,
      purpose: 'transactional',
      sender: 'agent',
      to_address: 'pat@prospect.example',
    });
    expect(prospectInvite!.subject).toMatch(
      /^Invitation: Acme demo — \w{3} \d{1,2} \w{3}, \d\d:\d\d \(Europe\/Berlin\)$/,
    );
    expect(repInvite).toMatchObject({
      idempotency_key: `meeting-invite:${meetingId}:0:rep`,
      purpose: 'rep_notification',
      to_address: 'dana@acme.example',
    });
    expect(repInvite!.subject).toMatch(/\(UTC\)$/);
    for (const row of [prospectInvite!, repInvite!]) {
      const invite = parseInvite(row);
      expect(invite.file).toMatchObject({
        filename: 'invite.ics',
        contentType: 'text/calendar; method=REQUEST',
      });
      expect(invite).toMatchObject({
        method: 'REQUEST',
        uid: booked.body.icalUid,
        sequence: 0,
        status: 'CONFIRMED',
        start: slot.startsAt,
        attendees: ['mailto:pat@prospect.example', 'mailto:dana@acme.example'],
      });
    }

    const listed = await server.request('GET', `/api/meetings?contactId=${contactId}&status=booked`, {
      key: acme.apiKey,
    });
    expect(listed.body.items).toEqual([expect.objectContaining({ id: meetingId })]);
    expect((await server.request('GET', '/api/meetings', { key: globex.apiKey })).body.items).toEqual([]);
    expect((await server.request('GET', `/api/meetings/${meetingId}`, { key: globex.apiKey })).status).toBe(
      404,
    );
    expect(
      (await server.request('POST', `/api/meetings/${meetingId}/cancel`, { key: globex.apiKey, body: {} }))
        .status,
    ).toBe(404);

    const cancelled = await server.request('POST', `/api/meetings/${meetingId}/cancel`, {
      key: acme.apiKey,
      body: { reason: 'Pat is travelling' },
    });
    expect(cancelled).toMatchObject({
      status: 200,
      body: { status: 'cancelled', sequence: 1, cancelReason: 'Pat is travelling' },
    });
    const cancels = await invitesSent(meetingId, 1);
    expect(cancels[0]!.subject).toMatch(/^Cancelled: Acme demo — /);
    for (const row of cancels) {
      const invite = parseInvite(row);
      expect(invite.file.contentType).toBe('text/calendar; method=CANCEL');
      expect(invite).toMatchObject({
        method: 'CANCEL',
        uid: booked.body.icalUid,
        sequence: 1,
        status: 'CANCELLED',
      });
    }
    // Cancelling again changes and sends nothing.
    const again = await server.request('POST', `/api/meetings/${meetingId}/cancel`, {
      key: acme.apiKey,
      body: {},
    });
    expect(again.body).toMatchObject({ status: 'cancelled', sequence: 1 });
    expect(await invitesOf(meetingId, 2)).toEqual([]);
  });

  it('a reschedule sends the updated invitation; a prospect without email gets none, the rep does', async () => {
    const contactId = await newLead({ phone: '+14155550142', firstName: 'Ola' });
    const [, first, second] = await slots();
    const booked = await server.request('POST', '/api/meetings', {
      key: acme.apiKey,
      body: { contactId, repId, startsAt: first!.startsAt, title: 'Pipeline review' },
    });
    expect(booked.status).toBe(201);
    const meetingId = booked.body.id as string;
    const [repOnly] = await invitesSent(meetingId, 0, 1);
    expect(repOnly!.idempotency_key).toBe(`meeting-invite:${meetingId}:0:rep`);
    expect(parseInvite(repOnly!).attendees).toEqual(['mailto:dana@acme.example']);

    const moved = await server.request('PATCH', `/api/meetings/${meetingId}`, {
      key: acme.apiKey,
      body: { startsAt: second!.startsAt },
    });
    expect(moved).toMatchObject({ status: 200, body: { sequence: 1, startsAt: second!.startsAt } });
    const [update] = await invitesSent(meetingId, 1, 1);
    expect(update!.subject).toMatch(/^Updated invitation: Pipeline review — /);
    expect(parseInvite(update!)).toMatchObject({ method: 'REQUEST', sequence: 1, start: second!.startsAt });
    expect(await invitesOf(meetingId, 0)).toHaveLength(1);
  });

  it('lets a signed-in rep read and set their own hours and see a contact’s meetings in the console', async () => {
    const headers = { authorization: `Bearer ${sessionToken}` };
    const mine = await server.request('GET', '/console/api/me/availability', { headers });
    expect(mine).toMatchObject({ status: 200, body: { availability: { timeZone: 'UTC' } } });
    const changed = await server.request('PUT', '/console/api/me/availability', {
      headers,
      body: { availability: { ...everyDay, timeZone: 'America/Chicago', bufferMinutes: 10 } },
    });
    expect(changed).toMatchObject({ status: 200, body: { availability: { timeZone: 'America/Chicago' } } });
    const crossSite = await server.request('PUT', '/console/api/me/availability', {
      headers: { ...headers, origin: 'https://evil.example' },
      body: { availability: null },
    });
    expect(crossSite.status).toBe(403);

    const contactId = await newLead({ email: 'jo@prospect.example' });
    const slot = (await slots())[2]!;
    await server.request('POST', '/api/meetings', {
      key: acme.apiKey,
      body: { contactId, repId, startsAt: slot.startsAt },
    });
    const panel = await server.request('GET', `/console/api/contacts/${contactId}/meetings`, { headers });
    expect(panel.body.items).toEqual([expect.objectContaining({ contactId, repId, status: 'booked' })]);
    expect(
      (await server.request('GET', `/console/api/contacts/${crypto.randomUUID()}/meetings`, { headers }))
        .status,
    ).toBe(404);
  });
});
