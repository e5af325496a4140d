import { z } from 'zod';
import { type AuditView, listAudit } from './audit.ts';
import {
  type ConversationView,
  getConversation,
  listConversations,
  listMessages,
  type MessageView,
} from './conversations.ts';
import type { Db } from './db.ts';
import { notFound } from './errors.ts';
import { getLead, type Lead } from './leads.ts';
import { getOrganization } from './organizations.ts';
import type { Rep } from './reps.ts';

/**
 * What a rep sees in the console: the organization's conversations — or, when the organization
 * says so, only those assigned to them — and the lead behind each one.
 */
export const consoleSettingsSchema = z.object({
  /** `all`: every rep sees every conversation; `assigned`: reps see theirs (admins see all). */
  repVisibility: z.enum(['all', 'assigned']).default('all'),
});

async function visibility(db: Db, rep: Rep): Promise<'all' | 'assigned'> {
  if (rep.role === 'admin') return 'all';
  const org = await getOrganization(db, rep.orgId);
  return consoleSettingsSchema.parse((org.settings as { console?: unknown }).console ?? {}).repVisibility;
}

export interface InboxItem extends ConversationView {
  contactName: string | null;
  contactEmail: string | null;
  leadScore: number | null;
  lastMessage: string | null;
  /** The lead was routed to this rep. */
  assignedToMe: boolean;
}

export async function repInbox(db: Db, rep: Rep, filter: { mine?: boolean } = {}): Promise<InboxItem[]> {
  const onlyMine = filter.mine || (await visibility(db, rep)) === 'assigned';
  const rows = await db.query<{
    id: string;
    contact_name: string | null;
    contact_email: string | null;
    lead_score: number | null;
    last_message: string | null;
    routed_rep: string | null;
  }>(
    `select c.id, nullif(trim(coalesce(k.first_name, '') || ' ' || coalesce(k.last_name, '')), '') as contact_name,
       k.email as contact_email, k.lead_score, k.routing ->> 'repId' as routed_rep,
       (select body from messages m where m.org_id = c.org_id and m.conversation_id = c.id order by seq desc limit 1) as last_message
     from conversations c join contacts k on k.id = c.contact_id and k.org_id = c.org_id
     where c.org_id = $1 and ($2::uuid is null or c.assigned_rep_id = $2 or k.routing ->> 'repId' = $2::text)
     order by coalesce(c.last_message_at, c.created_at) desc limit 200`,
    [rep.orgId, onlyMine ? rep.id : null],
  );
  const views = new Map(
    (await listConversations(db, rep.orgId, { limit: 500 })).map((view) => [view.id, view]),
  );
  return rows.flatMap((row) => {
    const view = views.get(row.id);
    if (!view) return [];
    return [
      {
        ...view,
        contactName: row.contact_name,
        contactEmail: row.contact_email,
        leadScore: row.lead_score,
        lastMessage: row.last_message,
        assignedToMe: view.assignedRepId === rep.id || row.routed_rep === rep.id,
      },
    ];
  });
}

/** Whether the rep may open this conversation; hidden ones are "not found", like another org's. */
export async function assertRepMaySee(db: Db, rep: Rep, conversationId: string): Promise<void> {
  const rows = await db.query<{ assigned_rep_id: string | null; routed_rep: string | null }>(
    `select c.assigned_rep_id, k.routing ->> 'repId' as routed_rep
     from conversations c join contacts k on k.id = c.contact_id and k.org_id = c.org_id
     where c.org_id = $1 and c.id = $2`,
    [rep.orgId, conversationId],
  );
  const row = rows[0];
  if (!row) throw notFound('conversation');
  if ((await visibility(db, rep)) === 'all') return;
  if (row.assigned_rep_id !== rep.id && row.routed_rep !== rep.id) throw notFound('conversation');
}

export interface LeadPanel {
  conversation: ConversationView;
  messages: MessageView[];
  lead: Lead;
  audit: AuditView[];
}

/** A conversation with its lead: score breakdown, BANT+, outcome, routing reasons, audit trail. */
export async function leadPanel(db: Db, rep: Rep, conversationId: string): Promise<LeadPanel> {
  await assertRepMaySee(db, rep, conversationId);
  const conversation = await getConversation(db, rep.orgId, conversationId);
  const [messages, lead, audit] = await Promise.all([
    listMessages(db, rep.orgId, conversationId),
    getLead(db, rep.orgId, conversation.contactId),
    listAudit(db, rep.orgId, { contactId: conversation.contactId, limit: 200 }),
  ]);
  return { conversation, messages, lead, audit };
}
