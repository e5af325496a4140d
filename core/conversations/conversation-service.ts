import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../actor.ts';
import { type AuditEntry, recordAudit } from '../audit.ts';
import { aiDisclosure } from '../compliance/ai-disclosure.ts';
import {
  type ConversationRow,
  type ConversationView,
  type MessageRow,
  type MessageView,
  toConversationView,
  toMessageView,
} from '../conversations.ts';
import type { Db } from '../db.ts';
import { DomainError, notFound } from '../errors.ts';
import { emitEvent } from '../events.ts';
import { upsertLead } from '../leads.ts';
import { getOrganization } from '../organizations.ts';
import type { Channel, DeliveryResult, OutboundPurpose } from '../outbound-message.ts';
import { type BantState, type Outcome, readQualification } from '../qualification/bant-state.ts';
import { openingMessage } from '../qualification/qualifier-script.ts';
import { getRepBriefing, storeRepBriefing } from '../routing/rep-briefing.ts';
import { type ConversationServiceDeps, tooManyMessages } from './conversation-deps.ts';
import {
  type AgentState,
  agentActor,
  closeWithin,
  deliverStored,
  findReply,
  handoffStateKeys,
  insertOutbound,
  loadConversation,
  prospectActor,
  publishMode,
} from './conversation-store.ts';
import { answerPending } from './conversation-turn.ts';
import { type InboundMessage, inboundMessageSchema, type ParsedInboundMessage } from './inbound-message.ts';
import type { StoredInbound } from './open-chat-batch.ts';
import { learnContactEmail } from './visitor-identity.ts';

export {
  type ConversationLimits,
  type ConversationLog,
  type ConversationServiceDeps,
  type ConversationServiceOptions,
  createConversationServiceDeps,
  defaultConversationLimits,
} from './conversation-deps.ts';
export { answerPending } from './conversation-turn.ts';

/**
 * The conversation service: the one writer of conversations and messages. Every channel hands
 * its inbound messages to `receiveInbound`; the workflow starts conversations with
 * `startQualification`; reps take over and hand back. A turn of a conversation is: guardrails
 * (compliance commands, injection, handoff), then the qualifier model with its tools, then one
 * transaction that stores the reply, the BANT+ state and the events, then delivery through the
 * compliance gate (`deliver`) — never a provider directly.
 */

export interface InboundResult {
  conversation: ConversationView;
  contactId: string;
  /** The stored prospect message (the earlier one, for a duplicate). */
  message: MessageView;
  /** The answer to it: null in human mode, after an opt-out without confirmation, or still pending. */
  reply: MessageView | null;
  /** The same provider or client id was stored before: nothing else happened. */
  duplicate: boolean;
  bant: BantState;
  outcome: Outcome | null;
}

/** What a channel needs to acknowledge a prospect message: it is stored, the answer is on its way. */
export interface AcceptedInbound {
  /** The stored prospect message (the earlier one, for a duplicate). */
  message: MessageView;
  conversationId: string;
  contactId: string;
  /** The same provider or client id was stored before: nothing else happened. */
  duplicate: boolean;
}

/**
 * Takes one prospect message from any channel and returns as soon as it is stored — a widget or
 * a webhook acknowledges it then — answering it in the background, in turn order; the reply
 * arrives through the feed. Finds or creates the contact and conversation and stores the message
 * once: a repeated provider or client id returns the stored one and does nothing else.
 */
export async function acceptInbound(
  deps: ConversationServiceDeps,
  input: InboundMessage,
): Promise<AcceptedInbound> {
  const stored = await storeAndAnnounce(deps, input);
  stored.answering?.catch((error) => {
    const context = { conversationId: stored.message.conversation_id };
    // Shutting down, a turn is refused (`TurnsStoppedError`) or cut off as the database closes;
    // the next sweep answers its message.
    if (deps.scheduler.stopped) deps.log.info(context, error.message);
    else deps.log.error({ err: error, ...context }, 'answering a message failed');
  });
  return {
    message: toMessageView(stored.message),
    conversationId: stored.message.conversation_id,
    contactId: stored.message.contact_id,
    duplicate: stored.duplicate,
  };
}

/** `acceptInbound`, then waits for the answer (API callers and tests read the reply). */
export async function receiveInbound(
  deps: ConversationServiceDeps,
  input: InboundMessage,
): Promise<InboundResult> {
  const stored = await storeAndAnnounce(deps, input);
  await stored.answering;
  const { org_id: orgId, conversation_id: conversationId } = stored.message;
  const [rows, reply] = await Promise.all([
    deps.db.query<ConversationRow & { contact_qualification: unknown }>(
      `select c.*, ct.qualification as contact_qualification
       from conversations c join contacts ct on ct.org_id = c.org_id and ct.id = c.contact_id
       where c.org_id = $1 and c.id = $2`,
      [orgId, conversationId],
    ),
    findReply(deps.db, orgId, conversationId, stored.message.id),
  ]);
  const { contact_qualification, ...conversation } = rows[0]!;
  const qualification = readQualification(contact_qualification);
  return {
    conversation: toConversationView(conversation),
    contactId: stored.message.contact_id,
    message: toMessageView(stored.message),
    reply: reply ? toMessageView(reply) : null,
    duplicate: stored.duplicate,
    bant: qualification.bant,
    outcome: qualification.outcome,
  };
}

/** Validates and stores the message, then (unless it is a duplicate) announces and starts answering it. */
async function storeAndAnnounce(
  deps: ConversationServiceDeps,
  input: InboundMessage,
): Promise<StoredInbound & { answering: Promise<void> | null }> {
  const parsed = inboundMessageSchema.safeParse(input);
  if (!parsed.success) throw new DomainError('invalid', z.prettifyError(parsed.error));
  const inbound = parsed.data;
  if (inbound.body.length > deps.limits.maxMessageChars) {
    throw new DomainError(
      'invalid',
      `the message is too long: ${inbound.body.length.toLocaleString('en-US')} characters, the limit is ${deps.limits.maxMessageChars.toLocaleString('en-US')}`,
      { limit: deps.limits.maxMessageChars },
    );
  }
  const stored = await deps.openChats.store(inbound, () => storeInbound(deps, inbound));
  if (stored.duplicate) return { ...stored, answering: null };
  const { conversation_id: conversationId, contact_id: contactId } = stored.message;
  deps.feed.publish({
    type: 'message',
    orgId: inbound.orgId,
    conversationId,
    contactId,
    message: toMessageView(stored.message),
  });
  return { ...stored, answering: answerPending(deps, inbound.orgId, conversationId) };
}

async function storeInbound(
  deps: ConversationServiceDeps,
  inbound: ParsedInboundMessage,
): Promise<StoredInbound> {
  const { orgId, from } = inbound;
  // One resolver per sender at a time: two first messages of a new visitor make one conversation,
  // and a webhook retried while the first delivery is still being stored is found as a duplicate.
  const identity = from.visitorId ?? from.contactId ?? from.email ?? from.phone;
  // Interactive: the sender's channel acknowledges the message only once this commits.
  return deps.db.transaction(
    async (tx) => {
      await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 7720))', [
        `${orgId}:${inbound.channel}:${identity}`,
      ]);
      if (inbound.providerMessageId) {
        const existing = await tx.query<MessageRow>(
          'select * from messages where org_id = $1 and provider_message_id = $2',
          [orgId, inbound.providerMessageId],
        );
        if (existing[0]) return { duplicate: true, message: existing[0] };
      }
      // Audit entries go last: the audit chain's lock is then held only until commit.
      const audits: AuditEntry[] = [];
      const conversation = await resolveConversation(tx, deps, inbound, audits);
      if (inbound.clientId) {
        const existing = await tx.query<MessageRow>(
          'select * from messages where org_id = $1 and conversation_id = $2 and client_id = $3',
          [orgId, conversation.id, inbound.clientId],
        );
        if (existing[0]) return { duplicate: true, message: existing[0] };
      }
      if (!deps.visitorLimiter.take(`${orgId}:${identity}`)) throw tooManyMessages(deps.limits);
      const recent = await tx.query<{ count: number }>(
        `select count(*)::int as count from messages where org_id = $1 and conversation_id = $2
         and direction = 'inbound' and created_at > now() - interval '1 minute'`,
        [orgId, conversation.id],
      );
      if ((recent[0]?.count ?? 0) >= deps.limits.messagesPerMinute) throw tooManyMessages(deps.limits);
      const metadata = { ...inbound.metadata, ...(inbound.subject ? { subject: inbound.subject } : {}) };
      const rows = await tx.query<MessageRow>(
        `insert into messages (org_id, conversation_id, contact_id, direction, channel, sender, body,
         status, provider_message_id, client_id, metadata)
       values ($1, $2, $3, 'inbound', $4, 'prospect', $5, 'received', $6, $7, $8) returning *`,
        [
          orgId,
          conversation.id,
          conversation.contact_id,
          conversation.channel,
          inbound.body,
          inbound.providerMessageId ?? null,
          inbound.clientId ?? null,
          JSON.stringify(metadata),
        ],
      );
      const message = rows[0]!;
      await tx.query(
        'update conversations set last_message_at = $3, updated_at = now() where org_id = $1 and id = $2',
        [orgId, conversation.id, message.created_at],
      );
      await emitEvent(tx, 'conversation.message.received', {
        orgId,
        contactId: conversation.contact_id,
        conversationId: conversation.id,
        messageId: message.id,
        channel: conversation.channel,
      });
      for (const entry of audits) await recordAudit(tx, entry);
      await learnContactEmail(tx, orgId, conversation.contact_id, inbound.body, {
        conversationId: conversation.id,
        messageId: message.id,
      });
      return { duplicate: false, message };
    },
    { interactive: true },
  );
}

/**
 * The conversation an inbound message belongs to: the thread its reply token names, the web
 * visitor's open chat, or the contact's open conversation on that channel — else a new one. A web
 * visitor never joins another visitor's chat, even one with the same contact.
 */
async function resolveConversation(
  tx: Db,
  deps: ConversationServiceDeps,
  inbound: ParsedInboundMessage,
  audits: AuditEntry[],
): Promise<ConversationRow> {
  const { orgId, channel, from } = inbound;
  if (inbound.replyToken) {
    const rows = await tx.query<ConversationRow>(
      `select * from conversations where org_id = $1 and reply_token = $2 and status = 'open'`,
      [orgId, inbound.replyToken],
    );
    if (rows[0]) return rows[0];
  }
  if (channel === 'web' && from.visitorId) {
    const rows = await tx.query<ConversationRow>(
      `select * from conversations where org_id = $1 and channel = 'web' and visitor_id = $2 and status = 'open'
       order by created_at desc limit 1`,
      [orgId, from.visitorId],
    );
    if (rows[0]) return rows[0];
  }
  const contactId = await resolveContact(tx, deps, inbound, audits);
  const open = await tx.query<ConversationRow>(
    `select * from conversations where org_id = $1 and contact_id = $2 and channel = $3 and status = 'open'
       and ($3 <> 'web' or visitor_id is not distinct from $4)
     order by created_at desc limit 1`,
    [orgId, contactId, channel, from.visitorId ?? null],
  );
  if (open[0]) return open[0];
  const created = await tx.query<ConversationRow>(
    `insert into conversations (org_id, contact_id, channel, visitor_id, subject, agent_state)
     values ($1, $2, $3, $4, $5, $6) returning *`,
    [
      orgId,
      contactId,
      channel,
      from.visitorId ?? null,
      inbound.subject ?? null,
      JSON.stringify({ origin: 'inbound' } satisfies AgentState),
    ],
  );
  audits.push({
    orgId,
    actor: prospectActor(contactId),
    action: 'conversation.started',
    entityType: 'conversation',
    entityId: created[0]!.id,
    contactId,
    details: { channel },
  });
  return created[0]!;
}

async function resolveContact(
  tx: Db,
  deps: ConversationServiceDeps,
  inbound: ParsedInboundMessage,
  audits: AuditEntry[],
): Promise<string> {
  const { orgId, from, channel } = inbound;
  if (from.contactId) {
    const rows = await tx.query<{ id: string }>('select id from contacts where org_id = $1 and id = $2', [
      orgId,
      from.contactId,
    ]);
    if (!rows[0]) throw notFound('contact');
    return rows[0].id;
  }
  if (from.email || from.phone) {
    const { lead } = await upsertLead(
      tx,
      orgId,
      {
        email: from.email,
        phone: from.phone,
        firstName: from.firstName,
        lastName: from.lastName,
        source: `${channel}_inbound`,
      },
      { type: 'prospect' },
    );
    return lead.id;
  }
  if (from.visitorId) {
    // A returning visitor whose earlier chat closed is still the same contact.
    const rows = await tx.query<{ contact_id: string }>(
      `select contact_id from conversations where org_id = $1 and visitor_id = $2 order by created_at desc limit 1`,
      [orgId, from.visitorId],
    );
    if (rows[0]) return rows[0].contact_id;
  }
  // An anonymous visitor: a contact without an address yet, scored and qualified like any lead.
  // (The lead module's upsertLead needs an email or phone; this is the one contact it cannot make.)
  const rows = await tx.query<{ id: string }>(
    `insert into contacts (org_id, first_name, last_name, source) values ($1, $2, $3, $4) returning id`,
    [orgId, from.firstName ?? null, from.lastName ?? null, `${channel}_inbound`],
  );
  const contactId = rows[0]!.id;
  await emitEvent(tx, 'lead.created', { orgId, contactId, source: `${channel}_inbound` });
  audits.push({
    orgId,
    actor: prospectActor(contactId),
    action: 'lead.created',
    entityType: 'contact',
    entityId: contactId,
    contactId,
    details: { anonymous: true, channel },
  });
  deps.log.info({ orgId, contactId, channel }, 'anonymous contact created for a new visitor');
  return contactId;
}

export interface StartQualificationResult {
  started: boolean;
  conversationId?: string;
  channel?: Channel;
  /** What the compliance gate did with the first message (`refused` without consent). */
  delivery?: DeliveryResult['status'];
  reason?: string;
}

/**
 * Starts qualifying a lead the workflow picked (score above the threshold): a conversation on the
 * lead's channel (email if it has one, else SMS) opened by the AI disclosure and a first
 * question. The first touch is marketing, so the gate refuses it without consent — stored as the
 * message's status, not thrown. Safe to call again: a lead already in a conversation, already
 * started or already decided is left alone.
 */
export async function startQualification(
  deps: ConversationServiceDeps,
  orgId: string,
  contactId: string,
): Promise<StartQualificationResult> {
  const organization = await getOrganization(deps.db, orgId);
  const prepared = await deps.db.transaction(async (tx) => {
    const contacts = await tx.query<{
      id: string;
      email: string | null;
      phone: string | null;
      first_name: string | null;
      qualification: unknown;
    }>(
      'select id, email, phone, first_name, qualification from contacts where org_id = $1 and id = $2 for update',
      [orgId, contactId],
    );
    const contact = contacts[0];
    if (!contact) throw notFound('lead');
    const existing = await tx.query<{ id: string; channel: Channel }>(
      `select id, channel from conversations where org_id = $1 and contact_id = $2
         and (status = 'open' or agent_state ->> 'origin' = 'qualification_start')
       order by created_at limit 1`,
      [orgId, contactId],
    );
    if (existing[0]) {
      return {
        started: false as const,
        conversationId: existing[0].id,
        channel: existing[0].channel,
        reason: 'already in a conversation',
      };
    }
    if (readQualification(contact.qualification).outcome) {
      return { started: false as const, reason: 'already qualified' };
    }
    const channel: Channel | null = contact.email ? 'email' : contact.phone ? 'sms' : null;
    if (!channel) return { started: false as const, reason: 'no email or phone to reach the lead' };
    const subject = channel === 'email' ? `Quick question from ${organization.name}` : null;
    const created = await tx.query<ConversationRow>(
      `insert into conversations (org_id, contact_id, channel, subject, agent_state)
       values ($1, $2, $3, $4, $5) returning *`,
      [
        orgId,
        contactId,
        channel,
        subject,
        JSON.stringify({
          origin: 'qualification_start',
          disclosed: true,
          agentTurns: 1,
        } satisfies AgentState),
      ],
    );
    const conversation = created[0]!;
    const message = await insertOutbound(tx, conversation, {
      sender: 'agent',
      purpose: 'marketing',
      body: openingMessage({
        disclosure: aiDisclosure(organization, channel),
        organization: organization.name,
        firstName: contact.first_name,
        seed: conversation.id,
      }),
      idempotencyKey: `qualification-start:${contactId}`,
      ...(subject ? { subject } : {}),
      metadata: { opensWithDisclosure: true },
    });
    await tx.query(
      `update contacts set status = 'qualifying', updated_at = now()
       where org_id = $1 and id = $2 and status in ('new', 'scored')`,
      [orgId, contactId],
    );
    await emitEvent(tx, 'lead.qualification.started', {
      orgId,
      contactId,
      conversationId: conversation.id,
      channel,
    });
    await recordAudit(tx, {
      orgId,
      actor: agentActor,
      action: 'lead.qualification.started',
      entityType: 'conversation',
      entityId: conversation.id,
      contactId,
      details: { channel },
    });
    return { started: true as const, conversation, message, channel };
  });
  if (!prepared.started) {
    return {
      started: false,
      reason: prepared.reason,
      ...('conversationId' in prepared
        ? { conversationId: prepared.conversationId, channel: prepared.channel }
        : {}),
    };
  }
  const delivered = await deliverStored(deps, prepared.message);
  return {
    started: true,
    conversationId: prepared.conversation.id,
    channel: prepared.channel,
    delivery: delivered.status as DeliveryResult['status'],
  };
}

export interface ModeChange {
  orgId: string;
  conversationId: string;
  actor: Actor;
}

/** A rep takes the conversation: the agent goes silent (but keeps extracting) until handed back. */
export async function takeOverConversation(
  deps: ConversationServiceDeps,
  input: ModeChange & { repId: string },
): Promise<ConversationView> {
  const row = await deps.db.transaction(async (tx) => {
    const conversation = await lockOpenConversation(tx, input.orgId, input.conversationId);
    const reps = await tx.query('select 1 from users where org_id = $1 and id = $2 and active', [
      input.orgId,
      input.repId,
    ]);
    if (!reps[0]) throw notFound('rep');
    // A prospect waiting for a person has one now: the waiting state ends, and the handoff
    // workflow's wait with it (`conversation.taken_over`).
    const rows = await tx.query<ConversationRow>(
      `update conversations set mode = 'human', assigned_rep_id = $2, waiting_for_rep_since = null,
         agent_state = (agent_state - $4::text[]) || $3::jsonb, updated_at = now()
       where id = $1 returning *`,
      [
        conversation.id,
        input.repId,
        JSON.stringify({ takenOverAt: new Date().toISOString() }),
        handoffStateKeys,
      ],
    );
    await emitEvent(tx, 'conversation.taken_over', {
      orgId: input.orgId,
      contactId: conversation.contact_id,
      conversationId: conversation.id,
      repId: input.repId,
    });
    await recordAudit(tx, {
      orgId: input.orgId,
      actor: input.actor,
      action: 'conversation.taken_over',
      entityType: 'conversation',
      entityId: conversation.id,
      contactId: conversation.contact_id,
      details: { repId: input.repId, previousMode: conversation.mode },
    });
    return rows[0]!;
  });
  publishMode(deps, row, 'human', row.assigned_rep_id);
  // The rep who takes over reads the lead as recorded now, not as it was when they were told.
  try {
    const current = await getRepBriefing(deps.db, input.orgId, row.contact_id);
    await storeRepBriefing(deps.db, {
      orgId: input.orgId,
      contactId: row.contact_id,
      repId: input.repId,
      routingReasons: current?.routingReasons ?? [],
      occasion: 'taken_over',
      now: deps.now(),
    });
  } catch (error) {
    deps.log.error({ err: error, conversationId: row.id }, 'rebuilding the rep briefing failed');
  }
  return toConversationView(row);
}

/** The AI answers again; a new request for a person will be announced again. */
export async function handBackConversation(
  deps: ConversationServiceDeps,
  input: ModeChange,
): Promise<ConversationView> {
  const row = await deps.db.transaction(async (tx) => {
    const conversation = await lockOpenConversation(tx, input.orgId, input.conversationId);
    const rows = await tx.query<ConversationRow>(
      `update conversations set mode = 'ai', assigned_rep_id = null, waiting_for_rep_since = null,
         agent_state = agent_state - $2::text[], updated_at = now()
       where id = $1 returning *`,
      [conversation.id, handoffStateKeys],
    );
    await recordAudit(tx, {
      orgId: input.orgId,
      actor: input.actor,
      action: 'conversation.handed_back',
      entityType: 'conversation',
      entityId: conversation.id,
      contactId: conversation.contact_id,
      details: { previousRepId: conversation.assigned_rep_id },
    });
    return rows[0]!;
  });
  publishMode(deps, row, 'ai', null);
  return toConversationView(row);
}

export async function closeConversation(
  deps: ConversationServiceDeps,
  input: ModeChange & { reason: string },
): Promise<ConversationView> {
  const row = await deps.db.transaction(async (tx) => {
    const conversation = await lockOpenConversation(tx, input.orgId, input.conversationId);
    await closeWithin(tx, conversation, input.reason, input.actor);
    return loadConversation(tx, input.orgId, input.conversationId);
  });
  publishMode(deps, row, 'closed', row.assigned_rep_id);
  return toConversationView(row);
}

/** A rep's message in a conversation they took over, in turn order with everything else. */
export async function sendRepMessage(
  deps: ConversationServiceDeps,
  input: { orgId: string; conversationId: string; repId: string; body: string; clientId?: string },
): Promise<MessageView> {
  const body = input.body.trim();
  if (!body) throw new DomainError('invalid', 'the message is empty');
  if (body.length > deps.limits.maxMessageChars) {
    throw new DomainError(
      'invalid',
      `the message is too long: the limit is ${deps.limits.maxMessageChars} characters`,
    );
  }
  return deps.scheduler.run(input.orgId, input.conversationId, async () => {
    const message = await deps.db.transaction(async (tx) => {
      const conversation = await lockOpenConversation(tx, input.orgId, input.conversationId);
      if (conversation.mode !== 'human' || conversation.assigned_rep_id !== input.repId) {
        throw new DomainError('conflict', 'take over the conversation before writing in it');
      }
      const key = input.clientId ? `rep:${conversation.id}:${input.clientId}` : `rep:${randomUUID()}`;
      if (input.clientId) {
        const existing = await tx.query<MessageRow>(
          `select * from messages where conversation_id = $1 and metadata ->> 'idempotencyKey' = $2`,
          [conversation.id, key],
        );
        if (existing[0]) return { row: existing[0], duplicate: true };
      }
      const row = await insertOutbound(tx, conversation, {
        sender: 'rep',
        authorId: input.repId,
        purpose: 'conversation_reply',
        body,
        idempotencyKey: key,
      });
      return { row, duplicate: false };
    });
    return message.duplicate ? toMessageView(message.row) : deliverStored(deps, message.row);
  });
}

/**
 * A message the agent posts on its own, outside a turn — the payment link after routing (mode C).
 * Stored in turn order, then delivered through the compliance gate. Idempotent by
 * `idempotencyKey`: a second call returns the stored message and sends nothing new (a message
 * still `pending` after a crash is handed to the gate again, which dedupes by the same key).
 * Refused (409) while a rep holds the conversation: the agent does not talk over a person.
 */
export async function sendAgentMessage(
  deps: ConversationServiceDeps,
  input: {
    orgId: string;
    conversationId: string;
    body: string;
    purpose: OutboundPurpose;
    idempotencyKey: string;
    metadata?: Record<string, unknown>;
  },
): Promise<MessageView> {
  const body = input.body.trim();
  if (!body) throw new DomainError('invalid', 'the message is empty');
  return deps.scheduler.run(input.orgId, input.conversationId, async () => {
    const message = await deps.db.transaction(async (tx) => {
      const conversation = await lockOpenConversation(tx, input.orgId, input.conversationId);
      const existing = await tx.query<MessageRow>(
        `select * from messages where conversation_id = $1 and metadata ->> 'idempotencyKey' = $2`,
        [conversation.id, input.idempotencyKey],
      );
      if (existing[0]) return { row: existing[0], duplicate: true };
      if (conversation.mode === 'human') {
        throw new DomainError('conflict', 'a rep has taken over the conversation');
      }
      const row = await insertOutbound(tx, conversation, {
        sender: 'agent',
        purpose: input.purpose,
        body,
        idempotencyKey: input.idempotencyKey,
        ...(input.metadata ? { metadata: input.metadata } : {}),
      });
      return { row, duplicate: false };
    });
    if (message.duplicate && message.row.status !== 'pending') return toMessageView(message.row);
    return deliverStored(deps, message.row);
  });
}

async function lockOpenConversation(tx: Db, orgId: string, conversationId: string): Promise<ConversationRow> {
  const rows = await tx.query<ConversationRow>(
    'select * from conversations where org_id = $1 and id = $2 for update',
    [orgId, conversationId],
  );
  const conversation = rows[0];
  if (!conversation) throw notFound('conversation');
  if (conversation.status === 'closed') throw new DomainError('conflict', 'the conversation is closed');
  return conversation;
}

export interface QualifierAnswer {
  reply: string | null;
  bant: BantState;
  outcome: Outcome | null;
  conversationId: string;
  messageId: string;
  duplicate: boolean;
}

/**
 * One server-to-server turn (`POST /api/agents/qualifier`): the message joins the contact's open
 * conversation on `channel` (or, without one, its latest open conversation; else a new web one).
 */
export async function askQualifier(
  deps: ConversationServiceDeps,
  input: { orgId: string; contactId: string; message: string; channel?: Channel; clientId?: string },
): Promise<QualifierAnswer> {
  let channel = input.channel;
  if (!channel) {
    const rows = await deps.db.query<{ channel: Channel }>(
      `select channel from conversations where org_id = $1 and contact_id = $2 and status = 'open'
       order by coalesce(last_message_at, created_at) desc limit 1`,
      [input.orgId, input.contactId],
    );
    channel = rows[0]?.channel ?? 'web';
  }
  const result = await receiveInbound(deps, {
    orgId: input.orgId,
    channel,
    from: { contactId: input.contactId },
    body: input.message,
    ...(input.clientId ? { clientId: input.clientId } : {}),
    metadata: { via: 'api' },
  });
  return {
    reply: result.reply?.body ?? null,
    bant: result.bant,
    outcome: result.outcome,
    conversationId: result.conversation.id,
    messageId: result.message.id,
    duplicate: result.duplicate,
  };
}
