import { z } from 'zod';
import { isValidTimeZone } from './compliance/recipient.ts';

/**
 * When an organization's reps answer live (`settings.workingHours`): the days of the week and the
 * hours of those days, in one time zone. Outside them nobody is promised to a prospect who asks for
 * a person. An organization that sets none is always open.
 */
export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24-hour)');

export const workingHoursSchema = z
  .strictObject({
    timezone: z.string().min(1).refine(isValidTimeZone, 'an IANA time zone such as America/New_York'),
    days: z
      .array(z.enum(weekdays))
      .min(1, 'name at least one day')
      .default(['mon', 'tue', 'wed', 'thu', 'fri']),
    start: clockTime.default('09:00'),
    end: clockTime.default('17:00'),
  })
  // Same-day windows only: an overnight shift would make "which day" ambiguous.
  .refine((hours) => hours.start < hours.end, { message: 'end must be after start', path: ['end'] });
export type WorkingHours = z.infer<typeof workingHoursSchema>;

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** Whether `now` falls inside the working hours; without any, always. */
export function withinWorkingHours(hours: WorkingHours | undefined, now: Date): boolean {
  if (!hours) return true;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: hours.timezone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
  }).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = part('weekday').toLowerCase() as Weekday;
  const minutes = Number(part('hour')) * 60 + Number(part('minute'));
  return hours.days.includes(day) && minutes >= minutesOf(hours.start) && minutes < minutesOf(hours.end);
}

const dayName = (day: Weekday) => day.charAt(0).toUpperCase() + day.slice(1);

/** "Mon–Fri 09:00–17:00 America/New_York", for telling a prospect when the team is in. */
export function describeWorkingHours(hours: WorkingHours): string {
  const ordered = weekdays.filter((day) => hours.days.includes(day));
  const indexes = ordered.map((day) => weekdays.indexOf(day));
  const consecutive = indexes.every((index, i) => i === 0 || index === indexes[i - 1]! + 1);
  const days =
    ordered.length > 2 && consecutive
      ? `${dayName(ordered[0]!)}–${dayName(ordered.at(-1)!)}`
      : ordered.map(dayName).join(', ');
  return `${days} ${hours.start}–${hours.end} ${hours.timezone}`;
}
