import { isValidTimeZone } from '../compliance/recipient.ts';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';
import {
  type BookableRep,
  getBookableRep,
  listBookableReps,
  minutesOf,
  type RepAvailability,
} from './rep-availability.ts';
import {
  addDays,
  type LocalDate,
  localDateKey,
  wallClock,
  wallClockToInstant,
  weekdayOf,
} from './wall-clock.ts';

export interface MeetingSlot {
  repId: string;
  repName: string | null;
  startsAt: Date;
  endsAt: Date;
}

/** A time a rep is taken: a booked meeting (its buffer is added when slots are checked against it). */
export interface BusyInterval {
  startsAt: Date;
  endsAt: Date;
}

const minute = 60_000;
const hour = 60 * minute;

/**
 * Free slots of active reps with availability (or of one rep): inside their weekly hours in THEIR
 * time zone (DST-correct), after now + minNotice, within horizon, not overlapping a booked meeting
 * (+buffer). Ordered by time; at most `limit` (default 3), spread across days by `spreadSlots`.
 */
export async function findFreeSlots(
  db: Db,
  orgId: string,
  options: { repId?: string; now: Date; limit?: number },
): Promise<MeetingSlot[]> {
  const limit = options.limit ?? 3;
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
    throw new DomainError('invalid', 'limit must be a whole number from 1 to 50');
  }
  const reps = options.repId
    ? [await getBookableRep(db, orgId, options.repId)].filter((rep) => rep.active && rep.availability)
    : await listBookableReps(db, orgId);
  const candidates: Candidate[] = [];
  for (const rep of reps) {
    const availability = rep.availability!;
    const until = new Date(options.now.getTime() + (availability.horizonDays + 1) * 24 * hour);
    const busy = await bookedIntervals(db, orgId, rep.id, options.now, until);
    for (const slot of freeSlotsOf(availability, busy, options.now)) {
      const clock = wallClock(slot.startsAt, availability.timeZone);
      candidates.push({ rep, ...slot, day: localDateKey(clock), morning: clock.minutes < 12 * 60 });
    }
  }
  return spreadSlots(candidates, limit).map(({ rep, startsAt, endsAt }) => ({
    repId: rep.id,
    repName: rep.name,
    startsAt,
    endsAt,
  }));
}

/** The rep's booked meetings that end after `from` and start before `to`. */
export async function bookedIntervals(
  db: Db,
  orgId: string,
  repId: string,
  from: Date,
  to: Date,
  options: { exceptMeetingId?: string } = {},
): Promise<BusyInterval[]> {
  const rows = await db.query<{ starts_at: Date; ends_at: Date }>(
    `select starts_at, ends_at from meetings
     where org_id = $1 and rep_id = $2 and status = 'booked' and ends_at > $3 and starts_at < $4
       and ($5::uuid is null or id <> $5)
     order by starts_at`,
    [orgId, repId, from, to, options.exceptMeetingId ?? null],
  );
  return rows.map((row) => ({ startsAt: row.starts_at, endsAt: row.ends_at }));
}

/**
 * Every free slot of one rep, in time order. Slots start at the beginning of each weekly range
 * and follow each other every `meetingMinutes` (09:00, 09:30, … for 30-minute meetings); one that
 * does not fit before the range's end, falls in a clock change, starts before now + minNotice or
 * after now + horizonDays, or overlaps a booked meeting widened by `bufferMinutes` on both sides,
 * is left out.
 */
export function freeSlotsOf(availability: RepAvailability, busy: BusyInterval[], now: Date): BusyInterval[] {
  const earliest = now.getTime() + availability.minNoticeHours * hour;
  const latest = now.getTime() + availability.horizonDays * 24 * hour;
  const today = wallClock(now, availability.timeZone);
  const slots: BusyInterval[] = [];
  for (let offset = 0; offset <= availability.horizonDays; offset++) {
    const date = addDays(today, offset);
    for (const range of rangesOn(availability, date)) {
      const end = minutesOf(range.end);
      for (let start = minutesOf(range.start); start + availability.meetingMinutes <= end; ) {
        const slot = slotAt(availability, date, start);
        start += availability.meetingMinutes;
        if (!slot) continue;
        const startsAt = slot.startsAt.getTime();
        if (startsAt < earliest) continue;
        if (startsAt > latest) return slots;
        if (!overlapsBusy(availability, busy, slot)) slots.push(slot);
      }
    }
  }
  return slots;
}

/** Whether `startsAt` begins a meeting the rep's weekly hours, notice and horizon allow. */
export function withinAvailability(availability: RepAvailability, startsAt: Date, now: Date): boolean {
  if (startsAt.getTime() % minute !== 0) return false;
  const wait = startsAt.getTime() - now.getTime();
  if (wait < availability.minNoticeHours * hour || wait > availability.horizonDays * 24 * hour) return false;
  const clock = wallClock(startsAt, availability.timeZone);
  const slot = slotAt(availability, clock, clock.minutes);
  if (!slot || slot.startsAt.getTime() !== startsAt.getTime()) return false;
  return rangesOn(availability, clock).some(
    (range) =>
      minutesOf(range.start) <= clock.minutes &&
      clock.minutes + availability.meetingMinutes <= minutesOf(range.end),
  );
}

/** Whether the meeting `slot` would overlap a booked one, with the rep's buffer around it. */
export function overlapsBusy(
  availability: RepAvailability,
  busy: BusyInterval[],
  slot: BusyInterval,
): boolean {
  const buffer = availability.bufferMinutes * minute;
  return busy.some(
    (meeting) =>
      slot.startsAt.getTime() < meeting.endsAt.getTime() + buffer &&
      slot.endsAt.getTime() > meeting.startsAt.getTime() - buffer,
  );
}

/** The rep's hours on that local date, earliest first. */
function rangesOn(availability: RepAvailability, date: LocalDate) {
  return [...(availability.weekly[weekdayOf(date)] ?? [])].sort((a, b) => (a.start < b.start ? -1 : 1));
}

/**
 * The meeting starting at `minutes` past midnight on `date` in the rep's zone, or null when the
 * clocks change during it (its start or end does not exist, or it would not last its length on
 * the clock).
 */
function slotAt(availability: RepAvailability, date: LocalDate, minutes: number): BusyInterval | null {
  const startsAt = wallClockToInstant(date, minutes, availability.timeZone);
  if (!startsAt) return null;
  const endsAt = new Date(startsAt.getTime() + availability.meetingMinutes * minute);
  const end = wallClock(endsAt, availability.timeZone);
  const endMinutes = minutes + availability.meetingMinutes;
  if (end.day !== date.day || end.minutes !== endMinutes) return null;
  return { startsAt, endsAt };
}

interface Candidate extends BusyInterval {
  rep: BookableRep;
  /** The local date in the rep's zone. */
  day: string;
  /** Before noon in the rep's zone. */
  morning: boolean;
}

/**
 * Which free slots to offer, so a prospect gets a real choice rather than three neighbouring
 * half-hours of one morning:
 * 1. one slot per day, on the earliest days with any; the first day gives its earliest slot, and
 *    each following day the earliest slot in the other half of the day (morning / afternoon, in
 *    the rep's zone) than the day before, or its earliest when that half is full;
 * 2. when there are fewer days than `limit`, a second slot on those days, at least two hours from
 *    the one already chosen;
 * 3. then any remaining slot, earliest first.
 * A start time is offered once, whichever rep has it (the first listed). The result is in time
 * order.
 */
export function spreadSlots<S extends Candidate>(candidates: S[], limit: number): S[] {
  const sorted = [...candidates].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  const chosen: S[] = [];
  const starts = new Set<number>();
  const take = (slot: S) => {
    chosen.push(slot);
    starts.add(slot.startsAt.getTime());
  };
  const byDay = new Map<string, S[]>();
  for (const slot of sorted) byDay.set(slot.day, [...(byDay.get(slot.day) ?? []), slot]);

  let wantMorning: boolean | null = null;
  for (const slots of byDay.values()) {
    if (chosen.length >= limit) break;
    const pick: S =
      (wantMorning === null ? undefined : slots.find((s) => s.morning === wantMorning)) ?? slots[0]!;
    take(pick);
    wantMorning = !pick.morning;
  }
  for (const slots of byDay.values()) {
    if (chosen.length >= limit) break;
    const onDay = chosen.filter((slot) => slot.day === slots[0]!.day);
    if (onDay.length !== 1) continue;
    const apart = slots.find(
      (slot) =>
        !starts.has(slot.startsAt.getTime()) &&
        Math.abs(slot.startsAt.getTime() - onDay[0]!.startsAt.getTime()) >= 2 * hour,
    );
    if (apart) take(apart);
  }
  for (const slot of sorted) {
    if (chosen.length >= limit) break;
    if (!starts.has(slot.startsAt.getTime())) take(slot);
  }
  return chosen.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}

const labelFormats = new Map<string, Intl.DateTimeFormat>();

/** "Tue 8 Dec, 10:00 (Europe/Berlin)" style label in the given zone (prospect's zone; fall back to the rep's) */
export function describeSlot(startsAt: Date, timeZone: string): string {
  const zone = isValidTimeZone(timeZone) ? timeZone : 'UTC';
  let format = labelFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    labelFormats.set(zone, format);
  }
  const parts = format.formatToParts(startsAt);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const hours = String(Number(part('hour')) % 24).padStart(2, '0');
  return `${part('weekday')} ${part('day')} ${part('month')}, ${hours}:${part('minute')} (${zone})`;
}
