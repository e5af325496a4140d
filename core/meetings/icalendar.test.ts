import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { meetingInvite } from './icalendar.ts';
import type { Meeting } from './meetings.ts';

const meeting: Meeting = {
  id: '0f9c8a52-3a1e-4d7b-9a57-0d2f6f8f3c11',
  orgId: '5b2a7c1e-8f4d-4e3a-b6c9-1d2e3f4a5b6c',
  contactId: '7c3d9e2f-1a4b-4c5d-8e6f-2a3b4c5d6e7f',
  repId: '9e4f1a3b-2c5d-4e6f-9a7b-3c4d5e6f7a8b',
  dealId: null,
  conversationId: null,
  startsAt: new Date('2026-12-08T09:00:00Z'),
  endsAt: new Date('2026-12-08T09:30:00Z'),
  prospectTimeZone: 'Europe/Berlin',
  title: 'Brightwave demo',
  status: 'booked',
  sequence: 0,
  icalUid: '0f9c8a52-3a1e-4d7b-9a57-0d2f6f8f3c11@quotahit',
  cancelReason: null,
  createdAt: new Date('2026-12-01T12:00:00Z'),
  updatedAt: new Date('2026-12-01T12:00:00Z'),
};

const organizer = { name: 'Dana Rivera', email: 'dana@brightwave.example' };
const attendees = [
  { name: 'Pat Lee, VP; Sales: EMEA', email: 'pat@acme.example' },
  { name: null, email: 'dana@brightwave.example' },
];

function invite(overrides: Partial<Parameters<typeof meetingInvite>[0]> = {}): string {
  return meetingInvite({
    meeting,
    organizer,
    attendees,
    organizationName: 'Brightwave',
    method: 'REQUEST',
    now: new Date('2026-12-01T12:00:00Z'),
    ...overrides,
  });
}

function parse(ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const event = calendar.getFirstSubcomponent('vevent')!;
  return { calendar, event };
}

describe('meetingInvite', () => {
  it('is an iTIP REQUEST a real parser reads back: UID, SEQUENCE, times in UTC, organizer and attendees', () => {
    const { calendar, event } = parse(invite());
    expect(calendar.name).toBe('vcalendar');
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    expect(calendar.getFirstPropertyValue('prodid')).toMatch(/QuotaHit/);
    expect(event.getFirstPropertyValue('uid')).toBe(meeting.icalUid);
    expect(event.getFirstPropertyValue('sequence')).toBe(0);
    expect(event.getFirstPropertyValue('status')).toBe('CONFIRMED');
    expect(event.getFirstPropertyValue('summary')).toBe('Brightwave demo');
    const start = event.getFirstPropertyValue('dtstart') as ICAL.Time;
    expect(start.zone?.tzid).toBe('UTC');
    expect(start.toJSDate().toISOString()).toBe('2026-12-08T09:00:00.000Z');
    expect((event.getFirstPropertyValue('dtend') as ICAL.Time).toJSDate().toISOString()).toBe(
      '2026-12-08T09:30:00.000Z',
    );
    expect((event.getFirstPropertyValue('dtstamp') as ICAL.Time).toJSDate().toISOString()).toBe(
      '2026-12-01T12:00:00.000Z',
    );

    const organizerProperty = event.getFirstProperty('organizer')!;
    expect(organizerProperty.getFirstValue()).toBe('mailto:dana@brightwave.example');
    expect(organizerProperty.getParameter('cn')).toBe('Dana Rivera');
    const people = event.getAllProperties('attendee').map((property) => ({
      address: property.getFirstValue(),
      cn: property.getParameter('cn'),
      role: property.getParameter('role'),
      partstat: property.getParameter('partstat'),
      rsvp: property.getParameter('rsvp'),
    }));
    expect(people).toEqual([
      {
        address: 'mailto:pat@acme.example',
        // Quoted, so its comma, semicolon and colon stay part of the name.
        cn: 'Pat Lee, VP; Sales: EMEA',
        role: 'REQ-PARTICIPANT',
        partstat: 'NEEDS-ACTION',
        rsvp: 'TRUE',
      },
      {
        address: 'mailto:dana@brightwave.example',
        cn: undefined,
        role: 'REQ-PARTICIPANT',
        partstat: 'NEEDS-ACTION',
        rsvp: 'TRUE',
      },
    ]);
  });

  it('ends every line with CRLF and folds long lines at 75 octets, never inside a character', () => {
    const description = `Agenda: forecasting, pipeline hygiene; Q&A \\ next steps.\nBring your CRM admin — ${'ü'.repeat(60)} ${'long text '.repeat(20)}`;
    const ics = invite({ description });
    expect(ics.endsWith('\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = ics.split('\r\n').slice(0, -1);
    for (const line of lines) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    const descriptionLines = lines.slice(lines.findIndex((line) => line.startsWith('DESCRIPTION:')));
    expect(descriptionLines[1]!.startsWith(' ')).toBe(true);
    // The text is escaped on the wire and reads back exactly.
    expect(ics.replace(/\r\n /g, '')).toContain(
      'DESCRIPTION:Agenda: forecasting\\, pipeline hygiene\\; Q&A \\\\ next steps.\\nBring',
    );
    expect(parse(ics).event.getFirstPropertyValue('description')).toBe(description);
  });

  it('withdraws the meeting with METHOD:CANCEL, STATUS:CANCELLED and the raised SEQUENCE', () => {
    const ics = invite({
      meeting: { ...meeting, status: 'cancelled', sequence: 1, cancelReason: 'double booked' },
      method: 'CANCEL',
    });
    const { calendar, event } = parse(ics);
    expect(calendar.getFirstPropertyValue('method')).toBe('CANCEL');
    expect(event.getFirstPropertyValue('uid')).toBe(meeting.icalUid);
    expect(event.getFirstPropertyValue('sequence')).toBe(1);
    expect(event.getFirstPropertyValue('status')).toBe('CANCELLED');
  });

  it('keeps line breaks and control characters out of names and addresses', () => {
    const ics = invite({
      attendees: [{ name: 'Eve\r\nATTENDEE:mailto:evil@example.com "x"', email: 'eve@acme.example\r\nX:1' }],
    });
    const { event } = parse(ics);
    expect(event.getAllProperties('attendee').map((property) => property.getFirstValue())).toEqual([
      'mailto:eve@acme.exampleX:1',
    ]);
    expect(ics.split('\r\n').filter((line) => line.startsWith('ATTENDEE'))).toHaveLength(1);
  });
});
