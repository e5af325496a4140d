import { describe, expect, it } from 'vitest';
import { describeSlot, freeSlotsOf, overlapsBusy, spreadSlots, withinAvailability } from './free-slots.ts';
import type { BookableRep } from './rep-availability.ts';
import { type RepAvailability, repAvailabilitySchema } from './rep-availability.ts';

const availability = (input: Record<string, unknown>): RepAvailability => repAvailabilitySchema.parse(input);
const iso = (slots: { startsAt: Date }[]) => slots.map((slot) => slot.startsAt.toISOString());

describe('rep availability', () => {
  it('fills in the defaults and refuses what makes no sense', () => {
    expect(
      availability({ timeZone: 'Europe/Berlin', weekly: { mon: [{ start: '09:00', end: '12:00' }] } }),
    ).toEqual({
      timeZone: 'Europe/Berlin',
      weekly: { mon: [{ start: '09:00', end: '12:00' }] },
      meetingMinutes: 30,
      bufferMinutes: 0,
      minNoticeHours: 4,
      horizonDays: 14,
    });
    const refused = (input: Record<string, unknown>) => repAvailabilitySchema.safeParse(input).success;
    expect(refused({ timeZone: 'Mars/Olympus', weekly: {} })).toBe(false);
    expect(refused({ timeZone: 'UTC', weekly: { mon: [{ start: '12:00', end: '09:00' }] } })).toBe(false);
    expect(refused({ timeZone: 'UTC', weekly: { mon: [{ start: '9:00', end: '12:00' }] } })).toBe(false);
    expect(
      refused({
        timeZone: 'UTC',
        weekly: {
          tue: [
            { start: '13:00', end: '17:00' },
            { start: '09:00', end: '13:30' },
          ],
        },
      }),
    ).toBe(false);
    expect(refused({ timeZone: 'UTC', weekly: { monday: [] } })).toBe(false);
    expect(refused({ timeZone: 'UTC', weekly: {}, meetingMinutes: 10 })).toBe(false);
    expect(refused({ timeZone: 'UTC', weekly: {}, horizonDays: 61 })).toBe(false);
    expect(refused({ timeZone: 'UTC', weekly: {}, colour: 'blue' })).toBe(false);
  });
});

describe('freeSlotsOf', () => {
  it("follows the rep's weekly hours in the rep's zone across a clock change", () => {
    // New York leaves daylight saving time on Sunday 1 Nov 2026: 09:00 is 13:00Z before, 14:00Z after.
    const hours = availability({
      timeZone: 'America/New_York',
      weekly: { mon: [{ start: '09:00', end: '10:00' }] },
      minNoticeHours: 0,
    });
    expect(iso(freeSlotsOf(hours, [], new Date('2026-10-24T12:00:00Z')))).toEqual([
      '2026-10-26T13:00:00.000Z',
      '2026-10-26T13:30:00.000Z',
      '2026-11-02T14:00:00.000Z',
      '2026-11-02T14:30:00.000Z',
    ]);
  });

  it('offers no time the clocks skip, nor a meeting the clocks change during', () => {
    // Sunday 8 Mar 2026, New York: 02:00 becomes 03:00. 01:00 for an hour would end at 03:00.
    const hours = availability({
      timeZone: 'America/New_York',
      weekly: { sun: [{ start: '01:00', end: '04:00' }] },
      meetingMinutes: 60,
      minNoticeHours: 0,
      horizonDays: 2,
    });
    expect(iso(freeSlotsOf(hours, [], new Date('2026-03-07T00:00:00Z')))).toEqual([
      '2026-03-08T07:00:00.000Z',
    ]);
  });

  it('needs the notice and stays inside the horizon', () => {
    const hours = availability({
      timeZone: 'Europe/Berlin',
      weekly: { fri: [{ start: '09:00', end: '17:00' }] },
      minNoticeHours: 4,
      horizonDays: 7,
    });
    // Friday 4 Dec, 09:00 in Berlin.
    const slots = iso(freeSlotsOf(hours, [], new Date('2026-12-04T08:00:00Z')));
    expect(slots[0]).toBe('2026-12-04T12:00:00.000Z');
    expect(slots.filter((slot) => slot.startsWith('2026-12-04'))).toHaveLength(8);
    // A week on, only the minute the horizon ends.
    expect(slots.filter((slot) => slot.startsWith('2026-12-11'))).toEqual(['2026-12-11T08:00:00.000Z']);
  });

  it('leaves out booked meetings and the buffer around them', () => {
    const hours = availability({
      timeZone: 'UTC',
      weekly: { mon: [{ start: '09:00', end: '12:00' }] },
      bufferMinutes: 15,
      minNoticeHours: 0,
      horizonDays: 3,
    });
    const booked = [{ startsAt: new Date('2026-12-07T10:00:00Z'), endsAt: new Date('2026-12-07T10:30:00Z') }];
    expect(iso(freeSlotsOf(hours, booked, new Date('2026-12-06T00:00:00Z')))).toEqual([
      '2026-12-07T09:00:00.000Z',
      '2026-12-07T11:00:00.000Z',
      '2026-12-07T11:30:00.000Z',
    ]);
    expect(
      overlapsBusy(hours, booked, {
        startsAt: new Date('2026-12-07T10:45:00Z'),
        endsAt: new Date('2026-12-07T11:15:00Z'),
      }),
    ).toBe(false);
  });
});

describe('withinAvailability', () => {
  const hours = availability({
    timeZone: 'Europe/Berlin',
    weekly: { tue: [{ start: '09:00', end: '17:00' }] },
  });
  const now = new Date('2026-12-01T08:00:00Z');

  it('accepts a meeting inside the hours and refuses one outside them, too soon or too far', () => {
    expect(withinAvailability(hours, new Date('2026-12-08T09:00:00Z'), now)).toBe(true);
    // 16:30–17:00 fits; 16:45 would end after 17:00.
    expect(withinAvailability(hours, new Date('2026-12-08T15:30:00Z'), now)).toBe(true);
    expect(withinAvailability(hours, new Date('2026-12-08T15:45:00Z'), now)).toBe(false);
    expect(withinAvailability(hours, new Date('2026-12-08T07:30:00Z'), now)).toBe(false);
    expect(withinAvailability(hours, new Date('2026-12-09T09:00:00Z'), now)).toBe(false);
    // Tuesday 1 Dec 10:00 in Berlin is only an hour away (4 hours' notice).
    expect(withinAvailability(hours, new Date('2026-12-01T09:00:00Z'), now)).toBe(false);
    expect(withinAvailability(hours, new Date('2026-12-29T09:00:00Z'), now)).toBe(false);
    expect(withinAvailability(hours, new Date('2026-12-08T09:00:30Z'), now)).toBe(false);
  });
});

describe('spreadSlots', () => {
  const rep = {
    id: 'rep',
    name: 'Dana',
    email: 'dana@example.com',
    active: true,
    availability: null,
  } as BookableRep;
  const slot = (at: string) => {
    const startsAt = new Date(at);
    return {
      rep,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 30 * 60_000),
      day: at.slice(0, 10),
      morning: startsAt.getUTCHours() < 12,
    };
  };
  const week = ['07', '08', '09'].flatMap((day) =>
    ['09:00', '09:30', '10:00', '14:00', '14:30'].map((time) => slot(`2026-12-${day}T${time}:00Z`)),
  );

  it('offers one slot a day, alternating morning and afternoon', () => {
    expect(iso(spreadSlots(week, 3))).toEqual([
      '2026-12-07T09:00:00.000Z',
      '2026-12-08T14:00:00.000Z',
      '2026-12-09T09:00:00.000Z',
    ]);
  });

  it('with fewer days than asked for, adds a second slot a day at least two hours away, then the rest', () => {
    const twoDays = week.filter((candidate) => candidate.day !== '2026-12-09');
    expect(iso(spreadSlots(twoDays, 5))).toEqual([
      '2026-12-07T09:00:00.000Z',
      '2026-12-07T09:30:00.000Z',
      '2026-12-07T14:00:00.000Z',
      '2026-12-08T09:00:00.000Z',
      '2026-12-08T14:00:00.000Z',
    ]);
  });

  it('offers a time once when two reps have it', () => {
    const other = { ...rep, id: 'other' };
    const both = [slot('2026-12-07T09:00:00Z'), { ...slot('2026-12-07T09:00:00Z'), rep: other }];
    expect(spreadSlots(both, 3)).toHaveLength(1);
  });
});

describe('describeSlot', () => {
  it('labels a time in the given zone', () => {
    const at = new Date('2026-12-08T09:00:00Z');
    expect(describeSlot(at, 'Europe/Berlin')).toBe('Tue 8 Dec, 10:00 (Europe/Berlin)');
    expect(describeSlot(at, 'America/New_York')).toBe('Tue 8 Dec, 04:00 (America/New_York)');
    expect(describeSlot(new Date('2026-12-08T23:30:00Z'), 'Asia/Tokyo')).toBe(
      'Wed 9 Dec, 08:30 (Asia/Tokyo)',
    );
  });
});
