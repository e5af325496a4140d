import type { CompletedCheckout, RejectedCheckout } from './checkout-completion.ts';

/**
 * How core asks a payment provider for a self-service payment link (routing mode C). The Stripe
 * implementation lives in channels/payments/stripe-payments.ts; without STRIPE_SECRET_KEY the
 * server uses `recordedPaymentLinks`, whose links point at a clearly marked test page on this
 * server — no provider is called and no money moves.
 */
export interface PaymentLinkRequest {
  orgId: string;
  contactId: string;
  /** The deal the payment will win; it travels as link metadata and comes back in the webhook. */
  dealId: string;
  amountCents: number;
  /** ISO 4217, lower case (`usd`). */
  currency: string;
  productName: string;
  /** Same key, same link: a retried call never creates a second one. */
  idempotencyKey: string;
}

export interface PaymentLink {
  /** The provider's id (`plink_...`); a completed checkout names it. */
  id: string;
  url: string;
}

export interface PaymentLinks {
  /** `live` talks to Stripe; `recorded` only records the link (test mode, no charge). */
  mode: 'live' | 'recorded';
  create(request: PaymentLinkRequest): Promise<PaymentLink>;
}

/** The path of the test-mode payment page a recorded link points at. */
export const testPaymentPath = (dealId: string) => `/pay/test/${dealId}`;

/** Prefix of a recorded link's id, so nothing mistakes it for a Stripe payment link. */
export const testPaymentLinkPrefix = 'plink_test_';

/**
 * Payment links without a provider: the link is this server's test-mode page for the deal. The
 * link is deterministic per deal, so creating it again is harmless.
 */
export function recordedPaymentLinks(publicUrl: string): PaymentLinks {
  const base = publicUrl.replace(/\/$/, '');
  return {
    mode: 'recorded',
    create: async (request) => ({
      id: `${testPaymentLinkPrefix}${request.dealId}`,
      url: `${base}${testPaymentPath(request.dealId)}`,
    }),
  };
}

/**
 * A verified provider webhook, reduced to what core acts on. `rejected`: signed by the provider
 * but not in the shape it documents, so it is acknowledged (a retry would bring the same bytes)
 * and recorded, and changes nothing.
 */
export type PaymentWebhookEvent =
  | { kind: 'checkout'; checkout: CompletedCheckout }
  | { kind: 'ignored'; eventId: string; type: string }
  | { kind: 'rejected'; rejection: RejectedCheckout };

/** Thrown when a webhook's signature is missing, forged or too old: nothing in it is trusted. */
export class PaymentSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentSignatureError';
  }
}

export interface PaymentWebhooks {
  /** Verifies the signature over the raw body, then parses; throws `PaymentSignatureError`. */
  parse(rawBody: Buffer, signatureHeader: string | undefined): PaymentWebhookEvent;
}

/** Payment links plus, when a webhook secret is configured, webhook verification. */
export interface PaymentProvider {
  links: PaymentLinks;
  webhooks: PaymentWebhooks | null;
}
