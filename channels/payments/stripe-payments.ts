import Stripe from 'stripe';
import type { CompletedCheckout } from '../../core/payments/checkout-completion.ts';
import {
  type PaymentLinks,
  type PaymentProvider,
  PaymentSignatureError,
  type PaymentWebhookEvent,
  recordedPaymentLinks,
} from '../../core/payments/payment-links.ts';

/**
 * Stripe behind core's payment interfaces: Payment Links (a one-time Price, then a Payment Link
 * carrying `{orgId, contactId, dealId}` as metadata, each call under an idempotency key) and the
 * signed webhook (`Stripe-Signature`, checked with `stripe.webhooks.constructEvent` before the
 * body is trusted). Without STRIPE_SECRET_KEY the links are recorded test-mode links on this
 * server; without STRIPE_WEBHOOK_SECRET webhooks are refused.
 */
export interface StripePaymentsOptions {
  secretKey?: string;
  webhookSecret?: string;
  /** STRIPE_BASE_URL: another API host (tests point it at a loopback server). */
  baseUrl?: string;
  /** Where recorded test-mode links point. */
  publicUrl: string;
  /** Seconds a webhook signature stays valid (Stripe's default: 300). */
  toleranceSeconds?: number;
}

/** Stripe's own client, pointed at STRIPE_BASE_URL when given. */
export function createStripeClient(secretKey: string, baseUrl?: string): Stripe {
  const url = baseUrl ? new URL(baseUrl) : null;
  return new Stripe(secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: 'QuotaHit' },
    ...(url
      ? {
          host: url.hostname,
          port: url.port || (url.protocol === 'http:' ? 80 : 443),
          protocol: url.protocol === 'http:' ? 'http' : 'https',
        }
      : {}),
  });
}

export function stripePaymentLinks(stripe: Stripe): PaymentLinks {
  return {
    mode: 'live',
    async create(request) {
      const metadata = { orgId: request.orgId, contactId: request.contactId, dealId: request.dealId };
      const price = await stripe.prices.create(
        {
          unit_amount: request.amountCents,
          currency: request.currency,
          product_data: { name: request.productName },
          metadata,
        },
        { idempotencyKey: `${request.idempotencyKey}:price` },
      );
      const link = await stripe.paymentLinks.create(
        {
          line_items: [{ price: price.id, quantity: 1 }],
          // Copied by Stripe to each checkout session the link creates: the webhook finds the deal by it.
          metadata,
          payment_intent_data: { metadata },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return { id: link.id, url: link.url };
    },
  };
}

/** The fields of a Checkout Session the webhook reads. */
interface CheckoutSessionFields {
  id: string;
  payment_link?: string | { id: string } | null;
  metadata?: Record<string, string> | null;
  amount_total?: number | null;
  currency?: string | null;
  payment_status?: string | null;
}

const checkoutEvents = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);

export function parseStripeEvent(event: {
  id: string;
  type: string;
  data: { object: unknown };
}): PaymentWebhookEvent {
  if (!checkoutEvents.has(event.type)) return { kind: 'ignored', eventId: event.id, type: event.type };
  const session = event.data.object as CheckoutSessionFields;
  const link = session.payment_link;
  const checkout: CompletedCheckout = {
    provider: 'stripe',
    eventId: event.id,
    reference: session.id,
    paymentLinkId: typeof link === 'string' ? link : (link?.id ?? null),
    metadata: session.metadata ?? {},
    amountCents: session.amount_total ?? null,
    currency: session.currency ?? null,
    // `unpaid` completes a checkout paid by a delayed method; async_payment_succeeded follows.
    paid: session.payment_status === 'paid' || session.payment_status === 'no_payment_required',
  };
  return { kind: 'checkout', checkout };
}

export function stripeWebhooks(webhookSecret: string, toleranceSeconds = 300): PaymentProvider['webhooks'] {
  return {
    parse(rawBody, signatureHeader) {
      if (!signatureHeader) throw new PaymentSignatureError('the Stripe-Signature header is missing');
      let event: { id: string; type: string; data: { object: unknown } };
      try {
        event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, webhookSecret, toleranceSeconds);
      } catch (error) {
        if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
          throw new PaymentSignatureError(`the Stripe-Signature does not verify: ${error.message}`);
        }
        throw error;
      }
      return parseStripeEvent(event);
    },
  };
}

/** The payment provider as configured: Stripe with a key, recorded test-mode links without. */
export function createStripePayments(options: StripePaymentsOptions): PaymentProvider {
  return {
    links: options.secretKey
      ? stripePaymentLinks(createStripeClient(options.secretKey, options.baseUrl))
      : recordedPaymentLinks(options.publicUrl),
    webhooks: options.webhookSecret ? stripeWebhooks(options.webhookSecret, options.toleranceSeconds) : null,
  };
}
