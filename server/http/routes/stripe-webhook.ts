import express, { Router } from 'express';
import type { Db } from '../../../core/db.ts';
import {
  recordCompletedCheckout,
  recordRejectedCheckout,
} from '../../../core/payments/checkout-completion.ts';
import { findPaymentDeal } from '../../../core/payments/payment-deals.ts';
import {
  type PaymentProvider,
  PaymentSignatureError,
  testPaymentLinkPrefix,
} from '../../../core/payments/payment-links.ts';
import { assignQueuedLeads, formatMoney } from '../../../core/routing/route-lead.ts';
import { sendProblem } from '../problem.ts';

/**
 * `POST /webhooks/stripe`: mounted before the JSON body parser, because the signature covers the
 * raw bytes. A missing, forged or stale `Stripe-Signature` is refused (400) before anything in
 * the body is read. A completed checkout wins its deal once, however often Stripe redelivers. A
 * signed event that is malformed (checked field by field in channels/payments) is answered 200,
 * since Stripe would only send the same bytes again: it is recorded as rejected, with the reason,
 * against the deal it names, logged, and changes nothing.
 *
 * Without STRIPE_SECRET_KEY, payment links are recorded test-mode links to `/pay/test/:dealId`:
 * a page that says so and can simulate the payment, so the demo runs end to end without Stripe.
 */
export function stripeWebhookRoutes(options: { db: Db; payments?: PaymentProvider }): Router {
  const { db } = options;
  const router = Router();
  const recorded = (options.payments?.links.mode ?? 'recorded') === 'recorded';

  router.post('/webhooks/stripe', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const webhooks = options.payments?.webhooks;
    if (!webhooks) {
      sendProblem(
        res,
        503,
        'Service Unavailable',
        'Stripe webhooks are not accepted: STRIPE_WEBHOOK_SECRET is not set',
      );
      return;
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let event: ReturnType<typeof webhooks.parse>;
    try {
      event = webhooks.parse(rawBody, req.get('stripe-signature'));
    } catch (error) {
      if (!(error instanceof PaymentSignatureError)) throw error;
      req.log.warn({ reason: error.message }, 'stripe webhook refused');
      sendProblem(res, 400, 'Bad Request', error.message);
      return;
    }
    if (event.kind === 'ignored') {
      res.json({ received: true, ignored: event.type });
      return;
    }
    if (event.kind === 'rejected') {
      const { eventId, type, reason } = event.rejection;
      const outcome = await recordRejectedCheckout(db, event.rejection);
      req.log.warn(
        {
          eventId,
          type,
          reason,
          orgId: outcome.deal?.orgId,
          dealId: outcome.deal?.id,
          duplicate: outcome.duplicate,
        },
        outcome.deal
          ? 'stripe webhook rejected: malformed event, recorded against its deal'
          : 'stripe webhook rejected: malformed event naming no deal of ours, not recorded',
      );
      res.json({ received: true, status: 'rejected', reason });
      return;
    }
    const outcome = await recordCompletedCheckout(db, event.checkout);
    if (outcome.status === 'recorded') {
      // A won lead may have held a rep's slot: the next waiting lead gets it now.
      await assignQueuedLeads({ db }, outcome.orgId).catch((error: unknown) =>
        req.log.error({ err: error, orgId: outcome.orgId }, 'assigning queued leads after a payment failed'),
      );
    }
    if (outcome.status === 'duplicate_payment') {
      // Acknowledged (Stripe must stop retrying) but not a second win: someone has to refund it.
      req.log.warn(
        { orgId: outcome.orgId, dealId: outcome.dealId, paymentId: outcome.paymentId },
        'stripe checkout paid a deal already won: recorded as duplicate, a refund is due',
      );
    }
    if (outcome.status === 'unknown_deal') {
      // Not a link QuotaHit made (or its deal is gone): acknowledged so Stripe stops retrying.
      req.log.warn({ eventId: event.checkout.eventId }, 'stripe checkout for an unknown payment link');
    }
    res.json({ received: true, status: outcome.status });
  });

  if (!recorded) return router;

  router.get('/pay/test/:dealId', async (req, res) => {
    const deal = await findPaymentDeal(db, req.params.dealId);
    if (!deal?.paymentLinkId?.startsWith(testPaymentLinkPrefix)) {
      sendProblem(res, 404, 'Not Found', 'no test-mode payment link with this id');
      return;
    }
    const amount = formatMoney(deal.amountCents ?? 0, deal.currency);
    const body =
      deal.stage === 'won'
        ? '<p><strong>Paid.</strong> This test-mode payment has been recorded.</p>'
        : `<p>Amount: <strong>${amount}</strong></p>
<form method="post"><button type="submit">Simulate payment (no charge)</button></form>`;
    res.type('html').send(page(body));
  });

  router.post('/pay/test/:dealId', async (req, res) => {
    const deal = await findPaymentDeal(db, req.params.dealId);
    if (!deal?.paymentLinkId?.startsWith(testPaymentLinkPrefix)) {
      sendProblem(res, 404, 'Not Found', 'no test-mode payment link with this id');
      return;
    }
    await recordCompletedCheckout(db, {
      provider: 'test',
      eventId: `test:${deal.id}`,
      reference: `test_${deal.id}`,
      paymentLinkId: deal.paymentLinkId,
      metadata: { orgId: deal.orgId, contactId: deal.contactId, dealId: deal.id },
      amountCents: deal.amountCents,
      currency: deal.currency,
      paid: true,
    });
    res.type('html').send(page('<p><strong>Paid.</strong> This test-mode payment has been recorded.</p>'));
  });

  return router;
}

const page = (body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Test-mode payment</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
.banner{background:#fef3c7;padding:.75rem 1rem;border-radius:8px}button{font:inherit;padding:.5rem 1rem}</style>
</head><body><h1>Test-mode payment</h1>
<p class="banner">Stripe is not configured on this server (no STRIPE_SECRET_KEY): this is a test-mode payment page. No card is asked for and no money moves.</p>
${body}</body></html>`;
