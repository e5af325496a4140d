import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { ConversationServiceDeps } from '../conversations/conversation-deps.ts';
import { sendAgentMessage } from '../conversations/conversation-service.ts';
import { listConversations } from '../conversations.ts';
import { DomainError } from '../errors.ts';
import { emitEvent } from '../events.ts';
import { listKnowledgeEntries } from '../knowledge-base.ts';
import { getOrganization } from '../organizations.ts';
import { releaseAssignmentWithin } from '../routing/lead-assignments.ts';

/**
 * The ops agent's step of the `full-auto` and `hybrid` chains: a won deal (a Stripe payment, or a
 * rep moving it to `won`) makes the contact a customer (`status = 'customer'`, `customer_since`)
 * and sends the onboarding message once — in the prospect's open conversation when there is one,
 * else by email — through the compliance gate. The text is the knowledge base's onboarding entry
 * (a title with "onboarding", "getting started", "welcome" or "next steps"), or a plain default.
 */
export const opsActor: Actor = { type: 'agent', id: 'ops' };

export type OnboardingResult =
  | { onboarded: true; customer: boolean; channel: string; messageId?: string; status: string }
  | { onboarded: false; reason: string };

export async function onboardCustomer(
  deps: ConversationServiceDeps,
  orgId: string,
  dealId: string,
): Promise<OnboardingResult> {
  type Marked = { contactId: string; plan: string | null; customer: boolean } | { reason: string };
  const marked = await deps.db.transaction(async (tx): Promise<Marked> => {
    const deals = await tx.query<{ contact_id: string; stage: string; proposal: { plan?: string } | null }>(
      'select contact_id, stage, proposal from deals where org_id = $1 and id = $2 for update',
      [orgId, dealId],
    );
    const deal = deals[0];
    if (!deal) return { reason: 'the deal does not exist' };
    if (deal.stage !== 'won') return { reason: `the deal is ${deal.stage}, not won` };
    const updated = await tx.query<{ id: string }>(
      `update contacts set status = 'customer', customer_since = coalesce(customer_since, now()), updated_at = now()
       where org_id = $1 and id = $2 and status <> 'customer' returning id`,
      [orgId, deal.contact_id],
    );
    if (updated[0]) {
      // A customer no longer takes a rep's lead capacity.
      await releaseAssignmentWithin(tx, orgId, deal.contact_id, 'won', deps.now());
      await emitEvent(tx, 'lead.updated', { orgId, contactId: deal.contact_id, fields: ['status'] });
      await recordAudit(tx, {
        orgId,
        actor: opsActor,
        action: 'customer.onboarded',
        entityType: 'contact',
        entityId: deal.contact_id,
        contactId: deal.contact_id,
        details: { dealId },
      });
    }
    return { contactId: deal.contact_id, plan: deal.proposal?.plan ?? null, customer: Boolean(updated[0]) };
  });
  if ('reason' in marked) return { onboarded: false, reason: marked.reason };

  const { contactId } = marked;
  const [organization, knowledge] = await Promise.all([
    getOrganization(deps.db, orgId),
    listKnowledgeEntries(deps.db, orgId),
  ]);
  const entry = knowledge.find((candidate) =>
    /\b(onboarding|getting started|welcome|next steps)\b/i.test(candidate.title),
  );
  const body = [
    `Welcome to ${organization.name}, and thank you! Your payment is confirmed${marked.plan ? ` for ${marked.plan}` : ''}.`,
    entry?.body ?? 'Someone from our team will be in touch within one business day to set up your account.',
  ].join('\n\n');
  const idempotencyKey = `onboarding:${dealId}`;
  const conversation = (await listConversations(deps.db, orgId, { contactId })).find(
    (candidate) => candidate.status === 'open',
  );
  if (conversation) {
    try {
      const message = await sendAgentMessage(deps, {
        orgId,
        conversationId: conversation.id,
        body,
        purpose: 'transactional',
        idempotencyKey,
        metadata: { agent: 'ops', dealId },
      });
      return {
        onboarded: true,
        customer: marked.customer,
        channel: conversation.channel,
        messageId: message.id,
        status: message.status,
      };
    } catch (error) {
      // A rep is talking with the customer: the welcome goes by email instead of into their thread.
      if (!(error instanceof DomainError && error.kind === 'conflict')) throw error;
    }
  }
  const result = await deps.deliver({
    orgId,
    contactId,
    channel: 'email',
    purpose: 'transactional',
    sender: 'system',
    subject: `Welcome to ${organization.name}`,
    body,
    idempotencyKey,
  });
  if (result.status === 'failed')
    throw new Error(`the onboarding email failed: ${result.reasons.join(', ')}`);
  return { onboarded: true, customer: marked.customer, channel: 'email', status: result.status };
}
