import Stripe from 'stripe';
import { z } from 'zod';
import type { CompletedCheckout, RejectedCheckout } from '../../core/payments/checkout-completion.ts';
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
 * signed webhook (`Stripe-Signature`, checked with Stripe's `webhooks.signature.verifyHeader`
 * before the body is read, then the body parsed with the zod schemas below). Without
 * STRIPE_SECRET_KEY the links are recorded test-mode links on this server; without
 * STRIPE_WEBHOOK_SECRET webhooks are refused.
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
          // One deal, one payment: Stripe deactivates the link after its first completed checkout.
          restrictions: { completed_sessions: { limit: 1 } },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return { id: link.id, url: link.url };
    },
  };
}

// Stripe's ids: a prefix, then letters, digits and underscores. Anything else (a NUL, a space)
// is not Stripe's, and some of it could not even be stored.
const stripeId = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_\\w+$`), `not a Stripe id (${prefix}_…)`);

/** The envelope of every event. */
const stripeEventSchema = z.object({
  id: stripeId('evt'),
  type: z.string().min(1),
  data: z.object({ object: z.looseObject({}) }),
});

const paymentLinkSchema = z.union([stripeId('plink'), z.object({ id: stripeId('plink') })]);

const metadataIds = ['orgId', 'contactId', 'dealId'] as const;

/**
 * The session's metadata, which Stripe copies from our payment link: QuotaHit's three ids, all of
 * them or none (the checkout of a link made elsewhere has none of them, or other keys). Only the
 * ids are kept.
 */
const checkoutMetadataSchema = z
  .record(z.string(), z.string())
  .nullish()
  .superRefine((metadata, ctx) => {
    if (!metadataIds.some((key) => metadata?.[key] !== undefined)) return;
    for (const key of metadataIds) {
      const value = metadata?.[key];
      if (value === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'missing' });
      else if (!z.uuid().safeParse(value).success)
        ctx.addIssue({ code: 'custom', path: [key], message: 'not a UUID' });
    }
  })
  .transform((metadata) =>
    Object.fromEntries(metadataIds.flatMap((key) => (metadata?.[key] ? [[key, metadata[key]]] : []))),
  );

/** The fields of a Checkout Session the webhook reads. */
const checkoutSessionSchema = z.object({
  id: stripeId('cs'),
  payment_link: paymentLinkSchema.nullish(),
  metadata: checkoutMetadataSchema,
  // Integer cents, as Stripe sends every amount; null when the session has no total.
  amount_total: z.number().int().nonnegative().nullish(),
  currency: z
    .string()
    .regex(/^[a-z]{3}$/, 'not a lower-case ISO 4217 code')
    .nullish(),
  payment_status: z.string().nullish(),
});

const checkoutEvents = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);

/** `amount_total: Invalid input: …; currency: …`, the paths relative to `root` (named when empty). */
const reasonOf = (error: z.ZodError, root: string) =>
  error.issues.map((issue) => `${issue.path.join('.') || root}: ${issue.message}`).join('; ');

/** A verified event that is not in Stripe's documented shape, with what still names its deal. */
function rejected(event: unknown, reason: string, object?: unknown): PaymentWebhookEvent {
  const field = (value: unknown, key: string) =>
    value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  const eventId = stripeId('evt').safeParse(field(event, 'id'));
  const type = z.string().min(1).safeParse(field(event, 'type'));
  const link = paymentLinkSchema.safeParse(field(object, 'payment_link'));
  const metadata = field(object, 'metadata');
  const rejection: RejectedCheckout = {
    provider: 'stripe',
    eventId: eventId.success ? eventId.data : null,
    type: type.success ? type.data : null,
    reason,
    paymentLinkId: link.success ? (typeof link.data === 'string' ? link.data : link.data.id) : null,
    metadata: Object.fromEntries(
      metadataIds.flatMap((key) => {
        const id = z.uuid().safeParse(field(metadata, key));
        return id.success ? [[key, id.data]] : [];
      }),
    ),
  };
  return { kind: 'rejected', rejection };
}

/** A parsed (not yet validated) webhook body → what core acts on. */
export function parseStripeEvent(body: unknown): PaymentWebhookEvent {
  const envelope = stripeEventSchema.safeParse(body);
  if (!envelope.success) return rejected(body, reasonOf(envelope.error, 'event'));
  const event = envelope.data;
  if (!checkoutEvents.has(event.type)) return { kind: 'ignored', eventId: event.id, type: event.type };
  const parsed = checkoutSessionSchema.safeParse(event.data.object);
  if (!parsed.success) return rejected(event, reasonOf(parsed.error, 'data.object'), event.data.object);
  const session = parsed.data;
  const link = session.payment_link;
  const checkout: CompletedCheckout = {
    provider: 'stripe',
    eventId: event.id,
    reference: session.id,
    paymentLinkId: typeof link === 'string' ? link : (link?.id ?? null),
    metadata: session.metadata,
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
      try {
        Stripe.webhooks.signature!.verifyHeader(rawBody, signatureHeader, webhookSecret, toleranceSeconds);
      } catch (error) {
        if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
          throw new PaymentSignatureError(`the Stripe-Signature does not verify: ${error.message}`);
        }
        throw error;
      }
      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return rejected(undefined, 'the body is not JSON');
      }
      return parseStripeEvent(body);
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
