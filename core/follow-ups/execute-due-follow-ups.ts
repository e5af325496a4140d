import { aiDisclosure } from '../compliance/ai-disclosure.ts';
import { checkOutbound } from '../compliance/outbound-gate.ts';
import { type ConversationServiceDeps, sendAgentMessage } from '../conversations/conversation-service.ts';
import { getConversation, listConversations } from '../conversations.ts';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';
import { emitEvent } from '../events.ts';
import { getOrganization } from '../organizations.ts';
import { endSequence, followUpActor, type TouchRow, touchPendingSql } from './follow-up-sequences.ts';

/**
 * Sends the follow-up touches that are due. Each touch is claimed on its own, in a short
 * transaction (`for update … skip locked`, so two runners never take the same one), after checking
 * that its sequence is still active and the prospect has not written since it started; then it is
 * sent — into the lead's open conversation (`sendAgentMessage`) or, without one, straight through
 * the compliance gate — as marketing, outside any transaction; then the outcome is recorded.
 *
 * Crash safety rests on the idempotency key `followup:<touch id>`: the conversation service and
 * the delivery ledger return what a key already did instead of sending again. A touch left
 * `sending` by a runner that died is taken over once its claim is older than the lease and sent
 * with the same key — finishing what was started, not starting over.
 */

export interface FollowUpDeps {
  db: Db;
  /** Sends each touch: the conversation service, and through its `deliver` the compliance gate. */
  conversations: ConversationServiceDeps;
}

export interface ExecuteFollowUpsOptions {
  /** Only this organization's touches (the HTTP route); all organizations when left out (the cron). */
  orgId?: string;
  now?: Date;
  /** At most this many touches in this run (default 100). */
  limit?: number;
}

export interface FollowUpRunResult {
  /** Sent, or recorded where the channel has no provider configured. */
  sent: number;
  /** The provider refused (retried later with backoff) or the outcome is in doubt. */
  failed: number;
  /** Refused by the compliance gate, stopped by a reply, a rep holding the thread, or held back for quiet hours. */
  skipped: number;
}

/** A claim older than this belongs to a runner that died (a send takes seconds, not minutes). */
export const followUpClaimLeaseMs = 5 * 60_000;

/** Waits before the 2nd and 3rd attempt of a touch the provider refused; then the runner gives up. */
export const followUpRetryDelaysMs = [10 * 60_000, 60 * 60_000] as const;

/**
 * Refusals that pass with time — the recipient's calling window opens, the 24-hour cap of texts
 * frees up — hold a touch back this long and try again, instead of losing it.
 */
export const followUpHoldMs = 30 * 60_000;
const passingRefusals: readonly string[] = ['quiet_hours', 'call_cap'];

/** `resumed`: taken over from a runner that died; it may have been sent already. */
type Claim = { kind: 'send'; touch: TouchRow; resumed: boolean } | { kind: 'skipped' };

interface Delivery {
  status: 'sent' | 'recorded' | 'refused' | 'failed' | 'pending' | 'unavailable';
  reasons: string[];
  messageId?: string;
  error?: string;
  /** Nothing left the process and trying again later may work. */
  retrySafe?: boolean;
}

export async function executeDueFollowUps(
  deps: FollowUpDeps,
  options: ExecuteFollowUpsOptions = {},
): Promise<FollowUpRunResult> {
  const now = options.now ?? deps.conversations.now();
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1_000);
  const result: FollowUpRunResult = { sent: 0, failed: 0, skipped: 0 };
  for (let taken = 0; taken < limit; taken++) {
    const claim = await claimNextTouch(deps.db, options.orgId ?? null, now);
    if (!claim) break;
    if (claim.kind === 'skipped') {
      result.skipped++;
      continue;
    }
    try {
      const held = claim.resumed ? false : await holdUntilAllowed(deps.db, claim.touch, now);
      result[held ? 'skipped' : await sendTouch(deps, claim.touch, now)]++;
    } catch (error) {
      // The touch stays `sending`; a later run takes it over once the claim expires.
      deps.conversations.log.error(
        { err: error, followUpMessageId: claim.touch.id },
        'a follow-up could not be completed; it is resumed after its claim expires',
      );
      result.failed++;
    }
  }
  return result;
}

/**
 * Takes the next due touch: scheduled and due, failed and due for a retry, or `sending` with an
 * expired claim. A touch waits while an earlier step of its sequence is still pending, so a
 * sequence's touches go out in order.
 */
async function claimNextTouch(db: Db, orgId: string | null, now: Date): Promise<Claim | null> {
  return db.transaction(async (tx) => {
    const [touch] = await tx.query<TouchRow & { sequence_started_at: Date }>(
      `select m.*, s.created_at as sequence_started_at
       from follow_up_messages m join follow_up_sequences s on s.id = m.sequence_id and s.org_id = m.org_id
       where ($1::uuid is null or m.org_id = $1)
         and ((m.status = 'scheduled' and m.due_at <= $2 and s.status = 'active')
           or (m.status = 'failed' and m.retry_at <= $2 and s.status = 'active')
           or (m.status = 'sending' and m.claimed_at <= $3))
         and not exists (select 1 from follow_up_messages e
                         where e.sequence_id = m.sequence_id and e.step_index < m.step_index and ${touchPendingSql('e')})
       order by m.due_at, m.step_index
       limit 1
       for update of m, s skip locked`,
      [orgId, now, new Date(now.getTime() - followUpClaimLeaseMs)],
    );
    if (!touch) return null;
    if (touch.status === 'sending') {
      // Checked when it was first claimed and perhaps already sent: finish it with the same key.
      const [resumed] = await tx.query<TouchRow>(
        'update follow_up_messages set claimed_at = $2 where id = $1 returning *',
        [touch.id, now],
      );
      return { kind: 'send', touch: resumed!, resumed: true };
    }
    const [reply] = await tx.query(
      `select 1 from messages where org_id = $1 and contact_id = $2 and direction = 'inbound' and created_at > $3 limit 1`,
      [touch.org_id, touch.contact_id, touch.sequence_started_at],
    );
    if (reply) {
      // The prospect answered: a person or the qualifier talks to them now, not the sequence.
      await tx.query(
        `update follow_up_messages set status = 'skipped', reasons = array['prospect_replied'], retry_at = null where id = $1`,
        [touch.id],
      );
      await endSequence(tx, {
        orgId: touch.org_id,
        contactId: touch.contact_id,
        sequenceId: touch.sequence_id,
        reason: 'prospect_replied',
        actor: followUpActor,
      });
      return { kind: 'skipped' };
    }
    const [claimed] = await tx.query<TouchRow>(
      `update follow_up_messages set status = 'sending', claimed_at = $2, attempts = attempts + 1, retry_at = null
       where id = $1 returning *`,
      [touch.id, now],
    );
    return { kind: 'send', touch: claimed!, resumed: false };
  });
}

/**
 * Asks the gate first: when the only refusals are ones that pass with time, the touch goes back
 * to `scheduled` a little later, unsent and uncounted as an attempt. Any other refusal is left
 * to the send, which records it.
 */
async function holdUntilAllowed(db: Db, touch: TouchRow, now: Date): Promise<boolean> {
  const { reasons } = await checkOutbound(db, {
    orgId: touch.org_id,
    contactId: touch.contact_id,
    channel: touch.channel,
    purpose: 'marketing',
    now,
  });
  if (reasons.length === 0 || !reasons.every((reason) => passingRefusals.includes(reason))) return false;
  await db.query(
    `update follow_up_messages set status = 'scheduled', due_at = $2, reasons = $3, attempts = attempts - 1,
       claimed_at = null
     where id = $1 and status = 'sending'`,
    [touch.id, new Date(now.getTime() + followUpHoldMs), reasons],
  );
  return true;
}

/** Same key, same send; a retry after a provider refusal is a new send, so it has its own key. */
const idempotencyKeyOf = (touch: TouchRow) =>
  touch.attempts <= 1 ? `followup:${touch.id}` : `followup:${touch.id}:attempt-${touch.attempts}`;

async function sendTouch(deps: FollowUpDeps, touch: TouchRow, now: Date): Promise<keyof FollowUpRunResult> {
  const delivery = await deliverTouch(deps, touch);
  return deps.db.transaction(async (tx) => {
    // The sequence first, as cancelling does, so the two never wait on each other in turn.
    await tx.query('select 1 from follow_up_sequences where id = $1 for update', [touch.sequence_id]);
    const outcome = outcomeOf(delivery, touch, now);
    const [recorded] = await tx.query<TouchRow>(
      `update follow_up_messages set status = $2, reasons = $3, last_error = $4, retry_at = $5,
         sent_at = $6, message_id = coalesce($7, message_id)
       where id = $1 and status = 'sending' returning *`,
      [
        touch.id,
        outcome.status,
        delivery.reasons,
        delivery.error ?? null,
        outcome.retryAt,
        outcome.status === 'sent' ? now : null,
        delivery.messageId ?? null,
      ],
    );
    // Another runner recorded it first (it took over an expired claim): its record stands.
    if (!recorded) return outcome.counted;
    if (outcome.status === 'sent') {
      await emitEvent(tx, 'followup.sent', {
        orgId: touch.org_id,
        contactId: touch.contact_id,
        followUpMessageId: touch.id,
        channel: touch.channel,
      });
    }
    if (outcome.retryAt || outcome.status === 'sending') return outcome.counted;
    // A touch done late moves the later ones back as much, so the spacing the organization chose holds.
    if (now > touch.due_at) {
      await tx.query(
        `update follow_up_messages set due_at = due_at + ($3::timestamptz - $4::timestamptz)
         where sequence_id = $1 and step_index > $2 and status = 'scheduled'`,
        [touch.sequence_id, touch.step_index, now, touch.due_at],
      );
    }
    await tx.query(
      `update follow_up_sequences s set status = 'completed', ended_reason = 'completed', ended_at = $2, updated_at = now()
       where s.id = $1 and s.status = 'active'
         and not exists (select 1 from follow_up_messages m where m.sequence_id = s.id and ${touchPendingSql('m')})`,
      [touch.sequence_id, now],
    );
    return outcome.counted;
  });
}

function outcomeOf(
  delivery: Delivery,
  touch: TouchRow,
  now: Date,
): {
  status: 'sent' | 'skipped' | 'failed' | 'sending';
  retryAt: Date | null;
  counted: keyof FollowUpRunResult;
} {
  if (delivery.status === 'sent' || delivery.status === 'recorded') {
    return { status: 'sent', retryAt: null, counted: 'sent' };
  }
  // The gate's refusal (no consent, quiet hours, DNC, …) or a rep holding the conversation.
  if (delivery.status === 'refused' || delivery.status === 'unavailable') {
    return { status: 'skipped', retryAt: null, counted: 'skipped' };
  }
  if (delivery.reasons.includes('delivery_in_progress')) {
    // Another attempt with this key is at the provider right now; a later run reconciles.
    return { status: 'sending', retryAt: null, counted: 'failed' };
  }
  const retrySafe = delivery.retrySafe || delivery.reasons.includes('provider_error');
  const wait = followUpRetryDelaysMs[touch.attempts - 1];
  // In doubt (the provider may have it) or out of attempts: a person decides, from the console.
  if (!retrySafe || wait === undefined) return { status: 'failed', retryAt: null, counted: 'failed' };
  return { status: 'failed', retryAt: new Date(now.getTime() + wait), counted: 'failed' };
}

/** Into the lead's open thread on the touch's channel when there is one, else as a new message. */
async function deliverTouch(deps: FollowUpDeps, touch: TouchRow): Promise<Delivery> {
  const { db, conversations } = deps;
  const idempotencyKey = idempotencyKeyOf(touch);
  const thread = (await listConversations(db, touch.org_id, { contactId: touch.contact_id })).find(
    (c) => c.status === 'open' && c.channel === touch.channel,
  );
  if (thread) {
    try {
      const message = await sendAgentMessage(conversations, {
        orgId: touch.org_id,
        conversationId: thread.id,
        body: touch.body,
        purpose: 'marketing',
        idempotencyKey,
        metadata: {
          followUp: { sequenceId: touch.sequence_id, messageId: touch.id, step: touch.step_index },
        },
      });
      const delivery = message.metadata.delivery as { reasons?: string[] } | undefined;
      return {
        status: message.status as Delivery['status'],
        reasons: delivery?.reasons ?? [],
        messageId: message.id,
      };
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind !== 'conflict') throw error;
      // Nothing was stored under the key. A rep holding the thread or a closed thread is a
      // reason to skip this touch; anything else (another node mid-turn) passes.
      const current = await getConversation(db, touch.org_id, thread.id);
      if (current.mode === 'human') return { status: 'unavailable', reasons: ['rep_owns_conversation'] };
      if (current.status === 'closed') return { status: 'unavailable', reasons: ['conversation_closed'] };
      return { status: 'failed', reasons: ['conversation_busy'], error: error.message, retrySafe: true };
    }
  }
  // A new thread: like every first message, it opens with the AI disclosure.
  const organization = await getOrganization(db, touch.org_id);
  try {
    const result = await conversations.deliver({
      orgId: touch.org_id,
      contactId: touch.contact_id,
      channel: touch.channel,
      purpose: 'marketing',
      sender: 'agent',
      ...(touch.subject ? { subject: touch.subject } : {}),
      body: `${aiDisclosure(organization, touch.channel)}\n\n${touch.body}`,
      idempotencyKey,
    });
    return { status: result.status, reasons: result.reasons };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { status: 'failed', reasons: ['delivery_error'], error: error.message };
  }
}
