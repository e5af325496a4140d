import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { winDeal } from '../deals/deal-pipeline.ts';
import { emitEvent } from '../events.ts';
import { releaseAssignmentWithin } from '../routing/lead-assignments.ts';
import { recordWebhookReceipt } from '../webhook-receipts.ts';
import { findDealByPaymentLink, findPaymentDeal, type PaymentDeal } from './payment-deals.ts';

/**
 * A completed checkout, as the payment webhook reports it (already verified): the deal it pays
 * is marked won, the payment recorded, the contact set to `won` and `payment.completed` emitted —
 * once, however often the provider delivers the event or its siblings.
 */
export interface CompletedCheckout {
  /** `stripe`, or `test` for the test-mode page of a recorded link. */
  provider: string;
  /** The provider's event id: a redelivery carries the same one. */
  eventId: string;
  /** The checkout session: the payment's reference with the provider. */
  reference: string;
  paymentLinkId: string | null;
  /** Copied from the payment link: `orgId`, `contactId`, `dealId`. */
  metadata: Record<string, string>;
  amountCents: number | null;
  currency: string | null;
  /** False for a checkout whose payment is still pending (bank debits): it wins nothing yet. */
  paid: boolean;
}

export type CheckoutOutcome =
  | {
      status: 'recorded';
      orgId: string;
      contactId: string;
      dealId: string;
      paymentId: string;
      amountCents: number;
    }
  | { status: 'duplicate' | 'unpaid'; orgId: string; dealId: string }
  /** A second, different paid checkout for a deal already won: kept apart, a refund is due. */
  | { status: 'duplicate_payment'; orgId: string; dealId: string; paymentId: string }
  | { status: 'unknown_deal' };

/**
 * A payment webhook that verified but is malformed: an amount that is not a whole number of
 * cents, ids that are not ids, a field of the wrong type. The provider would deliver the same
 * bytes again, so it is acknowledged and recorded, and it changes nothing.
 */
export interface RejectedCheckout {
  provider: string;
  /** Null when the body carries no usable event id: then nothing can be recorded. */
  eventId: string | null;
  type: string | null;
  /** What is wrong with it, field by field. */
  reason: string;
  /** What still names a deal, each kept only if well-formed itself. */
  paymentLinkId: string | null;
  metadata: { orgId?: string; contactId?: string; dealId?: string };
}

/** `deal`: the deal it named, which the rejection is recorded against; null when it named none of ours. */
export interface RejectedCheckoutOutcome {
  status: 'rejected';
  deal: { orgId: string; id: string } | null;
  /** Recorded before: a redelivery. */
  duplicate: boolean;
}

async function dealOf(
  db: Db,
  checkout: { paymentLinkId: string | null; metadata: { orgId?: string; dealId?: string } },
): Promise<PaymentDeal | null> {
  // A re-quoted deal has a newer link; a payment through the older one names the deal in its metadata.
  const byLink = checkout.paymentLinkId ? await findDealByPaymentLink(db, checkout.paymentLinkId) : null;
  const deal =
    byLink ?? (checkout.metadata.dealId ? await findPaymentDeal(db, checkout.metadata.dealId) : null);
  if (!deal) return null;
  // The metadata, when present, must agree with the deal the link belongs to.
  if (checkout.metadata.orgId && checkout.metadata.orgId !== deal.orgId) return null;
  if (checkout.metadata.dealId && checkout.metadata.dealId !== deal.id) return null;
  return deal;
}

export async function recordCompletedCheckout(
  db: Db,
  checkout: CompletedCheckout,
  now: Date = new Date(),
): Promise<CheckoutOutcome> {
  const deal = await dealOf(db, checkout);
  if (!deal) return { status: 'unknown_deal' };
  const actor: Actor = { type: 'system', id: checkout.provider };
  return db.transaction(async (tx): Promise<CheckoutOutcome> => {
    if (!(await recordWebhookReceipt(tx, deal.orgId, checkout.provider, checkout.eventId))) {
      return { status: 'duplicate', orgId: deal.orgId, dealId: deal.id };
    }
    if (!checkout.paid) return { status: 'unpaid', orgId: deal.orgId, dealId: deal.id };
    await tx.query('select 1 from deals where id = $1 for update', [deal.id]);
    const amountCents = checkout.amountCents ?? deal.amountCents ?? 0;
    const currency = checkout.currency ?? deal.currency;
    const insertPayment = (status: 'succeeded' | 'duplicate') =>
      tx.query<{ id: string }>(
        `insert into payments (org_id, deal_id, contact_id, provider, provider_ref, amount_cents, currency, status, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (org_id, provider, provider_ref) do nothing returning id`,
        [
          deal.orgId,
          deal.id,
          deal.contactId,
          checkout.provider,
          checkout.reference,
          amountCents,
          currency,
          status,
          now,
        ],
      );
    const earlier = await tx.query<{ id: string; provider_ref: string }>(
      `select id, provider_ref from payments where org_id = $1 and deal_id = $2 and status = 'succeeded' limit 1`,
      [deal.orgId, deal.id],
    );
    if (earlier[0] && earlier[0].provider_ref !== checkout.reference) {
      // The prospect paid twice (two tabs, a second link): one payment wins the deal.
      const extra = await insertPayment('duplicate');
      if (!extra[0]) return { status: 'duplicate', orgId: deal.orgId, dealId: deal.id };
      await recordAudit(tx, {
        orgId: deal.orgId,
        actor,
        action: 'payment.duplicate',
        entityType: 'deal',
        entityId: deal.id,
        contactId: deal.contactId,
        outcome: 'refused',
        details: {
          amountCents,
          currency,
          reference: checkout.reference,
          firstPaymentId: earlier[0].id,
          note: 'the deal was already paid: refund this payment',
        },
      });
      return { status: 'duplicate_payment', orgId: deal.orgId, dealId: deal.id, paymentId: extra[0].id };
    }
    const payment = await insertPayment('succeeded');
    // Another event (completed, then async success) already recorded this checkout.
    if (!payment[0]) return { status: 'duplicate', orgId: deal.orgId, dealId: deal.id };
    const paymentId = payment[0].id;
    await winDeal(tx, { orgId: deal.orgId, dealId: deal.id, actor, now, reason: 'payment completed' });
    await tx.query(
      `update contacts set status = 'won', routing = coalesce(routing, '{}'::jsonb) || $3::jsonb, updated_at = now()
       where org_id = $1 and id = $2`,
      [deal.orgId, deal.contactId, JSON.stringify({ paidAt: now.toISOString(), paymentId })],
    );
    // A won lead no longer holds a rep's capacity, nor waits in the queue.
    await releaseAssignmentWithin(tx, deal.orgId, deal.contactId, 'won', now);
    await emitEvent(tx, 'payment.completed', {
      orgId: deal.orgId,
      contactId: deal.contactId,
      dealId: deal.id,
      amountCents,
    });
    await recordAudit(tx, {
      orgId: deal.orgId,
      actor,
      action: 'payment.completed',
      entityType: 'deal',
      entityId: deal.id,
      contactId: deal.contactId,
      details: { amountCents, currency, reference: checkout.reference, eventId: checkout.eventId, paymentId },
    });
    return {
      status: 'recorded',
      orgId: deal.orgId,
      contactId: deal.contactId,
      dealId: deal.id,
      paymentId,
      amountCents,
    };
  });
}

/**
 * Records a rejected payment webhook once, against the deal it names: the provider's receipt (so a
 * redelivery is recognised, as for a processed event) and a refused audit entry with the reason,
 * in the lead's trail. The deal, the payments and the contact are not touched.
 */
export async function recordRejectedCheckout(
  db: Db,
  rejection: RejectedCheckout,
): Promise<RejectedCheckoutOutcome> {
  const { eventId } = rejection;
  const deal = eventId ? await dealOf(db, rejection) : null;
  if (!eventId || !deal) return { status: 'rejected', deal: null, duplicate: false };
  const duplicate = await db.transaction(async (tx) => {
    if (!(await recordWebhookReceipt(tx, deal.orgId, rejection.provider, eventId))) return true;
    await recordAudit(tx, {
      orgId: deal.orgId,
      actor: { type: 'system', id: rejection.provider },
      action: 'payment.rejected',
      entityType: 'deal',
      entityId: deal.id,
      contactId: deal.contactId,
      outcome: 'refused',
      details: { eventId, type: rejection.type, reason: rejection.reason },
    });
    return false;
  });
  return { status: 'rejected', deal: { orgId: deal.orgId, id: deal.id }, duplicate };
}
