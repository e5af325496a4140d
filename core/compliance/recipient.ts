import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { DomainError, notFound } from '../errors.ts';
import type { Channel } from '../outbound-message.ts';

/**
 * What the compliance rules need to know about a contact: where it can be reached, where it
 * is (time zone) and whether the organization flagged it Do-Not-Call. The contact row belongs to
 * core/leads; the `timezone` and `do_not_call` columns are compliance facts, written only here.
 */
export interface Recipient {
  contactId: string;
  email: string | null;
  phone: string | null;
  /** IANA time zone when known (set by an operator or enrichment). */
  timezone: string | null;
  doNotCall: boolean;
}

interface RecipientRow {
  id: string;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  do_not_call: boolean;
}

export async function getRecipient(db: Db, orgId: string, contactId: string): Promise<Recipient> {
  const rows = await db.query<RecipientRow>(
    'select id, email, phone, timezone, do_not_call from contacts where org_id = $1 and id = $2',
    [orgId, contactId],
  );
  const row = rows[0];
  if (!row) throw notFound('contact');
  return {
    contactId: row.id,
    email: row.email,
    phone: row.phone,
    timezone: row.timezone,
    doNotCall: row.do_not_call,
  };
}

/** The contact's own address on a channel: email for email, the phone number for the rest. */
export function recipientAddress(recipient: Recipient, channel: Channel): string | null {
  if (channel === 'web') return recipient.contactId;
  if (channel === 'email') return recipient.email;
  return recipient.phone;
}

export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Records where the contact lives, so quiet hours use it instead of the area code. */
export async function setContactTimezone(
  db: Db,
  orgId: string,
  contactId: string,
  timezone: string | null,
  actor: Actor,
): Promise<void> {
  if (timezone !== null && !isValidTimeZone(timezone)) {
    throw new DomainError('invalid', `timezone must be an IANA time zone such as America/Chicago`);
  }
  await db.transaction(async (tx) => {
    const rows = await tx.query(
      'update contacts set timezone = $3, updated_at = now() where org_id = $1 and id = $2 returning id',
      [orgId, contactId, timezone],
    );
    if (!rows[0]) throw notFound('contact');
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'contact.timezone.set',
      entityType: 'contact',
      entityId: contactId,
      contactId,
      details: { timezone },
    });
  });
}
