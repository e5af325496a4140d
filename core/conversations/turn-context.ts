import type { AuditEntry } from '../audit.ts';
import { recordAudit } from '../audit.ts';
import { aiDisclosure } from '../compliance/ai-disclosure.ts';
import type { ConversationRow, MessageRow } from '../conversations.ts';
import type { Db } from '../db.ts';
import { notFound } from '../errors.ts';
import { emitEvent } from '../events.ts';
import type { Organization } from '../organizations.ts';
import type { Channel } from '../outbound-message.ts';
import { type QualificationRecord, readQualification } from '../qualification/bant-state.ts';
import type { KnowledgeDocument } from '../qualification/knowledge-retrieval.ts';
import { type OrganizationRules, readOrganizationRules } from '../qualification/outcome-rules.ts';
import type { ConversationTurn, QualifierTurnResult } from '../qualification/qualifier-model.ts';
import { handoffLine } from '../qualification/qualifier-script.ts';
import type { ConversationServiceDeps } from './conversation-deps.ts';
import {
  type AgentState,
  agentActor,
  agentStateOf,
  handoffStateKeys,
  insertOutbound,
  markProcessed,
  patchAgentState,
} from './conversation-store.ts';
import { noRepAvailableLine, repAvailability } from './handoff-reply.ts';

/**
 * What every agent turn of a conversation shares, whichever agent answers (the qualifier, or the
 * closer once the lead is routed to it): the message and what it is answered with, the reply's
 * storage with the disclosure, handoff requests, the turn's cost record and its audit entries.
 */
export interface ConversationContext {
  conversation: ConversationRow;
  state: AgentState;
  /** `reachable`: the contact has an email address or a phone number to follow up on. */
  contact: {
    id: string;
    first_name: string | null;
    status: string;
    reachable: boolean;
    timezone: string | null;
  };
  organization: Organization;
  knowledge: KnowledgeDocument[];
  rules: OrganizationRules;
  qualification: QualificationRecord;
  disclosure: string;
  /** Written last in the turn's transaction (see `flushAudits`). */
  audits: AuditEntry[];
}

/** The conversation while one prospect message is being answered. */
export interface TurnContext extends ConversationContext {
  inbound: MessageRow;
}

/**
 * The audit chain serializes an organization's writers with a lock held until commit, so a turn
 * writes its entries as the last statements of its transaction: the lock is held for a moment,
 * not for the whole turn, and an organization's conversations do not queue behind each other.
 */
export async function flushAudits(tx: Db, ctx: ConversationContext): Promise<void> {
  for (const entry of ctx.audits.splice(0)) await recordAudit(tx, entry);
}

export async function loadTurnContext(
  deps: ConversationServiceDeps,
  inbound: MessageRow,
): Promise<TurnContext> {
  return { ...(await loadConversationContext(deps, inbound.org_id, inbound.conversation_id)), inbound };
}

export async function loadConversationContext(
  deps: ConversationServiceDeps,
  orgId: string,
  conversationId: string,
): Promise<ConversationContext> {
  const [rows, { organization, knowledge }] = await Promise.all([
    deps.db.query<
      ConversationRow & {
        contact_first_name: string | null;
        contact_status: string;
        contact_qualification: unknown;
        contact_reachable: boolean;
        contact_timezone: string | null;
      }
    >(
      `select c.*, ct.first_name as contact_first_name, ct.status as contact_status,
         ct.qualification as contact_qualification, ct.timezone as contact_timezone,
         (ct.email is not null or ct.phone is not null) as contact_reachable
       from conversations c join contacts ct on ct.org_id = c.org_id and ct.id = c.contact_id
       where c.org_id = $1 and c.id = $2`,
      [orgId, conversationId],
    ),
    deps.organizations.get(orgId),
  ]);
  const row = rows[0];
  if (!row) throw notFound('conversation');
  const {
    contact_first_name,
    contact_status,
    contact_qualification,
    contact_reachable,
    contact_timezone,
    ...conversation
  } = row;
  const rules = readOrganizationRules(organization.settings);
  if (rules.invalid.length > 0) {
    deps.log.warn(
      { orgId: organization.id, invalid: rules.invalid },
      'invalid qualification settings; using defaults',
    );
  }
  return {
    conversation,
    state: agentStateOf(conversation),
    contact: {
      id: conversation.contact_id,
      first_name: contact_first_name,
      status: contact_status,
      reachable: contact_reachable,
      timezone: contact_timezone,
    },
    organization,
    knowledge,
    rules,
    qualification: readQualification(contact_qualification),
    disclosure: aiDisclosure(organization, conversation.channel as Channel),
    audits: [],
  };
}

/**
 * The answer to a request for a person: that one will join only while one can; otherwise,
 * honestly, that nobody is available right now, with a follow-up offered — noted, so the
 * handoff workflow (core/conversations/rep-handoff.ts) does not say it a second time.
 */
export async function handoffReply(
  tx: Db,
  deps: ConversationServiceDeps,
  ctx: ConversationContext,
  already: boolean,
): Promise<string> {
  const { conversation, organization } = ctx;
  const now = deps.now();
  const rows = await tx.query<{ agent_state: AgentState; email: string | null; phone: string | null }>(
    `select c.agent_state, k.email, k.phone from conversations c
     join contacts k on k.org_id = c.org_id and k.id = c.contact_id where c.org_id = $1 and c.id = $2`,
    [conversation.org_id, conversation.id],
  );
  const { agent_state: state, email, phone } = rows[0]!;
  const availability = await repAvailability(tx, organization, now);
  const told = Boolean(state.handoffUnansweredAt);
  if (!told && availability.onDuty) return handoffLine(already, conversation.id);
  if (!told) await patchAgentState(tx, conversation, { handoffUnansweredAt: now.toISOString() });
  return noRepAvailableLine({
    afterHours: availability.afterHours,
    workingHours: organization.settings.workingHours,
    email,
    phone,
  });
}

/**
 * Asks for a person once per request: the conversation becomes `waiting_for_rep` and
 * `conversation.handoff.requested` is emitted, unless a request is already pending (until a rep
 * takes over or hands back). The mode stays `ai` until then. Returns whether one was already
 * pending.
 */
export async function requestHandoff(
  tx: Db,
  ctx: ConversationContext & { inbound?: MessageRow },
  reason: string,
): Promise<boolean> {
  const { conversation, inbound } = ctx;
  const rows = await tx.query<ConversationRow>(
    'select * from conversations where org_id = $1 and id = $2 for update',
    [conversation.org_id, conversation.id],
  );
  const state = agentStateOf(rows[0]!);
  if (state.handoffRequestedAt) return true;
  // Millisecond precision on purpose: the workflow names the request by this instant.
  const now = new Date();
  await tx.query(
    `update conversations set waiting_for_rep_since = $3,
       agent_state = (agent_state - $4::text[]) || $5::jsonb, updated_at = now()
     where org_id = $1 and id = $2`,
    [
      conversation.org_id,
      conversation.id,
      now,
      handoffStateKeys,
      JSON.stringify({ handoffRequestedAt: now.toISOString(), handoffReason: reason } satisfies AgentState),
    ],
  );
  await emitEvent(tx, 'conversation.handoff.requested', {
    orgId: conversation.org_id,
    contactId: conversation.contact_id,
    conversationId: conversation.id,
    reason,
  });
  ctx.audits.push({
    orgId: conversation.org_id,
    actor: agentActor,
    action: 'conversation.handoff.requested',
    entityType: 'conversation',
    entityId: conversation.id,
    contactId: conversation.contact_id,
    details: { reason, ...(inbound ? { messageId: inbound.id } : {}) },
  });
  return false;
}

/**
 * The conversation as the model sees it, ending with the message being answered: earlier
 * prospect messages and every reply so far (a reply to an earlier message may have been stored
 * after this one arrived), never a later prospect message. Without a message (an agent opening
 * the conversation again, as the closer does), the latest messages.
 */
export async function conversationHistory(
  deps: ConversationServiceDeps,
  ctx: ConversationContext & { inbound?: MessageRow },
): Promise<ConversationTurn[]> {
  const { inbound } = ctx;
  const rows = await deps.db.query<Pick<MessageRow, 'direction' | 'body'>>(
    `select direction, body from (
       select direction, body, seq from messages
       where org_id = $1 and conversation_id = $2 and id <> $3 and sender <> 'system'
         and (direction = 'outbound' or seq < $4) and status not in ('refused', 'failed')
       order by seq desc limit $5) recent
     order by seq`,
    [
      ctx.conversation.org_id,
      ctx.conversation.id,
      inbound?.id ?? '00000000-0000-0000-0000-000000000000',
      inbound?.seq ?? Number.MAX_SAFE_INTEGER,
      deps.limits.historyMessages - (inbound ? 1 : 0),
    ],
  );
  const turns: ConversationTurn[] = rows.map((row) => ({
    role: row.direction === 'inbound' ? 'prospect' : 'agent',
    text: row.body,
  }));
  if (inbound) turns.push({ role: 'prospect', text: inbound.body });
  return turns;
}

export async function recordAgentTurn(
  tx: Db,
  ctx: ConversationContext,
  result: QualifierTurnResult,
  agent: 'qualifier' | 'closer' = 'qualifier',
): Promise<void> {
  await tx.query(
    `insert into agent_turns (org_id, conversation_id, agent, model, input_tokens, output_tokens, cost_micro_usd)
     values ($1, $2, $7, $3, $4, $5, $6)`,
    [
      ctx.conversation.org_id,
      ctx.conversation.id,
      result.model,
      result.usage.inputTokens,
      result.usage.outputTokens,
      Math.round(result.costMicroUsd),
      agent,
    ],
  );
}

/**
 * Stores the agent's reply to the turn's message — the last write of the turn — the disclosure
 * opening a conversation's first one.
 */
export async function agentReply(
  tx: Db,
  ctx: TurnContext,
  text: string,
  metadata: Record<string, unknown>,
): Promise<MessageRow> {
  const message = await agentMessage(tx, ctx, text, {
    idempotencyKey: `reply:${ctx.inbound.id}`,
    inReplyTo: ctx.inbound.id,
    metadata,
  });
  await markProcessed(tx, ctx.inbound, {});
  await flushAudits(tx, ctx);
  return message;
}

/** An agent message that answers no prospect message (the closer's opening), stored once per key. */
export async function agentOpening(
  tx: Db,
  ctx: ConversationContext,
  text: string,
  idempotencyKey: string,
  metadata: Record<string, unknown>,
): Promise<MessageRow | null> {
  const existing = await tx.query<{ id: string }>(
    `select id from messages where org_id = $1 and conversation_id = $2 and metadata ->> 'idempotencyKey' = $3`,
    [ctx.conversation.org_id, ctx.conversation.id, idempotencyKey],
  );
  if (existing[0]) return null;
  const message = await agentMessage(tx, ctx, text, { idempotencyKey, metadata });
  await flushAudits(tx, ctx);
  return message;
}

function agentMessage(
  tx: Db,
  ctx: ConversationContext,
  text: string,
  options: { idempotencyKey: string; inReplyTo?: string; metadata: Record<string, unknown> },
): Promise<MessageRow> {
  const { conversation, state } = ctx;
  const opens = !state.disclosed;
  return insertOutbound(tx, conversation, {
    sender: 'agent',
    purpose: 'conversation_reply',
    body: opens ? `${ctx.disclosure}\n\n${text}` : text,
    idempotencyKey: options.idempotencyKey,
    ...(options.inReplyTo ? { inReplyTo: options.inReplyTo } : {}),
    metadata: { ...options.metadata, ...(opens ? { opensWithDisclosure: true } : {}) },
    statePatch: { disclosed: true, agentTurns: (state.agentTurns ?? 0) + 1 },
  });
}
