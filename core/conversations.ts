import type { Db } from './db.ts';
import { notFound } from './errors.ts';

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
}

export interface MessageView {
  id: string;
  conversationId: string;
  direction: 'inbound' | 'outbound';
  channel: string;
  sender: 'prospect' | 'agent' | 'rep' | 'system';
  authorId: string | null;
  body: string;
  status: string;
  clientId: string | null;
  createdAt: string;
}

interface ConversationRow {
  id: string;
  contact_id: string;
  channel: string;
  mode: ConversationView['mode'];
  status: ConversationView['status'];
  assigned_rep_id: string | null;
  created_at: Date;
  updated_at: Date;
  last_message_at: Date | null;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  direction: MessageView['direction'];
  channel: string;
  sender: MessageView['sender'];
  author_id: string | null;
  body: string;
  status: string;
  client_id: string | null;
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
  };
}

export function toMessageView(row: MessageRow): MessageView {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    direction: row.direction,
    channel: row.channel,
    sender: row.sender,
    authorId: row.author_id,
    body: row.body,
    status: row.status,
    clientId: row.client_id,
    createdAt: row.created_at.toISOString(),
  };
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
