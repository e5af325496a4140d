import type { Actor } from '../actor.ts';
import type { Db } from '../db.ts';
import { advanceDeal, leadDealId, openLeadDeal } from '../deals/deal-pipeline.ts';
import type { PaymentLink } from './payment-links.ts';

/**
 * The deal a self-service payment (routing mode C) wins. One per lead, with an id derived from
 * the contact id: a retried workflow step whose first attempt rolled back creates the same deal
 * again, so the provider sees the same request under the same idempotency key.
 */
export interface PaymentDeal {
  id: string;
  orgId: string;
  contactId: string;
  stage: string;
  amountCents: number | null;
  currency: string;
  paymentLinkId: string | null;
  paymentUrl: string | null;
  wonAt: Date | null;
}

interface DealRow {
  id: string;
  org_id: string;
  contact_id: string;
  stage: string;
  amount_cents: number | string | null;
  currency: string;
  payment_link_id: string | null;
  payment_url: string | null;
  won_at: Date | null;
}

export const toPaymentDeal = (row: DealRow): PaymentDeal => ({
  id: row.id,
  orgId: row.org_id,
  contactId: row.contact_id,
  stage: row.stage,
  amountCents: row.amount_cents === null ? null : Number(row.amount_cents),
  currency: row.currency,
  paymentLinkId: row.payment_link_id,
  paymentUrl: row.payment_url,
  wonAt: row.won_at,
});

/** The lead's deal id (core/deals): mode C pays the lead's one deal. */
export const paymentDealId = leadDealId;

/** The lead's payment deal, created at the price being offered if it does not exist yet. */
export async function openPaymentDeal(
  tx: Db,
  input: { orgId: string; contactId: string; amountCents: number; currency: string; actor: Actor },
): Promise<PaymentDeal> {
  const deal = await openLeadDeal(tx, input);
  const rows = await tx.query<DealRow>('select * from deals where org_id = $1 and id = $2 for update', [
    input.orgId,
    deal.id,
  ]);
  return toPaymentDeal(rows[0]!);
}

/** Stores the link on the deal (the first one stays) and moves the deal on to `proposal`. */
export async function attachPaymentLink(
  tx: Db,
  orgId: string,
  dealId: string,
  link: PaymentLink,
  actor: Actor,
): Promise<PaymentDeal> {
  await advanceDeal(tx, { orgId, dealId, to: 'proposal', actor, reason: 'payment link sent' });
  const rows = await tx.query<DealRow>(
    `update deals set payment_link_id = coalesce(payment_link_id, $3), payment_url = coalesce(payment_url, $4),
       updated_at = now()
     where org_id = $1 and id = $2 returning *`,
    [orgId, dealId, link.id, link.url],
  );
  return toPaymentDeal(rows[0]!);
}

/**
 * The closer's link for its current proposal replaces an earlier one (a re-quote); a won deal
 * keeps the link it was paid through. A payment through an older link still finds the deal by
 * the id in its metadata.
 */
export async function replacePaymentLink(
  tx: Db,
  orgId: string,
  dealId: string,
  link: PaymentLink,
): Promise<void> {
  await tx.query(
    `update deals set payment_link_id = $3, payment_url = $4, updated_at = now()
     where org_id = $1 and id = $2 and stage <> 'won'`,
    [orgId, dealId, link.id, link.url],
  );
}

/** A deal by id across organizations (the public test-mode payment page knows only the id). */
export async function findPaymentDeal(db: Db, dealId: string): Promise<PaymentDeal | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(dealId)) return null;
  const rows = await db.query<DealRow>('select * from deals where id = $1', [dealId]);
  return rows[0] ? toPaymentDeal(rows[0]) : null;
}

export async function findDealByPaymentLink(db: Db, paymentLinkId: string): Promise<PaymentDeal | null> {
  const rows = await db.query<DealRow>('select * from deals where payment_link_id = $1 limit 2', [
    paymentLinkId,
  ]);
  // Provider link ids are unique; two deals with one would be a data error, so trust neither.
  return rows.length === 1 ? toPaymentDeal(rows[0]!) : null;
}
