import { randomUUID } from 'node:crypto';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import { isValidTimeZone } from '../compliance/recipient.ts';
import type { Db } from '../db.ts';
import { DomainError, notFound } from '../errors.ts';
import { emitEvent } from '../events.ts';
import { getOrganization } from '../organizations.ts';
import { repVisibility } from '../rep-inbox.ts';
import type { Rep } from '../reps.ts';
import { bookedIntervals, overlapsBusy, withinAvailability } from './free-slots.ts';
import { type BookableRep, getBookableRep, type RepAvailability } from './rep-availability.ts';

/**
 * Meetings between a prospect and a rep, booked into the rep's published availability
 * (rep-availability.ts) without any calendar vendor. Bookings of one rep are made one at a time:
 * each locks the rep's users row, then checks the time against the booked meetings, so two
 * prospects asking for the same slot at once get one meeting and one conflict. Every change
 * raises the iCalendar SEQUENCE and emits an event, on which the invitations go out
 * (meeting-invites.ts).
 */
export interface Meeting {
  id: string;
  orgId: string;
  contactId: string;
  repId: string;
  dealId: string | null;
  conversationId: string | null;
  startsAt: Date;
  endsAt: Date;
  prospectTimeZone: string | null;
  title: string;
  status: 'booked' | 'cancelled';
  sequence: number;
  icalUid: string;
  cancelReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface MeetingRow {
  id: string;
  org_id: string;
  contact_id: string;
  rep_id: string;
  deal_id: string | null;
  conversation_id: string | null;
  starts_at: Date;
  ends_at: Date;
  prospect_time_zone: string | null;
  title: string;
  status: 'booked' | 'cancelled';
  sequence: number;
  ical_uid: string;
  cancel_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const toMeeting = (row: MeetingRow): Meeting => ({
  id: row.id,
  orgId: row.org_id,
  contactId: row.contact_id,
  repId: row.rep_id,
  dealId: row.deal_id,
  conversationId: row.conversation_id,
  startsAt: row.starts_at,
  endsAt: row.ends_at,
  prospectTimeZone: row.prospect_time_zone,
  title: row.title,
  status: row.status,
  sequence: row.sequence,
  icalUid: row.ical_uid,
  cancelReason: row.cancel_reason,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const taken = () => new DomainError('conflict', 'that time is no longer free');

/** Books if the slot is inside the rep's availability and free. */
export async function bookMeeting(
  db: Db,
  input: {
    orgId: string;
    contactId: string;
    repId: string;
    startsAt: Date;
    title?: string;
    dealId?: string | null;
    conversationId?: string | null;
    prospectTimeZone?: string | null;
    actor: Actor;
    now: Date;
  },
): Promise<Meeting> {
  const { orgId, actor, now } = input;
  const startsAt = validStart(input.startsAt);
  const title = input.title?.trim();
  if (title !== undefined && (title.length < 1 || title.length > 200)) {
    throw new DomainError('invalid', 'title must be 1 to 200 characters');
  }
  const prospectTimeZone = input.prospectTimeZone ?? null;
  if (prospectTimeZone !== null && !isValidTimeZone(prospectTimeZone)) {
    throw new DomainError('invalid', 'prospectTimeZone must be an IANA time zone such as Europe/Berlin');
  }
  return db.transaction(async (tx) => {
    const rep = await getBookableRep(tx, orgId, input.repId, { lock: true });
    const contact = await tx.query('select 1 from contacts where org_id = $1 and id = $2', [
      orgId,
      input.contactId,
    ]);
    if (!contact[0]) throw notFound('contact');
    const availability = bookable(rep);
    const endsAt = await checkFree(tx, orgId, rep, availability, startsAt, now, availability.meetingMinutes);
    const id = randomUUID();
    const meetingTitle = title ?? `${(await getOrganization(tx, orgId)).name} demo`;
    const rows = await insertOrConflict(() =>
      tx.query<MeetingRow>(
        `insert into meetings (id, org_id, contact_id, rep_id, deal_id, conversation_id, starts_at, ends_at,
           prospect_time_zone, title, ical_uid, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) returning *`,
        [
          id,
          orgId,
          input.contactId,
          rep.id,
          input.dealId ?? null,
          input.conversationId ?? null,
          startsAt,
          endsAt,
          prospectTimeZone,
          meetingTitle,
          `${id}@quotahit`,
          now,
        ],
      ),
    );
    const meeting = toMeeting(rows[0]!);
    await emitEvent(tx, 'meeting.booked', eventOf(meeting));
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'meeting.booked',
      entityType: 'meeting',
      entityId: meeting.id,
      contactId: meeting.contactId,
      details: {
        repId: meeting.repId,
        startsAt: meeting.startsAt.toISOString(),
        endsAt: meeting.endsAt.toISOString(),
        ...(meeting.dealId ? { dealId: meeting.dealId } : {}),
        ...(meeting.conversationId ? { conversationId: meeting.conversationId } : {}),
      },
    });
    return meeting;
  });
}

/** Moves a booked meeting to another free time of the same rep: the same checks, SEQUENCE + 1. */
export async function rescheduleMeeting(
  db: Db,
  input: { orgId: string; meetingId: string; startsAt: Date; actor: Actor; now: Date },
): Promise<Meeting> {
  const { orgId, actor, now } = input;
  const startsAt = validStart(input.startsAt);
  return db.transaction(async (tx) => {
    const before = await lockMeeting(tx, orgId, input.meetingId);
    if (before.status === 'cancelled') throw new DomainError('conflict', 'the meeting was cancelled');
    const rep = await getBookableRep(tx, orgId, before.repId, { lock: true });
    const duration = (before.endsAt.getTime() - before.startsAt.getTime()) / 60_000;
    const endsAt = await checkFree(tx, orgId, rep, bookable(rep), startsAt, now, duration, before.id);
    const rows = await insertOrConflict(() =>
      tx.query<MeetingRow>(
        `update meetings set starts_at = $3, ends_at = $4, sequence = sequence + 1, updated_at = $5
         where org_id = $1 and id = $2 returning *`,
        [orgId, before.id, startsAt, endsAt, now],
      ),
    );
    const meeting = toMeeting(rows[0]!);
    await emitEvent(tx, 'meeting.rescheduled', {
      ...eventOf(meeting),
      previousStartsAt: before.startsAt.toISOString(),
    });
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'meeting.rescheduled',
      entityType: 'meeting',
      entityId: meeting.id,
      contactId: meeting.contactId,
      details: {
        before: { startsAt: before.startsAt.toISOString(), endsAt: before.endsAt.toISOString() },
        after: { startsAt: meeting.startsAt.toISOString(), endsAt: meeting.endsAt.toISOString() },
        sequence: meeting.sequence,
      },
    });
    return meeting;
  });
}

/** Cancels a meeting (SEQUENCE + 1); cancelling a cancelled meeting changes nothing. */
export async function cancelMeeting(
  db: Db,
  input: { orgId: string; meetingId: string; reason?: string; actor: Actor; now: Date },
): Promise<Meeting> {
  const { orgId, actor, now } = input;
  const reason = input.reason?.trim() || null;
  if (reason && reason.length > 500)
    throw new DomainError('invalid', 'reason must be at most 500 characters');
  return db.transaction(async (tx) => {
    const before = await lockMeeting(tx, orgId, input.meetingId);
    if (before.status === 'cancelled') return before;
    const rows = await tx.query<MeetingRow>(
      `update meetings set status = 'cancelled', cancel_reason = $3, sequence = sequence + 1, updated_at = $4
       where org_id = $1 and id = $2 returning *`,
      [orgId, before.id, reason, now],
    );
    const meeting = toMeeting(rows[0]!);
    await emitEvent(tx, 'meeting.cancelled', { ...eventOf(meeting), ...(reason ? { reason } : {}) });
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'meeting.cancelled',
      entityType: 'meeting',
      entityId: meeting.id,
      contactId: meeting.contactId,
      details: { startsAt: meeting.startsAt.toISOString(), sequence: meeting.sequence, reason },
    });
    return meeting;
  });
}

export async function listMeetings(
  db: Db,
  orgId: string,
  filter: { contactId?: string; repId?: string; from?: Date; to?: Date; status?: 'booked' | 'cancelled' },
): Promise<Meeting[]> {
  const rows = await db.query<MeetingRow>(
    `select * from meetings where org_id = $1
       and ($2::uuid is null or contact_id = $2) and ($3::uuid is null or rep_id = $3)
       and ($4::timestamptz is null or ends_at > $4) and ($5::timestamptz is null or starts_at < $5)
       and ($6::text is null or status = $6)
     order by starts_at, id limit 500`,
    [
      orgId,
      filter.contactId ?? null,
      filter.repId ?? null,
      filter.from ?? null,
      filter.to ?? null,
      filter.status ?? null,
    ],
  );
  return rows.map(toMeeting);
}

export async function getMeeting(db: Db, orgId: string, meetingId: string): Promise<Meeting> {
  const rows = await db.query<MeetingRow>('select * from meetings where org_id = $1 and id = $2', [
    orgId,
    meetingId,
  ]);
  if (!rows[0]) throw notFound('meeting');
  return toMeeting(rows[0]);
}

/**
 * A contact's meetings for the console's lead panel. Where the organization shows reps only
 * their own leads (`console.repVisibility: assigned`), a rep sees the meetings they hold.
 */
export async function listContactMeetingsForRep(db: Db, rep: Rep, contactId: string): Promise<Meeting[]> {
  const contact = await db.query('select 1 from contacts where org_id = $1 and id = $2', [
    rep.orgId,
    contactId,
  ]);
  if (!contact[0]) throw notFound('contact');
  const everyone = rep.role === 'admin' || (await repVisibility(db, rep.orgId)) === 'all';
  return listMeetings(db, rep.orgId, { contactId, ...(everyone ? {} : { repId: rep.id }) });
}

function validStart(startsAt: Date): Date {
  if (!(startsAt instanceof Date) || Number.isNaN(startsAt.getTime())) {
    throw new DomainError('invalid', 'startsAt must be a date and time');
  }
  return startsAt;
}

function bookable(rep: BookableRep): RepAvailability {
  if (!rep.active || !rep.availability) {
    throw new DomainError('invalid', 'this rep takes no meetings (no availability published)');
  }
  return rep.availability;
}

/** Checks the time against the rep's hours and booked meetings; returns when the meeting ends. */
async function checkFree(
  tx: Db,
  orgId: string,
  rep: BookableRep,
  availability: RepAvailability,
  startsAt: Date,
  now: Date,
  durationMinutes: number,
  exceptMeetingId?: string,
): Promise<Date> {
  if (!withinAvailability({ ...availability, meetingMinutes: durationMinutes }, startsAt, now)) {
    throw new DomainError('invalid', "that time is outside the rep's availability", {
      timeZone: availability.timeZone,
    });
  }
  const endsAt = new Date(startsAt.getTime() + durationMinutes * 60_000);
  const margin = availability.bufferMinutes * 60_000;
  const busy = await bookedIntervals(
    tx,
    orgId,
    rep.id,
    new Date(startsAt.getTime() - margin),
    new Date(endsAt.getTime() + margin),
    { exceptMeetingId },
  );
  if (overlapsBusy(availability, busy, { startsAt, endsAt })) throw taken();
  return endsAt;
}

/** The backstop unique index (one booked meeting per rep and start) answers as the check does. */
async function insertOrConflict<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505') throw taken();
    throw error;
  }
}

async function lockMeeting(tx: Db, orgId: string, meetingId: string): Promise<Meeting> {
  const rows = await tx.query<MeetingRow>('select * from meetings where org_id = $1 and id = $2 for update', [
    orgId,
    meetingId,
  ]);
  if (!rows[0]) throw notFound('meeting');
  return toMeeting(rows[0]);
}

function eventOf(meeting: Meeting) {
  return {
    orgId: meeting.orgId,
    contactId: meeting.contactId,
    meetingId: meeting.id,
    repId: meeting.repId,
    startsAt: meeting.startsAt.toISOString(),
  };
}
