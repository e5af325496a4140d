import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import { listConversations } from '../conversations.ts';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';
import { getLead } from '../leads.ts';
import { getOrganization } from '../organizations.ts';
import type { Channel } from '../outbound-message.ts';
import { mayBeComplianceCommand } from '../qualification/guardrails.ts';
import {
  delayMs,
  type FollowUpChannelPreference,
  readFollowUpSequences,
  sequenceNameSchema,
} from './follow-up-settings.ts';
import { followUpValues, renderFollowUp } from './follow-up-template.ts';

/**
 * Scheduling and stopping a contact's follow-up sequences (`follow_up_sequences`, one row per
 * sequence started; `follow_up_messages`, one row per touch). Every touch is written when the
 * sequence starts — rendered, on its channel, with its due time — so what will go out, and
 * when, can be read before it does. `execute-due-follow-ups.ts` sends them.
 */

/** Who schedules and stops sequences when no person asked: the outreach agent (agents/outreach). */
export const followUpActor: Actor = { type: 'agent', id: 'outreach' };

export type SequenceStatus = 'active' | 'paused' | 'completed' | 'cancelled';
export type TouchStatus = 'scheduled' | 'sending' | 'sent' | 'failed' | 'skipped' | 'cancelled';

export interface SequenceRow {
  id: string;
  org_id: string;
  contact_id: string;
  name: string;
  status: SequenceStatus;
  ended_reason: string | null;
  ended_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** One touch of a sequence (a `follow_up_messages` row). */
export interface TouchRow {
  id: string;
  org_id: string;
  sequence_id: string;
  contact_id: string;
  channel: Channel;
  step_index: number;
  subject: string | null;
  body: string;
  due_at: Date;
  status: TouchStatus;
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
  message_id: string | null;
  claimed_at: Date | null;
  retry_at: Date | null;
  reasons: string[];
  created_at: Date;
}

export interface FollowUpMessageView {
  id: string;
  step: number;
  channel: Channel;
  subject: string | null;
  body: string;
  dueAt: string;
  status: TouchStatus;
  attempts: number;
  /** Why it was skipped (the compliance gate's reasons) or cancelled. */
  reasons: string[];
  lastError: string | null;
  /** When a failed touch is tried again; null once the runner gave up on it. */
  retryAt: string | null;
  sentAt: string | null;
  /** The conversation message it became, when it went into a conversation. */
  messageId: string | null;
}

export interface FollowUpSequenceView {
  id: string;
  contactId: string;
  name: string;
  status: SequenceStatus;
  endedReason: string | null;
  endedAt: string | null;
  createdAt: string;
  messages: FollowUpMessageView[];
}

/** A touch is still to be sent (or retried): it keeps its sequence active and later steps waiting. */
export const touchPendingSql = (alias: string) =>
  `(${alias}.status in ('scheduled', 'sending') or (${alias}.status = 'failed' and ${alias}.retry_at is not null))`;

export interface ScheduleResult {
  scheduled: boolean;
  /** The new sequence, or the one already active under that name. */
  sequence?: FollowUpSequenceView;
  /** Why nothing new was scheduled. */
  reason?: string;
}

/**
 * Starts the named sequence for a contact. Idempotent: while a sequence of that name is active
 * for the contact, the call returns it and schedules nothing. A sequence the organization turned
 * off, or one the lead cannot be reached for (no address on any channel a step allows), is not
 * scheduled — a status with the reason, not an error. An unknown name is a 400.
 */
export async function scheduleSequence(
  db: Db,
  orgId: string,
  contactId: string,
  name: string,
  options: { now?: Date; actor?: Actor } = {},
): Promise<ScheduleResult> {
  const now = options.now ?? new Date();
  const actor = options.actor ?? followUpActor;
  if (!sequenceNameSchema.safeParse(name).success) {
    throw new DomainError('invalid', `"${name}" is not a sequence name`);
  }
  return db.transaction(async (tx) => {
    await lockContactSequences(tx, orgId, contactId);
    const lead = await getLead(tx, orgId, contactId);
    const active = await tx.query<SequenceRow>(
      `select * from follow_up_sequences where org_id = $1 and contact_id = $2 and name = $3 and status = 'active'`,
      [orgId, contactId, name],
    );
    if (active[0]) {
      return {
        scheduled: false,
        sequence: (await sequenceViews(tx, active))[0],
        reason: 'this sequence is already active for the lead',
      };
    }
    const organization = await getOrganization(tx, orgId);
    const sequences = readFollowUpSequences(organization.settings);
    const definition = sequences[name];
    if (!definition) {
      throw new DomainError(
        'invalid',
        `unknown follow-up sequence "${name}"; the organization has ${Object.keys(sequences).join(', ')}`,
      );
    }
    if (!definition.enabled) return { scheduled: false, reason: `the organization turned "${name}" off` };

    const conversations = await listConversations(tx, orgId, { contactId });
    // A web chat reaches a visitor only while they are on the page, so it is no place for a
    // touch days later; the lead's email or text thread is.
    const thread = conversations.find(
      (c) => c.status === 'open' && ['email', 'sms', 'whatsapp'].includes(c.channel),
    );
    const reach = { email: lead.email, phone: lead.phone, thread: (thread?.channel as Channel) ?? null };
    const values = followUpValues(lead, organization.name);
    let dueAt = now.getTime();
    const touches = [];
    for (const [index, step] of definition.steps.entries()) {
      const channel = chooseChannel(step.channels, reach);
      if (!channel) {
        return {
          scheduled: false,
          reason: `no way to reach the lead for step ${index + 1} (channels: ${step.channels.join(', ')})`,
        };
      }
      dueAt += delayMs(step.delay);
      const subject = channel === 'email' ? (step.subject ?? 'A note from {{orgName}}') : null;
      touches.push({
        channel,
        subject: subject ? renderFollowUp(subject, values) : null,
        body: renderFollowUp(step.body, values),
        dueAt: new Date(dueAt),
      });
    }

    const [sequence] = await tx.query<SequenceRow>(
      'insert into follow_up_sequences (org_id, contact_id, name) values ($1, $2, $3) returning *',
      [orgId, contactId, name],
    );
    for (const [index, touch] of touches.entries()) {
      await tx.query(
        `insert into follow_up_messages (org_id, sequence_id, contact_id, channel, step_index, subject, body, due_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [orgId, sequence!.id, contactId, touch.channel, index, touch.subject, touch.body, touch.dueAt],
      );
    }
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'followup.sequence.scheduled',
      entityType: 'follow_up_sequence',
      entityId: sequence!.id,
      contactId,
      details: {
        name,
        touches: touches.map((t) => ({ channel: t.channel, dueAt: t.dueAt.toISOString() })),
      },
    });
    return { scheduled: true, sequence: (await sequenceViews(tx, [sequence!]))[0] };
  });
}

function chooseChannel(
  preferences: readonly FollowUpChannelPreference[],
  reach: { email: string | null; phone: string | null; thread: Channel | null },
): Channel | null {
  for (const preference of preferences) {
    if (preference === 'conversation' && reach.thread) return reach.thread;
    if (preference === 'email' && reach.email) return 'email';
    if ((preference === 'sms' || preference === 'whatsapp') && reach.phone) return preference;
  }
  return null;
}

/**
 * Stops a contact's active sequences (all, or the one named): touches not yet sent are
 * cancelled; a touch already on its way finishes. `startedBefore` limits it to sequences started
 * before that moment — a reply stops the sequences it answers, not one started after it.
 */
export async function cancelSequences(
  db: Db,
  orgId: string,
  contactId: string,
  reason: string,
  options: { name?: string; startedBefore?: Date; actor?: Actor } = {},
): Promise<{ cancelled: number }> {
  return db.transaction(async (tx) => {
    await lockContactSequences(tx, orgId, contactId);
    await getLead(tx, orgId, contactId); // 404 for a contact of another organization
    const rows = await tx.query<{ id: string }>(
      `select id from follow_up_sequences where org_id = $1 and contact_id = $2 and status = 'active'
         and ($3::text is null or name = $3) and ($4::timestamptz is null or created_at < $4)`,
      [orgId, contactId, options.name ?? null, options.startedBefore ?? null],
    );
    for (const { id } of rows) {
      await endSequence(tx, {
        orgId,
        contactId,
        sequenceId: id,
        reason,
        actor: options.actor ?? followUpActor,
      });
    }
    return { cancelled: rows.length };
  });
}

/** The prospect wrote (`conversation.message.received`): the sequences started before it stop. */
export async function cancelSequencesAfterReply(
  db: Db,
  orgId: string,
  contactId: string,
  messageId: string,
): Promise<{ cancelled: number }> {
  const [message] = await db.query<{ created_at: Date }>(
    `select created_at from messages where org_id = $1 and id = $2 and contact_id = $3 and direction = 'inbound'`,
    [orgId, messageId, contactId],
  );
  if (!message) return { cancelled: 0 };
  return cancelSequences(db, orgId, contactId, 'prospect_replied', { startedBefore: message.created_at });
}

/**
 * After a prospect message (which cancelled the sequences before it): a lead the agent is still
 * qualifying gets `re-engage` again, counted from this message, so a lead who goes quiet at any
 * point of the conversation is nudged, not only one who never answered the first message. Not
 * when a rep has the conversation or it is closed, the lead already has an outcome, or the
 * message asks to stop (the compliance module handles it; the gate would refuse the touches).
 */
export async function reEngageAfterReply(
  db: Db,
  orgId: string,
  contactId: string,
  messageId: string,
): Promise<ScheduleResult> {
  const [message] = await db.query<{
    body: string;
    channel: Channel;
    conversation_status: string;
    mode: string;
    outcome: string | null;
    lead_status: string;
  }>(
    `select m.body, m.channel, c.status as conversation_status, c.mode,
       ct.qualification ->> 'outcome' as outcome, ct.status as lead_status
     from messages m
     join conversations c on c.org_id = m.org_id and c.id = m.conversation_id
     join contacts ct on ct.org_id = m.org_id and ct.id = m.contact_id
     where m.org_id = $1 and m.id = $2 and m.contact_id = $3 and m.direction = 'inbound'`,
    [orgId, messageId, contactId],
  );
  if (!message) return { scheduled: false, reason: 'no such prospect message' };
  if (message.conversation_status !== 'open' || message.mode !== 'ai') {
    return { scheduled: false, reason: 'the agent is not holding this conversation' };
  }
  if (message.outcome || !['new', 'scored', 'qualifying'].includes(message.lead_status)) {
    return { scheduled: false, reason: 'the lead is past qualification' };
  }
  if (mayBeComplianceCommand(message.channel, message.body)) {
    return { scheduled: false, reason: 'the message may ask to stop' };
  }
  return scheduleSequence(db, orgId, contactId, 're-engage');
}

/** Cancels one active sequence and its unsent touches, inside the caller's transaction. */
export async function endSequence(
  tx: Db,
  input: { orgId: string; contactId: string; sequenceId: string; reason: string; actor: Actor },
): Promise<void> {
  const ended = await tx.query<{ name: string }>(
    `update follow_up_sequences set status = 'cancelled', ended_reason = $2, ended_at = now(), updated_at = now()
     where id = $1 and status = 'active' returning name`,
    [input.sequenceId, input.reason],
  );
  if (!ended[0]) return;
  const touches = await tx.query<{ id: string }>(
    `update follow_up_messages m set status = 'cancelled', reasons = array[$2], retry_at = null
     where m.sequence_id = $1 and m.status <> 'sending' and ${touchPendingSql('m')} returning id`,
    [input.sequenceId, input.reason],
  );
  await recordAudit(tx, {
    orgId: input.orgId,
    actor: input.actor,
    action: 'followup.sequence.cancelled',
    entityType: 'follow_up_sequence',
    entityId: input.sequenceId,
    contactId: input.contactId,
    details: { name: ended[0].name, reason: input.reason, touchesCancelled: touches.length },
  });
}

/** The organization's sequences, newest first, each with its touches in step order. */
export async function listFollowUpSequences(
  db: Db,
  orgId: string,
  filter: { contactId?: string; limit?: number } = {},
): Promise<FollowUpSequenceView[]> {
  const rows = await db.query<SequenceRow>(
    `select * from follow_up_sequences where org_id = $1 and ($2::uuid is null or contact_id = $2)
     order by created_at desc, id limit $3`,
    [orgId, filter.contactId ?? null, filter.limit ?? 100],
  );
  return sequenceViews(db, rows);
}

async function sequenceViews(db: Db, sequences: SequenceRow[]): Promise<FollowUpSequenceView[]> {
  if (sequences.length === 0) return [];
  const touches = await db.query<TouchRow>(
    'select * from follow_up_messages where sequence_id = any($1::uuid[]) order by step_index',
    [sequences.map((s) => s.id)],
  );
  return sequences.map((sequence) => ({
    id: sequence.id,
    contactId: sequence.contact_id,
    name: sequence.name,
    status: sequence.status,
    endedReason: sequence.ended_reason,
    endedAt: sequence.ended_at?.toISOString() ?? null,
    createdAt: sequence.created_at.toISOString(),
    messages: touches.filter((t) => t.sequence_id === sequence.id).map(touchView),
  }));
}

function touchView(row: TouchRow): FollowUpMessageView {
  return {
    id: row.id,
    step: row.step_index,
    channel: row.channel,
    subject: row.subject,
    body: row.body,
    dueAt: row.due_at.toISOString(),
    status: row.status,
    attempts: row.attempts,
    reasons: row.reasons,
    lastError: row.last_error,
    retryAt: row.retry_at?.toISOString() ?? null,
    sentAt: row.sent_at?.toISOString() ?? null,
    messageId: row.message_id,
  };
}

/** Scheduling and cancelling of one contact's sequences take turns. */
async function lockContactSequences(tx: Db, orgId: string, contactId: string): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 7730))', [`${orgId}:${contactId}`]);
}
