import type { Meeting } from './meetings.ts';

/**
 * A meeting as an iCalendar (RFC 5545) object with an iTIP method (RFC 5546): `REQUEST` invites
 * or, with a higher SEQUENCE, moves it; `CANCEL` withdraws it. Calendar clients match updates to
 * the event by UID and take the one with the highest SEQUENCE. Times are written in UTC, so no
 * VTIMEZONE is needed; each attendee's calendar shows them in its own zone.
 */
export interface InvitePerson {
  name: string | null;
  email: string;
}

export function meetingInvite(input: {
  meeting: Meeting;
  organizer: InvitePerson;
  attendees: InvitePerson[];
  organizationName: string;
  description?: string;
  method: 'REQUEST' | 'CANCEL';
  now: Date;
}): string {
  const { meeting, method } = input;
  const cancelled = method === 'CANCEL';
  const description =
    input.description ?? `${meeting.title} with ${input.organizer.name ?? input.organizationName}`;
  const lines = [
    'BEGIN:VCALENDAR',
    'PRODID:-//QuotaHit//Meetings//EN',
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    `METHOD:${method}`,
    'BEGIN:VEVENT',
    `UID:${text(meeting.icalUid)}`,
    `SEQUENCE:${meeting.sequence}`,
    `DTSTAMP:${utc(input.now)}`,
    `DTSTART:${utc(meeting.startsAt)}`,
    `DTEND:${utc(meeting.endsAt)}`,
    `SUMMARY:${text(meeting.title)}`,
    `DESCRIPTION:${text(description)}`,
    `ORGANIZER${cn(input.organizer)}:${mailto(input.organizer.email)}`,
    ...input.attendees.map(
      (attendee) =>
        `ATTENDEE${cn(attendee)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:${mailto(attendee.email)}`,
    ),
    `STATUS:${cancelled ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:OPAQUE',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

/** `20261208T090000Z`: a UTC DATE-TIME. */
function utc(instant: Date): string {
  return `${instant.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

/** Control characters other than line breaks have no place in a property value. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const controlCharacters = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped. */
function text(value: string): string {
  return value
    .replace(controlCharacters, '')
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** `;CN="Dana Rivera"`: quoted, since a name may hold `:`, `;` or `,`; a quote cannot appear in it. */
function cn(person: InvitePerson): string {
  const name = person.name
    ?.replace(controlCharacters, '')
    .replace(/[\r\n"]/g, ' ')
    .trim();
  return name ? `;CN="${name}"` : '';
}

function mailto(email: string): string {
  return `mailto:${email.replace(controlCharacters, '').replace(/\s/g, '')}`;
}

/**
 * Lines longer than 75 octets are folded (RFC 5545 3.1): CRLF and one space before each
 * continuation, never inside a UTF-8 sequence — nor, for clients that unfold carelessly, inside
 * an escape such as `\,`.
 */
function fold(line: string): string {
  const chunks: string[] = [];
  let chunk = '';
  let octets = 0;
  for (const [character] of line.matchAll(/\\.|[\s\S]/gu)) {
    const size = Buffer.byteLength(character, 'utf8');
    // The first line holds 75 octets; each continuation holds 74 after its leading space.
    if (octets + size > (chunks.length === 0 ? 75 : 74)) {
      chunks.push(chunk);
      chunk = '';
      octets = 0;
    }
    chunk += character;
    octets += size;
  }
  chunks.push(chunk);
  return chunks.join('\r\n ');
}
