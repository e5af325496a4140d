import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
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
  | { status: 'unknown_deal' };

async function dealOf(db: Db, checkout: CompletedCheckout): Promise<PaymentDeal | null> {
  const deal = checkout.paymentLinkId
    ? await findDealByPaymentLink(db, checkout.paymentLinkId)
    : checkout.metadata.dealId
      ? await findPaymentDeal(db, checkout.metadata.dealId)
      : null;
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
    const payment = await tx.query<{ id: string }>(
      `insert into payments (org_id, deal_id, contact_id, provider, provider_ref, amount_cents, currency, status, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, 'succeeded', $8)
       on conflict (org_id, provider, provider_ref) do nothing returning id`,
      [
        deal.orgId,
        deal.id,
        deal.contactId,
        checkout.provider,
        checkout.reference,
        amountCents,
        currency,
        now,
      ],
    );
    // Another event (completed, then async success) already recorded this checkout.
    if (!payment[0]) return { status: 'duplicate', orgId: deal.orgId, dealId: deal.id };
    const paymentId = payment[0].id;
    await tx.query(
      `update deals set stage = 'won', won_at = coalesce(won_at, $3), updated_at = $3 where org_id = $1 and id = $2`,
      [deal.orgId, deal.id, now],
    );
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
