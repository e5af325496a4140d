import { z } from 'zod';
import { type AuditView, listAudit } from './audit.ts';
import {
  type ConversationRow,
  type ConversationView,
  getConversation,
  listMessages,
  type MessageView,
  toConversationView,
} from './conversations.ts';
import type { Db } from './db.ts';
import { notFound } from './errors.ts';
import { getLead, type Lead } from './leads.ts';
import { getOrganization } from './organizations.ts';
import { type DeliveryView, listDeliveries } from './outbound.ts';
import type { Rep } from './reps.ts';
import { getRepBriefing, type StoredRepBriefing } from './routing/rep-briefing.ts';

/**
 * What a rep sees in the console: the organization's conversations — or, when the organization
 * says so, only those assigned to them — and the lead behind each one.
 */
export const consoleSettingsSchema = z.object({
  /** `all`: every rep sees every conversation; `assigned`: reps see theirs (admins see all). */
  repVisibility: z.enum(['all', 'assigned']).default('all'),
});

/** How much of the organization's inbox its reps see (admins always see everything). */
export async function repVisibility(db: Db, orgId: string): Promise<'all' | 'assigned'> {
  const org = await getOrganization(db, orgId);
  return consoleSettingsSchema.parse((org.settings as { console?: unknown }).console ?? {}).repVisibility;
}

/**
 * Who a conversation belongs to: the rep who took it over, the rep its lead was routed to, and the
 * rep asked to join it when the prospect asked for a person.
 */
export interface ConversationOwners {
  assigned_rep_id: string | null;
  routed_rep: string | null;
  handoff_rep?: string | null;
}

const ownersColumns = `c.assigned_rep_id, k.routing ->> 'repId' as routed_rep,
  case when c.waiting_for_rep_since is not null then c.agent_state ->> 'handoffRepId' end as handoff_rep`;

export const isRepsConversation = (rep: Rep, owners: ConversationOwners) =>
  owners.assigned_rep_id === rep.id || owners.routed_rep === rep.id || owners.handoff_rep === rep.id;

/** The one visibility rule, for the inbox, the API and the live console. */
export function repMaySee(rep: Rep, visibility: 'all' | 'assigned', owners: ConversationOwners): boolean {
  return rep.role === 'admin' || visibility === 'all' || isRepsConversation(rep, owners);
}

export async function conversationOwners(
  db: Db,
  orgId: string,
  conversationId: string,
): Promise<ConversationOwners | null> {
  const rows = await db.query<ConversationOwners>(
    `select ${ownersColumns} from conversations c join contacts k on k.id = c.contact_id and k.org_id = c.org_id
     where c.org_id = $1 and c.id = $2`,
    [orgId, conversationId],
  );
  return rows[0] ?? null;
}

export interface InboxItem extends ConversationView {
  contactName: string | null;
  contactEmail: string | null;
  leadScore: number | null;
  lastMessage: string | null;
  /** The rep took it over, or its lead was routed to them. */
  assignedToMe: boolean;
}

export async function repInbox(db: Db, rep: Rep, filter: { mine?: boolean } = {}): Promise<InboxItem[]> {
  const visibility = await repVisibility(db, rep.orgId);
  const onlyMine = filter.mine || !repMaySee(rep, visibility, { assigned_rep_id: null, routed_rep: null });
  const rows = await db.query<
    ConversationRow &
      ConversationOwners & {
        contact_name: string | null;
        contact_email: string | null;
        lead_score: number | null;
        last_message: string | null;
      }
  >(
    `select c.*, ${ownersColumns},
       nullif(trim(coalesce(k.first_name, '') || ' ' || coalesce(k.last_name, '')), '') as contact_name,
       k.email as contact_email, k.lead_score,
       (select body from messages m where m.org_id = c.org_id and m.conversation_id = c.id order by seq desc limit 1) as last_message
     from conversations c join contacts k on k.id = c.contact_id and k.org_id = c.org_id
     where c.org_id = $1 and ($2::uuid is null or c.assigned_rep_id = $2 or k.routing ->> 'repId' = $2::text
       or (c.waiting_for_rep_since is not null and c.agent_state ->> 'handoffRepId' = $2::text))
     -- Prospects waiting for a person first, longest waiting first; then the latest conversations.
     order by (c.waiting_for_rep_since is not null and c.status = 'open') desc, c.waiting_for_rep_since,
       coalesce(c.last_message_at, c.created_at) desc
     limit 200`,
    [rep.orgId, onlyMine ? rep.id : null],
  );
  return rows.map((row) => ({
    ...toConversationView(row),
    contactName: row.contact_name,
    contactEmail: row.contact_email,
    leadScore: row.lead_score,
    lastMessage: row.last_message,
    assignedToMe: isRepsConversation(rep, row),
  }));
}

/** Whether the rep may open this conversation; hidden ones are "not found", like another org's. */
export async function assertRepMaySee(db: Db, rep: Rep, conversationId: string): Promise<void> {
  const owners = await conversationOwners(db, rep.orgId, conversationId);
  if (!owners || !repMaySee(rep, await repVisibility(db, rep.orgId), owners)) throw notFound('conversation');
}

export interface LeadPanel {
  conversation: ConversationView;
  messages: MessageView[];
  lead: Lead;
  audit: AuditView[];
  /** Everything sent (or recorded, or refused) to this lead on any channel, newest first. */
  deliveries: DeliveryView[];
  /** The lead's current rep briefing, rebuilt whenever its facts change; null if no rep was briefed. */
  briefing: StoredRepBriefing | null;
}

/** A conversation with its lead: score breakdown, BANT+, outcome, routing reasons, audit trail. */
export async function leadPanel(db: Db, rep: Rep, conversationId: string): Promise<LeadPanel> {
  await assertRepMaySee(db, rep, conversationId);
  const conversation = await getConversation(db, rep.orgId, conversationId);
  const [messages, lead, audit, deliveries, briefing] = await Promise.all([
    listMessages(db, rep.orgId, conversationId),
    getLead(db, rep.orgId, conversation.contactId),
    listAudit(db, rep.orgId, { contactId: conversation.contactId, limit: 200 }),
    listDeliveries(db, rep.orgId, { contactId: conversation.contactId, limit: 50 }),
    getRepBriefing(db, rep.orgId, conversation.contactId),
  ]);
  return { conversation, messages, lead, audit, deliveries, briefing };
}
