import type { Weekday } from '../working-hours.ts';

/**
 * Wall-clock time in an IANA time zone, both ways, from the platform's time-zone data (Intl):
 * what a rep's "Tue 09:00–17:00 Europe/Berlin" means as UTC instants, including on the days the
 * clocks change.
 */
export interface LocalDate {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
}

export interface WallClock extends LocalDate {
  weekday: Weekday;
  /** Minutes since local midnight, 0–1439. */
  minutes: number;
}

const weekdayOfIndex: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The date and time of day an instant shows on a clock in `timeZone`. */
export function wallClock(instant: Date, timeZone: string): WallClock {
  const parts = formatter(timeZone).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const date = { year: part('year'), month: part('month'), day: part('day') };
  return {
    ...date,
    weekday: weekdayOf(date),
    // Some engines still write midnight as 24 with h23.
    minutes: (part('hour') % 24) * 60 + part('minute'),
  };
}

export function weekdayOf(date: LocalDate): Weekday {
  return weekdayOfIndex[new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()]!;
}

/** The calendar date `days` after `date` (negative: before). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

export const localDateKey = (date: LocalDate) =>
  `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;

/** How far the zone's clocks are ahead of UTC at `instant`, in minutes. */
function offsetMinutes(instant: number, timeZone: string): number {
  const clock = wallClock(new Date(instant), timeZone);
  const asUtc = Date.UTC(clock.year, clock.month - 1, clock.day, 0, clock.minutes);
  return Math.round((asUtc - Math.floor(instant / 60_000) * 60_000) / 60_000);
}

/**
 * The instant a clock in `timeZone` shows `minutes` past midnight on `date`; null when that time
 * does not exist there (skipped when the clocks go forward). A time that happens twice (when
 * they go back) is its first occurrence.
 */
export function wallClockToInstant(date: LocalDate, minutes: number, timeZone: string): Date | null {
  const naive = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  // The offset just before the naive time gives the first of two occurrences.
  const early = naive - offsetMinutes(naive - 86_400_000 / 2, timeZone) * 60_000;
  const late = naive - offsetMinutes(naive + 86_400_000 / 2, timeZone) * 60_000;
  for (const candidate of early <= late ? [early, late] : [late, early]) {
    const clock = wallClock(new Date(candidate), timeZone);
    if (
      clock.year === date.year &&
      clock.month === date.month &&
      clock.day === date.day &&
      clock.minutes === minutes
    ) {
      return new Date(candidate);
    }
  }
  return null;
}
