import type { Db } from './db.ts';
import { notFound } from './errors.ts';

/**
 * Conversations and messages as callers read them. Everything that writes them — inbound
 * messages, agent turns, takeovers — is in core/conversations/conversation-service.ts, the only
 * writer of both tables.
 */

export interface ConversationView {
  id: string;
  contactId: string;
  channel: string;
  mode: 'ai' | 'human' | 'closed';
  status: 'open' | 'closed';
  assignedRepId: string | null;
  createdAt: string;
  updatedAt: string;
  lastMessageAt: string | null;
  /** Set while the prospect waits for a person (see `HandoffView`); null otherwise. */
  handoff: HandoffView | null;
}

/**
 * `waiting_for_rep`: the prospect asked for a person, and it lasts until a rep takes over, hands
 * back or the conversation closes. `noRepAvailableAt`: nobody came in time (or it was outside
 * working hours) and the agent told the prospect so; the conversation still waits for a rep.
 */
export interface HandoffView {
  status: 'waiting_for_rep';
  since: string;
  reason: string | null;
  /** The rep who was notified. */
  repId: string | null;
  noRepAvailableAt: string | null;
}

export interface MessageView {
  id: string;
  /** Position in the conversation: later messages have larger values (use it to catch up). */
  seq: number;
  conversationId: string;
  direction: 'inbound' | 'outbound';
  channel: string;
  sender: 'prospect' | 'agent' | 'rep' | 'system';
  authorId: string | null;
  body: string;
  status: string;
  clientId: string | null;
  /** Delivery details of an outbound message, the message an agent reply answers. */
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface ConversationRow {
  id: string;
  org_id: string;
  contact_id: string;
  channel: string;
  mode: ConversationView['mode'];
  status: ConversationView['status'];
  assigned_rep_id: string | null;
  visitor_id: string | null;
  subject: string | null;
  reply_token: string;
  agent_state: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  last_message_at: Date | null;
  waiting_for_rep_since: Date | null;
}

export interface MessageRow {
  id: string;
  seq: number;
  org_id: string;
  contact_id: string;
  conversation_id: string;
  direction: MessageView['direction'];
  channel: string;
  sender: MessageView['sender'];
  author_id: string | null;
  body: string;
  status: string;
  client_id: string | null;
  provider_message_id: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

export function toConversationView(row: ConversationRow): ConversationView {
  return {
    id: row.id,
    contactId: row.contact_id,
    channel: row.channel,
    mode: row.mode,
    status: row.status,
    assignedRepId: row.assigned_rep_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    lastMessageAt: row.last_message_at?.toISOString() ?? null,
    handoff: handoffOf(row),
  };
}

function handoffOf(row: ConversationRow): HandoffView | null {
  if (!row.waiting_for_rep_since || row.status !== 'open') return null;
  const state = (row.agent_state ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof state[key] === 'string' ? (state[key] as string) : null);
  return {
    status: 'waiting_for_rep',
    since: row.waiting_for_rep_since.toISOString(),
    reason: text('handoffReason'),
    repId: text('handoffRepId'),
    noRepAvailableAt: text('handoffUnansweredAt'),
  };
}

export function toMessageView(row: MessageRow): MessageView {
  return {
    id: row.id,
    seq: row.seq,
    conversationId: row.conversation_id,
    direction: row.direction,
    channel: row.channel,
    sender: row.sender,
    authorId: row.author_id,
    body: row.body,
    status: row.status,
    clientId: row.client_id,
    metadata: row.metadata ?? {},
    createdAt: row.created_at.toISOString(),
  };
}

export async function getConversation(
  db: Db,
  orgId: string,
  conversationId: string,
): Promise<ConversationView> {
  const rows = await db.query<ConversationRow>('select * from conversations where org_id = $1 and id = $2', [
    orgId,
    conversationId,
  ]);
  if (!rows[0]) throw notFound('conversation');
  return toConversationView(rows[0]);
}

export async function listConversations(
  db: Db,
  orgId: string,
  filter: { contactId?: string; limit?: number },
): Promise<ConversationView[]> {
  const rows = await db.query<ConversationRow>(
    `select * from conversations where org_id = $1 and ($2::uuid is null or contact_id = $2)
     order by coalesce(last_message_at, created_at) desc limit $3`,
    [orgId, filter.contactId ?? null, filter.limit ?? 100],
  );
  return rows.map(toConversationView);
}

/** The messages of one conversation in the order they were stored (turn order). */
export async function listMessages(
  db: Db,
  orgId: string,
  conversationId: string,
  options: { afterSeq?: number } = {},
): Promise<MessageView[]> {
  const conversation = await db.query('select 1 from conversations where org_id = $1 and id = $2', [
    orgId,
    conversationId,
  ]);
  if (!conversation[0]) throw notFound('conversation');
  const rows = await db.query<MessageRow>(
    'select * from messages where org_id = $1 and conversation_id = $2 and seq > $3 order by seq',
    [orgId, conversationId, options.afterSeq ?? 0],
  );
  return rows.map(toMessageView);
}
