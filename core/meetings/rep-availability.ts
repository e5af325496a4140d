import { z } from 'zod';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import { isValidTimeZone } from '../compliance/recipient.ts';
import type { Db } from '../db.ts';
import { notFound } from '../errors.ts';
import { weekdays } from '../working-hours.ts';

/**
 * When a rep takes meetings (`users.availability`): weekly hours in the rep's own time zone, how
 * long a meeting is, the buffer kept free around each booked one, how much notice a booking
 * needs and how far ahead it may be. A rep without availability (null) is not bookable.
 */
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24-hour)');

const hoursRange = z
  .strictObject({ start: clockTime, end: clockTime })
  // Same-day ranges only, as the organization's working hours: an overnight range has no one day.
  .refine((range) => range.start < range.end, { message: 'end must be after start', path: ['end'] });

const dayHours = z
  .array(hoursRange)
  .max(12)
  .superRefine((ranges, ctx) => {
    const sorted = ranges
      .map((range, index) => ({ ...range, index }))
      .sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.start < sorted[i - 1]!.end) {
        ctx.addIssue({
          code: 'custom',
          message: `${sorted[i]!.start}–${sorted[i]!.end} overlaps ${sorted[i - 1]!.start}–${sorted[i - 1]!.end}`,
          path: [sorted[i]!.index],
        });
      }
    }
  });

export const repAvailabilitySchema = z.strictObject({
  timeZone: z.string().min(1).refine(isValidTimeZone, 'an IANA time zone such as America/New_York'),
  weekly: z.strictObject(
    Object.fromEntries(weekdays.map((day) => [day, dayHours.optional()])) as {
      [D in (typeof weekdays)[number]]: z.ZodOptional<typeof dayHours>;
    },
  ),
  meetingMinutes: z.number().int().min(15).max(240).default(30),
  bufferMinutes: z.number().int().min(0).max(120).default(0),
  minNoticeHours: z.number().int().min(0).max(336).default(4),
  horizonDays: z.number().int().min(1).max(60).default(14),
});
export type RepAvailability = z.infer<typeof repAvailabilitySchema>;

/** The body that publishes (`{availability: {...}}`) or withdraws (`{availability: null}`) it. */
export const repAvailabilityUpdateSchema = z.strictObject({ availability: repAvailabilitySchema.nullable() });

/** Minutes since midnight of an `HH:MM`. */
export const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** A rep as booking sees them. */
export interface BookableRep {
  id: string;
  name: string | null;
  email: string;
  active: boolean;
  availability: RepAvailability | null;
}

interface RepRow {
  id: string;
  name: string | null;
  email: string;
  active: boolean;
  availability: unknown;
}

const toBookableRep = (row: RepRow): BookableRep => ({
  id: row.id,
  name: row.name,
  email: row.email,
  active: row.active,
  availability: row.availability == null ? null : repAvailabilitySchema.parse(row.availability),
});

/**
 * The rep with their availability; `lock` takes the rep's row for the rest of the transaction,
 * which is how bookings of one rep are made one at a time.
 */
export async function getBookableRep(
  db: Db,
  orgId: string,
  repId: string,
  options: { lock?: boolean } = {},
): Promise<BookableRep> {
  const rows = await db.query<RepRow>(
    `select id, name, email, active, availability from users where org_id = $1 and id = $2
     ${options.lock ? 'for update' : ''}`,
    [orgId, repId],
  );
  if (!rows[0]) throw notFound('rep');
  return toBookableRep(rows[0]);
}

/** The organization's active reps who publish availability, oldest first. */
export async function listBookableReps(db: Db, orgId: string): Promise<BookableRep[]> {
  const rows = await db.query<RepRow>(
    `select id, name, email, active, availability from users
     where org_id = $1 and active and availability is not null order by created_at, id`,
    [orgId],
  );
  return rows.map(toBookableRep);
}

export async function getRepAvailability(
  db: Db,
  orgId: string,
  repId: string,
): Promise<RepAvailability | null> {
  return (await getBookableRep(db, orgId, repId)).availability;
}

/** Publishes (or, with null, withdraws) a rep's availability; audited with before and after. */
export async function setRepAvailability(
  db: Db,
  orgId: string,
  repId: string,
  input: unknown,
  actor: Actor,
): Promise<RepAvailability | null> {
  const availability = input === null ? null : repAvailabilitySchema.parse(input);
  return db.transaction(async (tx) => {
    const before = (await getBookableRep(tx, orgId, repId, { lock: true })).availability;
    await tx.query('update users set availability = $3, updated_at = now() where org_id = $1 and id = $2', [
      orgId,
      repId,
      availability === null ? null : JSON.stringify(availability),
    ]);
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'rep.availability_updated',
      entityType: 'user',
      entityId: repId,
      details: { before, after: availability },
    });
    return availability;
  });
}
