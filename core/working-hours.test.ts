import { describe, expect, it } from 'vitest';
import { organizationSettingsSchema } from './organizations.ts';
import { describeWorkingHours, withinWorkingHours, workingHoursSchema } from './working-hours.ts';

describe('working hours', () => {
  const newYork = workingHoursSchema.parse({ timezone: 'America/New_York' });

  it('defaults to Monday to Friday, 09:00–17:00, in the time zone given', () => {
    expect(newYork).toEqual({
      timezone: 'America/New_York',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      start: '09:00',
      end: '17:00',
    });
    expect(describeWorkingHours(newYork)).toBe('Mon–Fri 09:00–17:00 America/New_York');
  });

  it('is open inside the hours of a listed day, in the organization’s time zone', () => {
    // Wednesday 2026-12-09: 14:00 UTC is 09:00 in New York; 22:00 UTC is 17:00 (closed).
    expect(withinWorkingHours(newYork, new Date('2026-12-09T14:00:00Z'))).toBe(true);
    expect(withinWorkingHours(newYork, new Date('2026-12-09T13:59:00Z'))).toBe(false);
    expect(withinWorkingHours(newYork, new Date('2026-12-09T22:00:00Z'))).toBe(false);
    // Saturday.
    expect(withinWorkingHours(newYork, new Date('2026-12-12T16:00:00Z'))).toBe(false);
    // None set: always open.
    expect(withinWorkingHours(undefined, new Date('2026-12-12T03:00:00Z'))).toBe(true);
  });

  it('refuses an unknown time zone, a bad time, no days, and an end before the start', () => {
    for (const bad of [
      { timezone: 'Mars/Olympus' },
      { timezone: 'UTC', start: '9am' },
      { timezone: 'UTC', days: [] },
      { timezone: 'UTC', days: ['funday'] },
      { timezone: 'UTC', start: '17:00', end: '09:00' },
      { timezone: 'UTC', hours: 8 },
    ]) {
      expect(workingHoursSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('is an organization setting beside the handoff timeout (default 5 minutes)', () => {
    expect(organizationSettingsSchema.parse({})).toMatchObject({ handoffTimeoutMinutes: 5 });
    expect(organizationSettingsSchema.safeParse({ handoffTimeoutMinutes: 0 }).success).toBe(false);
    expect(organizationSettingsSchema.safeParse({ workingHours: { timezone: 'Nowhere' } }).success).toBe(
      false,
    );
  });
});
