import { z } from 'zod';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import { recordConsent } from '../compliance/consent.ts';
import { applyContactFacts, type ContactFactsOrigin } from '../contact-facts.ts';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';
import { upsertLead } from '../leads.ts';
import { enforceRateLimit, perMinute, type RateLimitSettings } from '../rate-limits.ts';
import { storableText } from '../storable-text.ts';

/**
 * The widget's pre-chat form: a visitor says who they are (and maybe consents to be contacted).
 * The visitor's chat then belongs to that contact — the same contact their email or phone
 * already names, so a prospect who chatted and later texts stays one lead.
 */
export const visitorDetailsSchema = z.strictObject({
  name: storableText().trim().max(200).optional(),
  email: z.email('email must be an email address').trim().toLowerCase().optional(),
  phone: storableText().trim().max(40).optional(),
  consent: z.boolean(),
  /** The exact consent wording shown beside the checkbox. */
  wording: storableText().trim().min(1).max(5000),
  pageUrl: z.url().max(2000).optional(),
});
export type VisitorDetails = z.input<typeof visitorDetailsSchema>;

/**
 * Who is asking, as the server knows it (the widget key's organization, the socket's visitor and
 * client): never taken from what the visitor sends, so a form cannot name another organization.
 */
export interface VisitorIdentity {
  orgId: string;
  visitorId: string;
  ip?: string;
  userAgent?: string;
}

export async function identifyVisitor(
  db: Db,
  identity: VisitorIdentity,
  input: VisitorDetails,
): Promise<{ contactId: string }> {
  const parsed = visitorDetailsSchema.safeParse(input);
  if (!parsed.success) throw new DomainError('invalid', z.prettifyError(parsed.error));
  const details = { ...parsed.data, ...identity };
  if (!details.email && !details.phone)
    throw new DomainError('invalid', 'please give an email address or a phone number');
  const [firstName, ...rest] = (details.name ?? '').split(/\s+/).filter(Boolean);
  const actor: Actor = { type: 'prospect' };
  return db.transaction(async (tx) => {
    const { lead } = await upsertLead(
      tx,
      details.orgId,
      {
        email: details.email,
        phone: details.phone,
        firstName,
        lastName: rest.join(' ') || undefined,
        source: 'web_prechat',
      },
      actor,
    );
    // The visitor's chats so far (an anonymous contact's) move to the identified contact.
    const moved = await tx.query<{ id: string }>(
      `update conversations set contact_id = $3, updated_at = now()
       where org_id = $1 and visitor_id = $2 and contact_id <> $3 returning id`,
      [details.orgId, details.visitorId, lead.id],
    );
    if (moved.length) {
      await tx.query(
        'update messages set contact_id = $2 where org_id = $1 and conversation_id = any($3::uuid[])',
        [details.orgId, lead.id, moved.map((row) => row.id)],
      );
    } else {
      const open = await tx.query(
        `select 1 from conversations where org_id = $1 and visitor_id = $2 and status = 'open'`,
        [details.orgId, details.visitorId],
      );
      if (!open[0]) {
        await tx.query(
          `insert into conversations (org_id, contact_id, channel, visitor_id, agent_state)
           values ($1, $2, 'web', $3, '{"origin": "inbound"}'::jsonb)`,
          [details.orgId, lead.id, details.visitorId],
        );
      }
    }
    if (details.consent) {
      const evidence = {
        wording: details.wording,
        pageUrl: details.pageUrl,
        userAgent: details.userAgent,
        ...(z.union([z.ipv4(), z.ipv6()]).safeParse(details.ip).success ? { ip: details.ip } : {}),
      };
      if (details.email) {
        await recordConsent(
          tx,
          details.orgId,
          { contactId: lead.id, type: 'email_marketing', method: 'chat_checkbox', evidence },
          actor,
        );
      }
      if (details.phone) {
        await recordConsent(
          tx,
          details.orgId,
          { contactId: lead.id, type: 'sms_marketing', method: 'chat_checkbox', evidence },
          actor,
        );
      }
    }
    await recordAudit(tx, {
      orgId: details.orgId,
      actor,
      action: 'visitor.identified',
      entityType: 'contact',
      entityId: lead.id,
      contactId: lead.id,
      details: { consent: details.consent, movedConversations: moved.length },
    });
    return { contactId: lead.id };
  });
}

/**
 * A visitor's first chat counts against the organization's and the client address's limits on
 * new chats (per minute, `settings.limits`), so a script inventing visitor ids cannot make
 * unbounded leads and agent turns; a visitor who has chatted before is no new chat.
 */
export async function admitNewChat(
  db: Db,
  visitor: { orgId: string; visitorId: string; address: string; limits: RateLimitSettings },
): Promise<void> {
  const { orgId, visitorId, address, limits } = visitor;
  const known = await db.query('select 1 from conversations where org_id = $1 and visitor_id = $2 limit 1', [
    orgId,
    visitorId,
  ]);
  if (known[0]) return;
  await enforceRateLimit(
    db,
    { key: `chats:org:${orgId}`, orgId },
    perMinute(limits.newChatsPerWidgetKey),
    'too many new chats on this site right now',
  );
  await enforceRateLimit(
    db,
    { key: `chats:address:${orgId}:${address}`, orgId },
    perMinute(limits.newChatsPerAddress),
    'too many new chats from this address',
  );
}

export interface VisitorMessage {
  id: string;
  seq: number;
  conversationId: string;
  sender: 'prospect' | 'agent' | 'rep' | 'system';
  body: string;
  createdAt: string;
  clientId: string | null;
  authorName: string | null;
}

/**
 * Everything a widget visitor's chats hold after `afterSeq`, in order — what a widget fetches
 * after a reconnect — and the mode of their current chat. Refused outbound messages (the
 * compliance gate said no) are not shown.
 *
 * A message's seq is taken when it is inserted, not when its transaction commits: a reply whose
 * turn committed after a later-numbered message may be invisible when the widget saw that one.
 * So the answer also holds what was written in the minute before the widget's last message
 * (far longer than any transaction that writes messages); the widget keeps each message once.
 */
export async function visitorTranscript(
  db: Db,
  orgId: string,
  visitorId: string,
  afterSeq: number,
): Promise<{ messages: VisitorMessage[]; mode: 'ai' | 'human' | 'closed' | null; repName: string | null }> {
  const rows = await db.query<{
    id: string;
    seq: number;
    conversation_id: string;
    sender: VisitorMessage['sender'];
    body: string;
    created_at: Date;
    client_id: string | null;
    author_name: string | null;
  }>(
    `select m.id, m.seq, m.conversation_id, m.sender, m.body, m.created_at, m.client_id, u.name as author_name
     from messages m join conversations c on c.id = m.conversation_id and c.org_id = m.org_id
     left join users u on u.id = m.author_id and u.org_id = m.org_id
     where m.org_id = $1 and c.visitor_id = $2 and m.status not in ('refused', 'failed')
       and (m.seq > $3 or m.created_at > (
         select seen.created_at - interval '1 minute' from messages seen
         join conversations sc on sc.id = seen.conversation_id and sc.org_id = seen.org_id
         where seen.org_id = $1 and sc.visitor_id = $2 and seen.seq = $3))
     order by m.seq limit 1000`,
    [orgId, visitorId, afterSeq],
  );
  const current = await db.query<{ mode: 'ai' | 'human' | 'closed'; rep_name: string | null }>(
    `select c.mode, u.name as rep_name from conversations c left join users u on u.id = c.assigned_rep_id and u.org_id = c.org_id
     where c.org_id = $1 and c.visitor_id = $2 order by c.created_at desc limit 1`,
    [orgId, visitorId],
  );
  return {
    messages: rows.map((row) => ({
      id: row.id,
      seq: row.seq,
      conversationId: row.conversation_id,
      sender: row.sender,
      body: row.body,
      createdAt: row.created_at.toISOString(),
      clientId: row.client_id,
      authorName: row.author_name,
    })),
    mode: current[0]?.mode ?? null,
    repName: current[0]?.rep_name ?? null,
  };
}

/** The visitor a web conversation belongs to (the widget room its live events go to). */
export async function conversationVisitor(
  db: Db,
  orgId: string,
  conversationId: string,
): Promise<string | null> {
  const rows = await db.query<{ visitor_id: string | null }>(
    `select visitor_id from conversations where org_id = $1 and id = $2 and channel = 'web'`,
    [orgId, conversationId],
  );
  return rows[0]?.visitor_id ?? null;
}

/** A rep's display name, for "Dana joined the chat". */
export async function repDisplayName(db: Db, orgId: string, repId: string | null): Promise<string | null> {
  if (!repId) return null;
  const rows = await db.query<{ name: string | null; email: string }>(
    'select name, email from users where org_id = $1 and id = $2',
    [orgId, repId],
  );
  return rows[0] ? (rows[0].name ?? rows[0].email) : null;
}

const emailInText = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;

/** The text may name an email address the contact could learn (`learnContactEmail`). */
export const mentionsEmail = (text: string): boolean => emailInText.test(text);

/**
 * A prospect who types their email address in a chat has said who they are: the contact
 * learns it as it arrives, by the rules of every stated fact (`applyContactFacts`): unless it has
 * one already or the address belongs to another contact of the organization (linking two
 * contacts is a merge, which is not done silently here; the address is kept as a conflict).
 */
export async function learnContactEmail(
  tx: Db,
  orgId: string,
  contactId: string,
  text: string,
  origin: ContactFactsOrigin = {},
): Promise<boolean> {
  const email = emailInText.exec(text)?.[0]?.toLowerCase();
  if (!email) return false;
  const { applied, audits } = await applyContactFacts(tx, {
    orgId,
    contactId,
    facts: { email },
    origin,
    actor: { type: 'prospect', id: contactId },
    now: new Date(),
  });
  for (const entry of audits) await recordAudit(tx, entry);
  return applied.includes('email');
}
