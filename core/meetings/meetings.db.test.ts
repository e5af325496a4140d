import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { listAudit } from '../audit.ts';
import { DomainError } from '../errors.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { createRep } from '../reps.ts';
import { findFreeSlots } from './free-slots.ts';
import { bookMeeting, cancelMeeting, getMeeting, listMeetings, rescheduleMeeting } from './meetings.ts';
import { getRepAvailability, setRepAvailability } from './rep-availability.ts';

let db: Database;
let acme: string;
let globex: string;
let repId: string;
let otherRepId: string;
let unbookableRepId: string;
let contactId: string;
let otherContactId: string;
let globexContactId: string;
let globexRepId: string;

const actor = { type: 'api_key' as const, id: 'test-key' };
// Tuesday 1 Dec 2026, 09:00 in Berlin.
const now = new Date('2026-12-01T08:00:00Z');
const workday = [{ start: '09:00', end: '17:00' }];
const berlinWeek = {
  timeZone: 'Europe/Berlin',
  weekly: { mon: workday, tue: workday, wed: workday, thu: workday, fri: workday },
};
// Tuesday 8 Dec, 10:00 in Berlin.
const tuesdayTen = new Date('2026-12-08T09:00:00Z');
const at = (iso: string) => new Date(iso);

async function rep(orgId: string, email: string, name: string) {
  return (await createRep(db, { orgId, email, password: 'long-enough-pw', name }, systemActor)).repId;
}
async function lead(orgId: string, email: string) {
  return (await upsertLead(db, orgId, { email, firstName: 'Pat' }, systemActor)).lead.id;
}
const events = async (name: string, meetingId: string) =>
  db.query<{ data: Record<string, unknown> }>(
    `select data from events where name = $1 and data->>'meetingId' = $2`,
    [name, meetingId],
  );

beforeAll(async () => {
  db = await createTestDatabase();
  acme = (await createOrganization(db, { name: 'Acme' }, systemActor)).orgId;
  globex = (await createOrganization(db, { name: 'Globex' }, systemActor)).orgId;
  repId = await rep(acme, 'dana@acme.example', 'Dana Rivera');
  otherRepId = await rep(acme, 'sam@acme.example', 'Sam Ortiz');
  unbookableRepId = await rep(acme, 'lee@acme.example', 'Lee Park');
  globexRepId = await rep(globex, 'gil@globex.example', 'Gil');
  await setRepAvailability(db, acme, repId, berlinWeek, systemActor);
  await setRepAvailability(db, acme, otherRepId, { ...berlinWeek, bufferMinutes: 15 }, systemActor);
  await setRepAvailability(db, globex, globexRepId, berlinWeek, systemActor);
  contactId = await lead(acme, 'pat@prospect.example');
  otherContactId = await lead(acme, 'kim@prospect.example');
  globexContactId = await lead(globex, 'pat@globex-prospect.example');
});
afterAll(() => db.close());

describe('rep availability', () => {
  it('is published, read back and withdrawn, each change audited with before and after', async () => {
    expect(await getRepAvailability(db, acme, unbookableRepId)).toBeNull();
    const saved = await setRepAvailability(db, acme, unbookableRepId, { timeZone: 'UTC', weekly: {} }, actor);
    expect(saved).toMatchObject({ timeZone: 'UTC', meetingMinutes: 30, horizonDays: 14 });
    expect(await getRepAvailability(db, acme, unbookableRepId)).toEqual(saved);
    expect(await setRepAvailability(db, acme, unbookableRepId, null, actor)).toBeNull();
    expect(await getRepAvailability(db, acme, unbookableRepId)).toBeNull();
    const audit = (await listAudit(db, acme, {})).filter(
      (entry) => entry.action === 'rep.availability_updated' && entry.entityId === unbookableRepId,
    );
    expect(audit.map((entry) => entry.details)).toEqual([
      { before: null, after: saved },
      { before: saved, after: null },
    ]);
    await expect(
      setRepAvailability(db, acme, unbookableRepId, { timeZone: 'Nowhere/City', weekly: {} }, actor),
    ).rejects.toThrow(/IANA time zone/);
    // Another organization's rep is not found.
    await expect(getRepAvailability(db, globex, repId)).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('bookMeeting', () => {
  it('books one of two prospects racing for the same slot; the other gets a conflict', async () => {
    const results = await Promise.allSettled(
      [contactId, otherContactId].map((contact) =>
        bookMeeting(db, { orgId: acme, contactId: contact, repId, startsAt: tuesdayTen, actor, now }),
      ),
    );
    const booked = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(booked).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const error = (refused[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: 'conflict', message: 'that time is no longer free' });

    const meeting = (booked[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof bookMeeting>>>).value;
    expect(meeting).toMatchObject({
      orgId: acme,
      repId,
      status: 'booked',
      sequence: 0,
      title: 'Acme demo',
      icalUid: `${meeting.id}@quotahit`,
      endsAt: at('2026-12-08T09:30:00Z'),
    });
    expect(await listMeetings(db, acme, { repId, status: 'booked' })).toHaveLength(1);
    expect((await events('meeting.booked', meeting.id)).map((event) => event.data)).toEqual([
      {
        orgId: acme,
        contactId: meeting.contactId,
        meetingId: meeting.id,
        repId,
        startsAt: '2026-12-08T09:00:00.000Z',
      },
    ]);
    const audit = await listAudit(db, acme, { contactId: meeting.contactId });
    expect(audit.filter((entry) => entry.action === 'meeting.booked')).toHaveLength(1);
  });

  it('books one of two overlapping times asked for at once (the lock, not only the unique index)', async () => {
    const results = await Promise.allSettled(
      ['2026-12-08T13:00:00Z', '2026-12-08T13:15:00Z'].map((startsAt, index) =>
        bookMeeting(db, {
          orgId: acme,
          contactId: index === 0 ? contactId : otherContactId,
          repId,
          startsAt: at(startsAt),
          actor,
          now,
        }),
      ),
    );
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const booked = await listMeetings(db, acme, {
      repId,
      from: at('2026-12-08T12:00:00Z'),
      to: at('2026-12-08T14:00:00Z'),
    });
    expect(booked).toHaveLength(1);
    await cancelMeeting(db, { orgId: acme, meetingId: booked[0]!.id, actor, now });
  });

  it('refuses a time that overlaps a booked meeting or its buffer, and one outside the hours', async () => {
    const first = await bookMeeting(db, {
      orgId: acme,
      contactId,
      repId: otherRepId,
      startsAt: at('2026-12-09T09:00:00Z'),
      actor,
      now,
    });
    expect(first.status).toBe('booked');
    // 10:15 overlaps 10:00–10:30; 10:30 is inside the 15-minute buffer; 10:45 is free.
    for (const startsAt of ['2026-12-09T09:15:00Z', '2026-12-09T09:30:00Z']) {
      await expect(
        bookMeeting(db, { orgId: acme, contactId, repId: otherRepId, startsAt: at(startsAt), actor, now }),
      ).rejects.toMatchObject({ kind: 'conflict' });
    }
    const later = await bookMeeting(db, {
      orgId: acme,
      contactId: otherContactId,
      repId: otherRepId,
      startsAt: at('2026-12-09T09:45:00Z'),
      title: 'Pipeline review',
      prospectTimeZone: 'America/New_York',
      actor,
      now,
    });
    expect(later).toMatchObject({ title: 'Pipeline review', prospectTimeZone: 'America/New_York' });

    const refusedAt = async (startsAt: string, id = repId) =>
      bookMeeting(db, { orgId: acme, contactId, repId: id, startsAt: at(startsAt), actor, now }).catch(
        (error: DomainError) => error.kind,
      );
    expect(await refusedAt('2026-12-08T17:00:00Z')).toBe('invalid'); // 18:00 in Berlin
    expect(await refusedAt('2026-12-12T10:00:00Z')).toBe('invalid'); // a Saturday
    expect(await refusedAt('2026-12-01T09:00:00Z')).toBe('invalid'); // in an hour: too little notice
    expect(await refusedAt('2026-12-31T09:00:00Z')).toBe('invalid'); // past the 14-day horizon
    expect(await refusedAt('2026-12-08T10:00:00Z', unbookableRepId)).toBe('invalid'); // no availability
  });
});

describe('rescheduleMeeting and cancelMeeting', () => {
  it('moves a meeting to a free time (SEQUENCE 1), then cancels it (SEQUENCE 2) once', async () => {
    const meeting = await bookMeeting(db, {
      orgId: acme,
      contactId,
      repId,
      startsAt: at('2026-12-10T09:00:00Z'),
      actor,
      now,
    });
    // Onto the slot the race above took: refused, unchanged.
    await expect(
      rescheduleMeeting(db, { orgId: acme, meetingId: meeting.id, startsAt: tuesdayTen, actor, now }),
    ).rejects.toMatchObject({ kind: 'conflict' });
    // Half an hour later overlaps only the meeting itself, which is moving.
    const moved = await rescheduleMeeting(db, {
      orgId: acme,
      meetingId: meeting.id,
      startsAt: at('2026-12-10T09:15:00Z'),
      actor,
      now,
    });
    expect(moved).toMatchObject({
      status: 'booked',
      sequence: 1,
      startsAt: at('2026-12-10T09:15:00Z'),
      endsAt: at('2026-12-10T09:45:00Z'),
      icalUid: meeting.icalUid,
    });
    expect((await events('meeting.rescheduled', meeting.id)).map((event) => event.data)).toEqual([
      expect.objectContaining({
        startsAt: '2026-12-10T09:15:00.000Z',
        previousStartsAt: '2026-12-10T09:00:00.000Z',
      }),
    ]);

    const cancelled = await cancelMeeting(db, {
      orgId: acme,
      meetingId: meeting.id,
      reason: 'the prospect is travelling',
      actor,
      now,
    });
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      sequence: 2,
      cancelReason: 'the prospect is travelling',
    });
    const again = await cancelMeeting(db, { orgId: acme, meetingId: meeting.id, actor, now });
    expect(again).toEqual(cancelled);
    expect(await events('meeting.cancelled', meeting.id)).toHaveLength(1);
    await expect(
      rescheduleMeeting(db, {
        orgId: acme,
        meetingId: meeting.id,
        startsAt: at('2026-12-10T11:00:00Z'),
        actor,
        now,
      }),
    ).rejects.toMatchObject({ kind: 'conflict' });
    // The cancelled meeting's time is free again.
    const rebooked = await bookMeeting(db, {
      orgId: acme,
      contactId: otherContactId,
      repId,
      startsAt: at('2026-12-10T09:15:00Z'),
      actor,
      now,
    });
    expect(rebooked.status).toBe('booked');
    const actions = (await listAudit(db, acme, { contactId }))
      .filter((entry) => entry.entityId === meeting.id)
      .map((entry) => entry.action);
    expect(actions).toEqual(['meeting.booked', 'meeting.rescheduled', 'meeting.cancelled']);
  });
});

describe('findFreeSlots', () => {
  it("offers the reps' free times, never a booked one, spread over days", async () => {
    const slots = await findFreeSlots(db, acme, { repId, now, limit: 10 });
    expect(slots).toHaveLength(10);
    expect(slots.every((slot) => slot.repId === repId && slot.repName === 'Dana Rivera')).toBe(true);
    const booked = await listMeetings(db, acme, { repId, status: 'booked' });
    for (const meeting of booked) {
      expect(slots.some((slot) => slot.startsAt < meeting.endsAt && slot.endsAt > meeting.startsAt)).toBe(
        false,
      );
    }
    // From 13:00 in Berlin on Tuesday 1 Dec (the notice), then one a day: morning, afternoon.
    const three = await findFreeSlots(db, acme, { repId, now });
    expect(three.map((slot) => slot.startsAt.toISOString())).toEqual([
      '2026-12-01T12:00:00.000Z',
      '2026-12-02T08:00:00.000Z',
      '2026-12-03T11:00:00.000Z',
    ]);
    // Without a rep: the organization's bookable reps, each time once (the first rep listed has it).
    const anyone = await findFreeSlots(db, acme, { now, limit: 20 });
    expect(anyone).toHaveLength(20);
    expect(anyone.every((slot) => slot.repId === repId || slot.repId === otherRepId)).toBe(true);
    expect(new Set(anyone.map((slot) => slot.startsAt.getTime())).size).toBe(20);
    expect((await findFreeSlots(db, acme, { repId: otherRepId, now }))[0]).toMatchObject({
      repId: otherRepId,
      repName: 'Sam Ortiz',
    });
    expect(await findFreeSlots(db, acme, { repId: unbookableRepId, now })).toEqual([]);
    await expect(findFreeSlots(db, globex, { repId, now })).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('leaves out a taken slot of the day it would offer', async () => {
    const meeting = await bookMeeting(db, {
      orgId: acme,
      contactId,
      repId,
      startsAt: at('2026-12-02T08:00:00Z'),
      actor,
      now,
    });
    const three = await findFreeSlots(db, acme, { repId, now });
    expect(three[1]!.startsAt.toISOString()).toBe('2026-12-02T08:30:00.000Z');
    await cancelMeeting(db, { orgId: acme, meetingId: meeting.id, actor, now });
  });
});

describe('organizations stay apart', () => {
  it("never shows, books or changes another organization's meetings", async () => {
    const [acmeMeeting] = await listMeetings(db, acme, { repId, status: 'booked' });
    await expect(getMeeting(db, globex, acmeMeeting!.id)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(
      cancelMeeting(db, { orgId: globex, meetingId: acmeMeeting!.id, actor, now }),
    ).rejects.toMatchObject({ kind: 'not_found' });
    await expect(
      rescheduleMeeting(db, { orgId: globex, meetingId: acmeMeeting!.id, startsAt: tuesdayTen, actor, now }),
    ).rejects.toMatchObject({ kind: 'not_found' });
    // Globex's prospect with Acme's rep, or Acme's prospect with Globex's rep: neither exists there.
    await expect(
      bookMeeting(db, { orgId: globex, contactId: globexContactId, repId, startsAt: tuesdayTen, actor, now }),
    ).rejects.toMatchObject({ kind: 'not_found' });
    await expect(
      bookMeeting(db, { orgId: globex, contactId, repId: globexRepId, startsAt: tuesdayTen, actor, now }),
    ).rejects.toMatchObject({ kind: 'not_found' });
    expect(await listMeetings(db, globex, {})).toEqual([]);
    expect((await getMeeting(db, acme, acmeMeeting!.id)).status).toBe('booked');
    // The same time is free for Globex's own rep.
    const theirs = await bookMeeting(db, {
      orgId: globex,
      contactId: globexContactId,
      repId: globexRepId,
      startsAt: tuesdayTen,
      actor,
      now,
    });
    expect(theirs).toMatchObject({ orgId: globex, title: 'Globex demo' });
  });
});
