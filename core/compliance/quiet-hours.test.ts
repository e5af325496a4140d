import { describe, expect, it } from 'vitest';
import { callingWindow, checkQuietHours, nanpAreaCode, recipientLocale } from './quiet-hours.ts';

const at = (iso: string) => new Date(iso);
const verdict = (phone: string | null, iso: string, timezone?: string) =>
  checkQuietHours(at(iso), recipientLocale(phone, timezone));

describe('recipient locale', () => {
  it('finds state and time zone from the NANP area code', () => {
    expect(recipientLocale('+12125550100')).toEqual({ region: 'NY', timeZones: ['America/New_York'] });
    expect(recipientLocale('(415) 555-0100')).toEqual({ region: 'CA', timeZones: ['America/Los_Angeles'] });
    expect(recipientLocale('+13055550100').region).toBe('FL');
    expect(recipientLocale('+14055550100').region).toBe('OK');
    expect(recipientLocale('+14165550100')).toEqual({ region: 'CA-ON', timeZones: ['America/New_York'] });
  });

  it('lists every zone of an area code that spans two', () => {
    expect(recipientLocale('+18505550100')).toEqual({
      region: 'FL',
      timeZones: ['America/New_York', 'America/Chicago'],
    });
  });

  it("prefers the contact's known time zone, but keeps the number's region", () => {
    expect(recipientLocale('+13055550100', 'America/Denver')).toEqual({
      region: 'FL',
      timeZones: ['America/Denver'],
    });
    // An invalid stored zone is ignored rather than trusted.
    expect(recipientLocale('+12125550100', 'Mars/Olympus').timeZones).toEqual(['America/New_York']);
  });

  it('knows some countries by calling code, and nothing about toll-free or unknown numbers', () => {
    expect(recipientLocale('+442071234567')).toEqual({ region: 'GB', timeZones: ['Europe/London'] });
    expect(recipientLocale('+18005550100')).toEqual({ region: null, timeZones: [] });
    expect(recipientLocale('+9991234567')).toEqual({ region: null, timeZones: [] });
    expect(recipientLocale(null)).toEqual({ region: null, timeZones: [] });
  });

  it('reads the area code of a +1 number only', () => {
    expect(nanpAreaCode('2015550123')).toBe('201');
    expect(nanpAreaCode('+442071234567')).toBeNull();
  });
});

describe('quiet hours, 8:00–21:00 local time', () => {
  it('opens at 8:00 and closes at 21:00 in New York (daylight saving time)', () => {
    expect(verdict('+12125550100', '2026-07-15T11:59:00Z')).toBe('quiet_hours'); // 07:59 EDT
    expect(verdict('+12125550100', '2026-07-15T12:00:00Z')).toBe('ok'); // 08:00
    expect(verdict('+12125550100', '2026-07-16T00:59:00Z')).toBe('ok'); // 20:59
    expect(verdict('+12125550100', '2026-07-16T01:00:00Z')).toBe('quiet_hours'); // 21:00
  });

  it('follows standard time in winter', () => {
    expect(verdict('+12125550100', '2026-01-15T12:59:00Z')).toBe('quiet_hours'); // 07:59 EST
    expect(verdict('+12125550100', '2026-01-15T13:00:00Z')).toBe('ok');
  });

  it('applies the recipient’s zone, not the sender’s', () => {
    const noonInNewYork = '2026-07-15T12:30:00Z'; // 08:30 in New York, 05:30 in San Francisco
    expect(verdict('+12125550100', noonInNewYork)).toBe('ok');
    expect(verdict('+14155550100', noonInNewYork)).toBe('quiet_hours');
    expect(verdict('+14155550100', '2026-07-15T15:00:00Z')).toBe('ok'); // 08:00 PDT
    expect(verdict('+18085550100', '2026-07-15T17:59:00Z')).toBe('quiet_hours'); // 07:59 in Honolulu
    expect(verdict('+18085550100', '2026-07-15T18:00:00Z')).toBe('ok');
    // Arizona keeps standard time all year.
    expect(verdict('+16025550100', '2026-07-15T14:59:00Z')).toBe('quiet_hours'); // 07:59 MST
    expect(verdict('+16025550100', '2026-07-15T15:00:00Z')).toBe('ok');
  });

  it('uses the contact’s known time zone over the area code', () => {
    expect(verdict('+12125550100', '2026-07-15T12:30:00Z', 'America/Los_Angeles')).toBe('quiet_hours');
    expect(verdict('+12125550100', '2026-07-15T16:00:00Z', 'America/Los_Angeles')).toBe('ok');
  });

  it('must hold in every zone of a split area code', () => {
    expect(verdict('+18505550100', '2026-07-15T12:30:00Z')).toBe('quiet_hours'); // 08:30 ET but 07:30 CT
    expect(verdict('+18505550100', '2026-07-15T13:00:00Z')).toBe('ok');
  });

  it('refuses when the time zone cannot be known', () => {
    expect(verdict('+18005550100', '2026-07-15T16:00:00Z')).toBe('quiet_hours_unknown_timezone');
    expect(verdict(null, '2026-07-15T16:00:00Z')).toBe('quiet_hours_unknown_timezone');
    expect(verdict('+18005550100', '2026-07-15T16:00:00Z', 'America/Chicago')).toBe('ok');
  });

  it('applies abroad by country code', () => {
    expect(verdict('+442071234567', '2026-07-15T06:59:00Z')).toBe('quiet_hours'); // 07:59 BST
    expect(verdict('+442071234567', '2026-07-15T07:00:00Z')).toBe('ok');
  });
});

describe('stricter windows', () => {
  it('closes at 20:00 in Florida and Oklahoma, with a cap of three calls a day', () => {
    expect(callingWindow('FL').callsPer24h).toBe(3);
    expect(callingWindow('OK').callsPer24h).toBe(3);
    expect(callingWindow('NY').callsPer24h).toBeUndefined();
    // 19:59 and 20:00 EDT: New York is open at both, Miami only at the first.
    expect(verdict('+13055550100', '2026-07-15T23:59:00Z')).toBe('ok');
    expect(verdict('+13055550100', '2026-07-16T00:00:00Z')).toBe('quiet_hours');
    expect(verdict('+12125550100', '2026-07-16T00:00:00Z')).toBe('ok');
    // 20:00 CDT: Oklahoma City is closed, Dallas is open.
    expect(verdict('+14055550100', '2026-07-16T00:59:00Z')).toBe('ok');
    expect(verdict('+14055550100', '2026-07-16T01:00:00Z')).toBe('quiet_hours');
    expect(verdict('+12145550100', '2026-07-16T01:00:00Z')).toBe('ok');
    expect(verdict('+13055550100', '2026-07-15T11:59:00Z')).toBe('quiet_hours'); // 07:59 EDT
  });

  it('follows the CRTC hours in Canada: 9:00–21:30 weekdays, 10:00–18:00 weekends', () => {
    expect(verdict('+14165550100', '2026-07-15T12:30:00Z')).toBe('quiet_hours'); // Wed 08:30 in Toronto
    expect(verdict('+14165550100', '2026-07-15T13:00:00Z')).toBe('ok'); // 09:00
    expect(verdict('+14165550100', '2026-07-16T01:29:00Z')).toBe('ok'); // 21:29
    expect(verdict('+14165550100', '2026-07-16T01:30:00Z')).toBe('quiet_hours'); // 21:30
    expect(verdict('+14165550100', '2026-07-18T13:30:00Z')).toBe('quiet_hours'); // Sat 09:30
    expect(verdict('+14165550100', '2026-07-18T14:30:00Z')).toBe('ok'); // Sat 10:30
    expect(verdict('+14165550100', '2026-07-18T22:00:00Z')).toBe('quiet_hours'); // Sat 18:00
  });
});
