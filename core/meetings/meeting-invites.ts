import { getRecipient } from '../compliance/recipient.ts';
import type { Db } from '../db.ts';
import { getLead } from '../leads.ts';
import { getOrganization } from '../organizations.ts';
import { listDeliveries } from '../outbound.ts';
import type { DeliveryResult, OutboundDraft } from '../outbound-message.ts';
import { describeSlot } from './free-slots.ts';
import { meetingInvite } from './icalendar.ts';
import { getMeeting, type Meeting } from './meetings.ts';
import { getBookableRep } from './rep-availability.ts';

/**
 * The calendar invitations of a meeting, by email through the compliance gate: one to the
 * prospect (transactional: they asked for the meeting) and one to the rep (a rep notification),
 * each with the same `.ics`. What is sent is the meeting as it is now — a REQUEST while booked,
 * a CANCEL once cancelled — keyed by its SEQUENCE, so a late or repeated run sends nothing twice
 * and never an outdated version.
 */
export interface MeetingInviteDeps {
  db: Db;
  /** The compliance gate and delivery ledger: `(draft) => sendOutbound({db, senders}, draft)`. */
  deliver: (draft: OutboundDraft) => Promise<DeliveryResult>;
}

export type InviteRecipient = 'prospect' | 'rep';

export interface MeetingInviteOutcome {
  recipient: InviteRecipient;
  /** `skipped`: not sent, by our choice (`reasons`: `no_email`, `never_invited`). */
  status: DeliveryResult['status'] | 'skipped';
  reasons: string[];
  deliveryId?: string;
}

export interface MeetingInvitesResult {
  meetingId: string;
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  invites: MeetingInviteOutcome[];
}

export const inviteFilename = 'invite.ics';

export const inviteIdempotencyKey = (meeting: Pick<Meeting, 'id' | 'sequence'>, recipient: InviteRecipient) =>
  `meeting-invite:${meeting.id}:${meeting.sequence}:${recipient}`;

/** Both invitations, prospect first. */
export async function sendMeetingInvites(
  deps: MeetingInviteDeps,
  orgId: string,
  meetingId: string,
): Promise<MeetingInvitesResult> {
  const prospect = await sendMeetingInvite(deps, orgId, meetingId, 'prospect');
  const rep = await sendMeetingInvite(deps, orgId, meetingId, 'rep');
  const meeting = await getMeeting(deps.db, orgId, meetingId);
  return {
    meetingId,
    sequence: meeting.sequence,
    method: methodOf(meeting),
    invites: [prospect, rep],
  };
}

/**
 * One recipient's invitation. Throws when the delivery failed in a way a retry may fix (the
 * ledger keeps a retry from sending twice); a refusal by the gate is final and returned.
 */
export async function sendMeetingInvite(
  deps: MeetingInviteDeps,
  orgId: string,
  meetingId: string,
  recipient: InviteRecipient,
): Promise<MeetingInviteOutcome> {
  const { db } = deps;
  const meeting = await getMeeting(db, orgId, meetingId);
  const [rep, lead, contact, organization] = await Promise.all([
    getBookableRep(db, orgId, meeting.repId),
    getLead(db, orgId, meeting.contactId),
    getRecipient(db, orgId, meeting.contactId),
    getOrganization(db, orgId),
  ]);
  const skipped = (reason: string): MeetingInviteOutcome => ({
    recipient,
    status: 'skipped',
    reasons: [reason],
  });
  // No address: the conversation's reply carries the time instead.
  if (recipient === 'prospect' && !contact.email) return skipped('no_email');
  const method = methodOf(meeting);
  // Withdrawing what never arrived (cancelled before the first invitation went) would only confuse.
  if (method === 'CANCEL' && !(await wasInvited(db, meeting, recipient))) return skipped('never_invited');

  const prospectName = [lead.firstName, lead.lastName].filter(Boolean).join(' ') || null;
  const repName = rep.name ?? organization.name;
  const prospectZone = meeting.prospectTimeZone ?? contact.timezone ?? rep.availability?.timeZone ?? 'UTC';
  const repZone = rep.availability?.timeZone ?? prospectZone;
  const minutes = Math.round((meeting.endsAt.getTime() - meeting.startsAt.getTime()) / 60_000);
  const ics = meetingInvite({
    meeting,
    organizer: { name: rep.name, email: rep.email },
    attendees: [...(contact.email ? [{ name: prospectName, email: contact.email }] : []), rep],
    organizationName: organization.name,
    description:
      `${meeting.title}: ${prospectName ?? 'a prospect'}${lead.company ? ` (${lead.company})` : ''} ` +
      `with ${repName} of ${organization.name}, ${minutes} minutes.`,
    method,
    // The time of the change, not of this attempt: a retry builds the very same invitation.
    now: meeting.updatedAt,
  });
  const label = describeSlot(meeting.startsAt, recipient === 'prospect' ? prospectZone : repZone);
  const subjectPrefix =
    method === 'CANCEL' ? 'Cancelled' : meeting.sequence > 0 ? 'Updated invitation' : 'Invitation';
  const base = {
    orgId,
    contactId: meeting.contactId,
    ...(meeting.conversationId ? { conversationId: meeting.conversationId } : {}),
    channel: 'email' as const,
    subject: `${subjectPrefix}: ${meeting.title} — ${label}`,
    idempotencyKey: inviteIdempotencyKey(meeting, recipient),
    attachments: [{ filename: inviteFilename, contentType: `text/calendar; method=${method}`, content: ics }],
  };
  const draft: OutboundDraft =
    recipient === 'prospect'
      ? {
          ...base,
          purpose: 'transactional',
          sender: 'agent',
          body: prospectBody(meeting, { name: lead.firstName, repName, label, minutes, organization }),
        }
      : {
          ...base,
          purpose: 'rep_notification',
          sender: 'system',
          to: rep.email,
          body: repBody(meeting, {
            prospectName,
            company: lead.company,
            email: contact.email,
            label,
            minutes,
          }),
        };
  const result = await deps.deliver(draft);
  if (result.status === 'failed') {
    throw new Error(`the meeting invitation to the ${recipient} failed: ${result.reasons.join(', ')}`);
  }
  return {
    recipient,
    status: result.status,
    reasons: result.reasons,
    ...(result.deliveryId ? { deliveryId: result.deliveryId } : {}),
  };
}

const methodOf = (meeting: Meeting) => (meeting.status === 'cancelled' ? 'CANCEL' : 'REQUEST');

/** Whether an invitation for an earlier SEQUENCE of the meeting reached (or may have reached) them. */
async function wasInvited(db: Db, meeting: Meeting, recipient: InviteRecipient): Promise<boolean> {
  const deliveries = await listDeliveries(db, meeting.orgId, { contactId: meeting.contactId, limit: 1000 });
  const prefix = `meeting-invite:${meeting.id}:`;
  return deliveries.some(
    (delivery) =>
      delivery.idempotencyKey.startsWith(prefix) &&
      delivery.idempotencyKey.endsWith(`:${recipient}`) &&
      ['sent', 'recorded', 'in_doubt'].includes(delivery.status),
  );
}

function prospectBody(
  meeting: Meeting,
  details: {
    name: string | null;
    repName: string;
    label: string;
    minutes: number;
    organization: { name: string };
  },
): string {
  const greeting = `Hi ${details.name ?? 'there'},`;
  const what =
    meeting.status === 'cancelled'
      ? `your ${meeting.title} on ${details.label} is cancelled.${meeting.cancelReason ? ` (${meeting.cancelReason})` : ''} ` +
        'The attached update removes it from your calendar. Reply any time to find a new time.'
      : `your ${meeting.title} with ${details.repName} ${meeting.sequence > 0 ? 'has moved to' : 'is booked for'} ` +
        `${details.label}, ${details.minutes} minutes. The calendar invitation is attached. ` +
        'Need another time? Just reply and we will find one.';
  return `${greeting}\n\n${what.charAt(0).toUpperCase()}${what.slice(1)}\n\n${details.organization.name}`;
}

function repBody(
  meeting: Meeting,
  details: {
    prospectName: string | null;
    company: string | null;
    email: string | null;
    label: string;
    minutes: number;
  },
): string {
  const who = [details.prospectName ?? 'A prospect', details.company ? `(${details.company})` : null]
    .filter(Boolean)
    .join(' ');
  const contact = details.email
    ? `\nEmail: ${details.email}`
    : '\nNo email on file: the conversation carries the time.';
  if (meeting.status === 'cancelled') {
    return `${meeting.title} with ${who} on ${details.label} is cancelled.${meeting.cancelReason ? `\nReason: ${meeting.cancelReason}` : ''}`;
  }
  const change = meeting.sequence > 0 ? 'moved to' : 'booked for';
  return `${meeting.title} with ${who} ${change} ${details.label}, ${details.minutes} minutes.${contact}\nThe calendar invitation is attached.`;
}
