import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { ClosingState } from '../closing/closing-state.ts';
import { type ConversationRow, type MessageRow, type MessageView, toMessageView } from '../conversations.ts';
import type { Db } from '../db.ts';
import { DomainError, notFound } from '../errors.ts';
import type { Channel, DeliveryResult, OutboundPurpose } from '../outbound-message.ts';
import type { Outcome } from '../qualification/bant-state.ts';
import type { ConversationServiceDeps } from './conversation-deps.ts';

/**
 * The conversation service's writes to its own tables, shared by its parts: outbound messages
 * and their delivery, turn bookkeeping, closing, and the live events that go with them.
 */
export const agentActor: Actor = { type: 'agent', id: 'qualifier' };
export const prospectActor = (contactId: string): Actor => ({ type: 'prospect', id: contactId });

/** Facts about one conversation kept beside it (`conversations.agent_state`). */
export interface AgentState {
  origin?: 'inbound' | 'qualification_start';
  /** The AI disclosure has been said (it opens the first outbound message). */
  disclosed?: boolean;
  agentTurns?: number;
  /** `lead.qualified` was emitted for this conversation with this outcome. */
  outcome?: Outcome;
  handoffRequestedAt?: string;
  handoffReason?: string;
  /** The rep told about the request, and which request (its `waiting_for_rep_since`) that was. */
  handoffRepId?: string;
  handoffNotifiedFor?: string;
  /** How long that request waits for a take-over (null: not at all), fixed when the rep is told. */
  handoffWaitMinutes?: number | null;
  /** The agent told the prospect that nobody is available right now. */
  handoffUnansweredAt?: string;
  /** The organization's rules handed this conversation over once; they do not again. */
  ruleHandoff?: boolean;
  closedReason?: string;
  /** Who answers while the mode is `ai`: the qualifier (by default) or, once routed to mode A, the closer. */
  agent?: 'qualifier' | 'closer';
  closing?: ClosingState;
}

/** What a request for a person leaves in the agent state; a take-over or hand-back clears it. */
export const handoffStateKeys = [
  'handoffRequestedAt',
  'handoffReason',
  'handoffRepId',
  'handoffNotifiedFor',
  'handoffWaitMinutes',
  'handoffUnansweredAt',
] as const satisfies readonly (keyof AgentState)[];

export const agentStateOf = (row: ConversationRow): AgentState => (row.agent_state ?? {}) as AgentState;

export interface OutboundInput {
  sender: 'agent' | 'rep' | 'system';
  authorId?: string;
  purpose: OutboundPurpose;
  body: string;
  idempotencyKey: string;
  inReplyTo?: string;
  subject?: string;
  metadata?: Record<string, unknown>;
  /** Merged into the conversation's agent state in the same statement. */
  statePatch?: AgentState;
}

export async function insertOutbound(
  tx: Db,
  conversation: ConversationRow,
  input: OutboundInput,
): Promise<MessageRow> {
  const subject =
    input.subject ??
    (conversation.subject ? `Re: ${conversation.subject.replace(/^re:\s*/i, '')}` : undefined);
  const metadata = {
    ...input.metadata,
    purpose: input.purpose,
    idempotencyKey: input.idempotencyKey,
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    ...(subject ? { subject } : {}),
  };
  const rows = await tx.query<MessageRow>(
    `insert into messages (org_id, conversation_id, contact_id, direction, channel, sender, author_id, body, status, metadata)
     values ($1, $2, $3, 'outbound', $4, $5, $6, $7, 'pending', $8) returning *`,
    [
      conversation.org_id,
      conversation.id,
      conversation.contact_id,
      conversation.channel,
      input.sender,
      input.authorId ?? null,
      input.body,
      JSON.stringify(metadata),
    ],
  );
  await tx.query(
    `update conversations set last_message_at = now(), updated_at = now(), agent_state = agent_state || $2::jsonb
     where id = $1`,
    [conversation.id, JSON.stringify(input.statePatch ?? {})],
  );
  return rows[0]!;
}

/**
 * Hands a stored outbound message to the compliance gate and records what became of it. A
 * refusal is a status, not an error: the message stays in the conversation as `refused`.
 */
export async function deliverStored(
  deps: ConversationServiceDeps,
  message: MessageRow,
): Promise<MessageView> {
  const metadata = message.metadata as {
    purpose: OutboundPurpose;
    idempotencyKey: string;
    inReplyTo?: string;
    subject?: string;
    opensWithDisclosure?: boolean;
  };
  const thread = message.channel === 'email' ? await emailThread(deps.db, message, metadata.inReplyTo) : {};
  let result: DeliveryResult;
  try {
    result = await deps.deliver({
      orgId: message.org_id,
      contactId: message.contact_id,
      conversationId: message.conversation_id,
      channel: message.channel as Channel,
      purpose: metadata.purpose,
      sender: message.sender === 'prospect' ? 'system' : message.sender,
      ...(message.author_id ? { authorId: message.author_id } : {}),
      ...(metadata.subject ? { subject: metadata.subject } : {}),
      body: message.body,
      idempotencyKey: metadata.idempotencyKey,
      ...thread,
    });
  } catch (error) {
    deps.log.error({ err: error, messageId: message.id }, 'delivery failed');
    result = { status: 'failed', reasons: [error instanceof DomainError ? error.message : 'delivery_error'] };
  }
  // Another attempt is sending it right now (a sweep met a turn still delivering): that attempt
  // records the outcome; the message stays pending for it, or for the next sweep.
  if (result.status === 'failed' && result.reasons.includes('delivery_in_progress')) {
    return toMessageView(message);
  }
  const delivery = {
    status: result.status,
    reasons: result.reasons,
    ...(result.deliveryId ? { deliveryId: result.deliveryId } : {}),
    ...(result.warnings?.length ? { warnings: result.warnings } : {}),
  };
  const rows = await deps.db.query<MessageRow>(
    `update messages set status = $2, provider_message_id = coalesce(provider_message_id, $3),
       metadata = metadata || $4::jsonb, updated_at = now()
     where id = $1 returning *`,
    [message.id, result.status, result.providerMessageId ?? null, JSON.stringify({ delivery })],
  );
  // The prospect never saw a refused opening: the next reply says the disclosure again.
  if (metadata.opensWithDisclosure && (result.status === 'refused' || result.status === 'failed')) {
    await deps.db.query(
      `update conversations set agent_state = agent_state || '{"disclosed": false}'::jsonb where id = $1`,
      [message.conversation_id],
    );
  }
  const view = toMessageView(rows[0]!);
  deps.feed.publish({
    type: 'message',
    orgId: message.org_id,
    conversationId: message.conversation_id,
    contactId: message.contact_id,
    message: view,
  });
  return view;
}

export async function markProcessed(
  db: Db,
  inbound: MessageRow,
  details: Record<string, unknown>,
): Promise<void> {
  await db.query(
    `update messages set status = 'processed', metadata = metadata || $2::jsonb, updated_at = now()
     where id = $1 and status = 'received'`,
    [inbound.id, JSON.stringify(Object.keys(details).length > 0 ? { turn: details } : {})],
  );
}

export async function patchAgentState(
  tx: Db,
  conversation: ConversationRow,
  patch: AgentState,
): Promise<void> {
  await tx.query(
    'update conversations set agent_state = agent_state || $2::jsonb, updated_at = now() where id = $1',
    [conversation.id, JSON.stringify(patch)],
  );
}

export async function closeWithin(
  tx: Db,
  conversation: ConversationRow,
  reason: string,
  actor: Actor,
): Promise<void> {
  await tx.query(
    `update conversations set mode = 'closed', status = 'closed', agent_state = agent_state || $2::jsonb,
       waiting_for_rep_since = null, updated_at = now() where id = $1`,
    [conversation.id, JSON.stringify({ closedReason: reason } satisfies AgentState)],
  );
  await recordAudit(tx, {
    orgId: conversation.org_id,
    actor,
    action: 'conversation.closed',
    entityType: 'conversation',
    entityId: conversation.id,
    contactId: conversation.contact_id,
    details: { reason },
  });
}

export function publishMode(
  deps: ConversationServiceDeps,
  conversation: ConversationRow,
  mode: 'ai' | 'human' | 'closed',
  assignedRepId: string | null,
): void {
  deps.feed.publish({
    type: 'mode',
    orgId: conversation.org_id,
    conversationId: conversation.id,
    mode,
    assignedRepId,
  });
}

export async function loadConversation(
  db: Db,
  orgId: string,
  conversationId: string,
): Promise<ConversationRow> {
  const rows = await db.query<ConversationRow>('select * from conversations where org_id = $1 and id = $2', [
    orgId,
    conversationId,
  ]);
  if (!rows[0]) throw notFound('conversation');
  return rows[0];
}

export async function findReply(
  db: Db,
  orgId: string,
  conversationId: string,
  messageId: string,
): Promise<MessageRow | null> {
  const rows = await db.query<MessageRow>(
    `select * from messages where org_id = $1 and conversation_id = $2 and direction = 'outbound'
       and metadata ->> 'inReplyTo' = $3 order by seq limit 1`,
    [orgId, conversationId, messageId],
  );
  return rows[0] ?? null;
}

/** A Message-ID as mail systems write it; anything else from a prospect's email is not echoed in headers. */
const messageIdPattern = /^<[^<>\s]{1,900}>$/;

/**
 * An email names its conversation's reply address, so the prospect's answer threads back to it;
 * an answer to their email also names that email (`In-Reply-To`, `References`), so their mail
 * client shows it in the same thread.
 */
async function emailThread(
  db: Db,
  message: MessageRow,
  inReplyTo: string | undefined,
): Promise<{ replyToken?: string; headers?: Record<string, string> }> {
  const rows = await db.query<{ reply_token: string; answered_email_id: string | null }>(
    `select c.reply_token, m.metadata ->> 'emailMessageId' as answered_email_id
     from conversations c
     left join messages m on m.org_id = c.org_id and m.conversation_id = c.id and m.id = $3::uuid
     where c.org_id = $1 and c.id = $2`,
    [message.org_id, message.conversation_id, inReplyTo ?? null],
  );
  const row = rows[0];
  if (!row) return {};
  const answered = row.answered_email_id;
  return {
    replyToken: row.reply_token,
    ...(answered && messageIdPattern.test(answered)
      ? { headers: { 'In-Reply-To': answered, References: answered } }
      : {}),
  };
}
