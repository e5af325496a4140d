import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentSignatureError } from '../../core/payments/payment-links.ts';
import { type StripeLoopback, startStripeLoopback } from '../../tests/support/stripe-loopback.ts';
import { createStripePayments } from './stripe-payments.ts';

const secret = 'whsec_test_quotahit';
const request = {
  orgId: '7d8f1b1e-3c41-4a43-9e3c-1f0b8f6a2b10',
  contactId: '0b6f6a6e-4a77-4e0c-8a43-3a7c1c2f4d11',
  dealId: '1c5e8f0a-6d2b-8c1e-9f3a-2b4d6e8f0a12',
  amountCents: 4_900,
  currency: 'usd',
  productName: 'Starter plan',
  idempotencyKey: 'payment-link:0b6f6a6e-4a77-4e0c-8a43-3a7c1c2f4d11',
};

const sessionEvent = (fields: Record<string, unknown> = {}, type = 'checkout.session.completed') =>
  JSON.stringify({
    id: 'evt_1',
    object: 'event',
    type,
    data: {
      object: {
        id: 'cs_test_1',
        object: 'checkout.session',
        payment_link: 'plink_1',
        payment_status: 'paid',
        amount_total: 4_900,
        currency: 'usd',
        metadata: { orgId: request.orgId, contactId: request.contactId, dealId: request.dealId },
        ...fields,
      },
    },
  });

const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
  Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? secret,
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  });

describe('Stripe payment links (the real SDK against a loopback Stripe)', () => {
  let stripe: StripeLoopback;
  beforeAll(async () => {
    stripe = await startStripeLoopback();
  });
  afterAll(() => stripe.close());

  it('creates a one-time price, then a payment link carrying the deal, each under an idempotency key', async () => {
    const { links } = createStripePayments({
      secretKey: 'sk_test_abc',
      baseUrl: stripe.url,
      publicUrl: 'http://x',
    });
    expect(links.mode).toBe('live');
    const link = await links.create(request);
    expect(link).toEqual({
      id: expect.stringMatching(/^plink_/),
      url: `https://buy.stripe.com/test_${link.id}`,
    });
    const [price, paymentLink] = stripe.requests.slice(-2);
    expect(price).toMatchObject({
      method: 'POST',
      path: '/v1/prices',
      idempotencyKey: `${request.idempotencyKey}:price`,
      form: { unit_amount: '4900', currency: 'usd', 'product_data[name]': 'Starter plan' },
    });
    expect(paymentLink).toMatchObject({
      path: '/v1/payment_links',
      idempotencyKey: request.idempotencyKey,
      form: {
        'line_items[0][quantity]': '1',
        'metadata[orgId]': request.orgId,
        'metadata[contactId]': request.contactId,
        'metadata[dealId]': request.dealId,
        'payment_intent_data[metadata][dealId]': request.dealId,
        'restrictions[completed_sessions][limit]': '1',
      },
    });
    // The same key again is Stripe's replay of the same link, not a second one.
    expect(await links.create(request)).toEqual(link);
    expect([...stripe.created.values()].filter((object) => object.object === 'payment_link')).toHaveLength(1);
  });

  it('surfaces a refusal from Stripe as an error', async () => {
    const { links } = createStripePayments({
      secretKey: 'sk_test_abc',
      baseUrl: stripe.url,
      publicUrl: 'http://x',
    });
    stripe.failNext(400);
    await expect(links.create({ ...request, idempotencyKey: 'another-key' })).rejects.toThrow(
      /loopback failure/,
    );
  });

  it('without a secret key, records test-mode links on this server', async () => {
    const { links, webhooks } = createStripePayments({ publicUrl: 'https://sales.example.com/' });
    expect(links.mode).toBe('recorded');
    expect(await links.create(request)).toEqual({
      id: `plink_test_${request.dealId}`,
      url: `https://sales.example.com/pay/test/${request.dealId}`,
    });
    expect(webhooks).toBeNull();
  });
});

describe('Stripe webhooks', () => {
  const { webhooks } = createStripePayments({ publicUrl: 'http://x', webhookSecret: secret });

  it('parses a signed completed checkout', () => {
    const payload = sessionEvent();
    expect(webhooks!.parse(Buffer.from(payload), sign(payload))).toEqual({
      kind: 'checkout',
      checkout: {
        provider: 'stripe',
        eventId: 'evt_1',
        reference: 'cs_test_1',
        paymentLinkId: 'plink_1',
        metadata: { orgId: request.orgId, contactId: request.contactId, dealId: request.dealId },
        amountCents: 4_900,
        currency: 'usd',
        paid: true,
      },
    });
  });

  it('marks a checkout still awaiting a delayed payment as unpaid, and its later success as paid', () => {
    const pending = sessionEvent({ payment_status: 'unpaid' });
    expect(webhooks!.parse(Buffer.from(pending), sign(pending))).toMatchObject({ checkout: { paid: false } });
    const succeeded = sessionEvent({}, 'checkout.session.async_payment_succeeded');
    expect(webhooks!.parse(Buffer.from(succeeded), sign(succeeded))).toMatchObject({
      checkout: { paid: true },
    });
  });

  it('ignores event types it does not act on', () => {
    const payload = JSON.stringify({
      id: 'evt_2',
      object: 'event',
      type: 'customer.created',
      data: { object: {} },
    });
    expect(webhooks!.parse(Buffer.from(payload), sign(payload))).toEqual({
      kind: 'ignored',
      eventId: 'evt_2',
      type: 'customer.created',
    });
  });

  const ids = { orgId: request.orgId, contactId: request.contactId, dealId: request.dealId };

  it("keeps only QuotaHit's ids from the metadata, and takes a checkout without any as one of a link made elsewhere", () => {
    const extra = sessionEvent({ metadata: { ...ids, campaign: 'spring' } });
    expect(webhooks!.parse(Buffer.from(extra), sign(extra))).toMatchObject({ checkout: { metadata: ids } });
    const foreign = sessionEvent({ metadata: { campaign: 'spring' }, payment_link: null });
    expect(webhooks!.parse(Buffer.from(foreign), sign(foreign))).toMatchObject({
      kind: 'checkout',
      checkout: { metadata: {}, paymentLinkId: null },
    });
    const expanded = sessionEvent({
      payment_link: { id: 'plink_1', object: 'payment_link' },
      metadata: null,
    });
    expect(webhooks!.parse(Buffer.from(expanded), sign(expanded))).toMatchObject({
      checkout: { paymentLinkId: 'plink_1', metadata: {} },
    });
  });

  it.each<[string, Record<string, unknown>, string, Partial<typeof ids>]>([
    [
      'amount_total "abc"',
      { amount_total: 'abc' },
      'amount_total: Invalid input: expected number, received string',
      ids,
    ],
    [
      'a negative amount_total',
      { amount_total: -1 },
      'amount_total: Too small: expected number to be >=0',
      ids,
    ],
    [
      'a currency of the wrong type',
      { currency: 840 },
      'currency: Invalid input: expected string, received number',
      ids,
    ],
    [
      'metadata without the dealId',
      { metadata: { orgId: request.orgId, contactId: request.contactId } },
      'metadata.dealId: missing',
      { orgId: request.orgId, contactId: request.contactId },
    ],
    [
      'a metadata id that is not a UUID',
      { metadata: { ...ids, dealId: 'deal-1' } },
      'metadata.dealId: not a UUID',
      { orgId: request.orgId, contactId: request.contactId },
    ],
    ["a session id that is not Stripe's", { id: 'cs_test_1\u0000' }, 'id: not a Stripe id (cs_…)', ids],
    [
      'two things wrong',
      { amount_total: '49.00', currency: null, payment_status: 1 },
      'amount_total: Invalid input: expected number, received string; payment_status: Invalid input: expected string, received number',
      ids,
    ],
  ])(
    'rejects a signed checkout with %s, keeping what still names its deal',
    (_, fields, reason, metadata) => {
      const payload = sessionEvent(fields);
      expect(webhooks!.parse(Buffer.from(payload), sign(payload))).toEqual({
        kind: 'rejected',
        rejection: {
          provider: 'stripe',
          eventId: 'evt_1',
          type: 'checkout.session.completed',
          reason,
          paymentLinkId: 'plink_1',
          metadata,
        },
      });
    },
  );

  it('rejects, rather than throws on, a signed body that is not JSON or not an event', () => {
    const notJson = 'evt_1 paid';
    expect(webhooks!.parse(Buffer.from(notJson), sign(notJson))).toEqual({
      kind: 'rejected',
      rejection: {
        provider: 'stripe',
        eventId: null,
        type: null,
        reason: 'the body is not JSON',
        paymentLinkId: null,
        metadata: {},
      },
    });
    const emptyData = JSON.stringify({ id: 'evt_4', type: 'checkout.session.completed', data: {} });
    expect(webhooks!.parse(Buffer.from(emptyData), sign(emptyData))).toMatchObject({
      rejection: {
        eventId: 'evt_4',
        reason: 'data.object: Invalid input: expected object, received undefined',
      },
    });
    const noObject = JSON.stringify({ id: 'evt_3', object: 'event', type: 'checkout.session.completed' });
    expect(webhooks!.parse(Buffer.from(noObject), sign(noObject))).toMatchObject({
      kind: 'rejected',
      rejection: {
        eventId: 'evt_3',
        type: 'checkout.session.completed',
        reason: expect.stringMatching(/^data:/),
      },
    });
  });

  it('refuses a missing, forged, tampered or stale signature', () => {
    const payload = sessionEvent();
    const body = Buffer.from(payload);
    expect(() => webhooks!.parse(body, undefined)).toThrow(PaymentSignatureError);
    expect(() => webhooks!.parse(body, sign(payload, { secret: 'whsec_someone_else' }))).toThrow(
      PaymentSignatureError,
    );
    expect(() => webhooks!.parse(Buffer.from(sessionEvent({ amount_total: 1 })), sign(payload))).toThrow(
      PaymentSignatureError,
    );
    const anHourAgo = Math.floor(Date.now() / 1000) - 3_600;
    expect(() => webhooks!.parse(body, sign(payload, { timestamp: anHourAgo }))).toThrow(/timestamp/i);
    expect(() => webhooks!.parse(body, 't=1,v1=deadbeef')).toThrow(PaymentSignatureError);
  });
});
