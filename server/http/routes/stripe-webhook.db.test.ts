import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripePayments } from '../../../channels/payments/stripe-payments.ts';
import { systemActor } from '../../../core/actor.ts';
import { upsertLead } from '../../../core/leads.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { type StripeLoopback, startStripeLoopback } from '../../../tests/support/stripe-loopback.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import type { Database } from '../../db/database.ts';
import { createApp } from '../app.ts';

const webhookSecret = 'whsec_test_quotahit';

let db: Database;
let stripe: StripeLoopback;
let server: TestServer;
let apiKey: string;
let orgId: string;
const payments = () =>
  createStripePayments({
    secretKey: 'sk_test_quotahit',
    webhookSecret,
    baseUrl: stripe.url,
    publicUrl: 'https://sales.example.com',
  });

beforeAll(async () => {
  db = await createTestDatabase();
  stripe = await startStripeLoopback();
  server = await startTestServer(db, { payments: payments() });
  ({ orgId, apiKey } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterAll(async () => {
  await server.close();
  await stripe.close();
  await db.close();
});

/** A lead small and hot enough for self-service, routed through the API: → {contactId, dealId, paymentLinkId}. */
async function routedToPaymentLink() {
  const { lead } = await upsertLead(
    db,
    orgId,
    { email: `buyer-${Date.now()}@prospect.example` },
    systemActor,
  );
  await db.query(
    `update contacts set lead_score = 70, status = 'qualified', qualification = $2::jsonb where id = $1`,
    [
      lead.id,
      JSON.stringify({
        outcome: 'QUALIFIED',
        bant: { budget: { amountCents: 100_000 }, timeline: { withinDays: 3 } },
      }),
    ],
  );
  const routed = await server.request('POST', '/api/leads/route', {
    key: apiKey,
    body: { contactId: lead.id },
  });
  expect(routed.status).toBe(200);
  expect(routed.body).toMatchObject({
    mode: 'C',
    paymentUrl: expect.stringMatching(/^https:\/\/buy\.stripe\.com\//),
  });
  const [deal] = await db.query<{ id: string; payment_link_id: string }>(
    'select id, payment_link_id from deals where contact_id = $1',
    [lead.id],
  );
  return { contactId: lead.id, dealId: deal!.id, paymentLinkId: deal!.payment_link_id };
}

function checkoutCompleted(
  eventId: string,
  paymentLinkId: string | null,
  metadata: Record<string, string>,
  fields: Record<string, unknown> = {},
) {
  return JSON.stringify({
    id: eventId,
    object: 'event',
    type: 'checkout.session.completed',
    data: {
      object: {
        id: `cs_test_${eventId}`,
        object: 'checkout.session',
        payment_link: paymentLinkId,
        payment_status: 'paid',
        amount_total: 4_900,
        currency: 'usd',
        metadata,
        ...fields,
      },
    },
  });
}

const deliver = (payload: string, signature?: string) =>
  server.request('POST', '/webhooks/stripe', {
    rawBody: payload,
    headers: signature === undefined ? {} : { 'stripe-signature': signature },
  });

const sign = (payload: string, secret = webhookSecret) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret });

const state = async (contactId: string, dealId: string) => ({
  contact: (await db.query<{ status: string }>('select status from contacts where id = $1', [contactId]))[0]!
    .status,
  deal: (
    await db.query<{ stage: string; won_at: Date | null }>('select stage, won_at from deals where id = $1', [
      dealId,
    ])
  )[0]!,
  payments: await db.query<{ amount_cents: string; provider_ref: string }>(
    'select amount_cents, provider_ref from payments where deal_id = $1',
    [dealId],
  ),
  events: await db.query<{ data: Record<string, unknown> }>(
    `select data from events where name = 'payment.completed' and data ->> 'contactId' = $1`,
    [contactId],
  ),
});

describe('POST /webhooks/stripe', () => {
  it('wins the deal of a signed completed checkout exactly once, however often Stripe redelivers it', async () => {
    const { contactId, dealId, paymentLinkId } = await routedToPaymentLink();
    const payload = checkoutCompleted('evt_paid_1', paymentLinkId, { orgId, contactId, dealId });
    const first = await deliver(payload, sign(payload));
    expect(first).toMatchObject({ status: 200, body: { received: true, status: 'recorded' } });
    // Stripe retries with the same event (a fresh signature each time).
    const replay = await deliver(payload, sign(payload));
    expect(replay).toMatchObject({ status: 200, body: { received: true, status: 'duplicate' } });
    const after = await state(contactId, dealId);
    expect(after.contact).toBe('won');
    expect(after.deal.stage).toBe('won');
    expect(after.deal.won_at).toBeInstanceOf(Date);
    expect(after.payments).toEqual([{ amount_cents: expect.anything(), provider_ref: 'cs_test_evt_paid_1' }]);
    expect(Number(after.payments[0]!.amount_cents)).toBe(4_900);
    expect(after.events.map((row) => row.data)).toEqual([{ orgId, contactId, dealId, amountCents: 4_900 }]);
    const lead = await server.request('GET', `/api/leads/${contactId}`, { key: apiKey });
    expect(lead.body).toMatchObject({ status: 'won', routing: { mode: 'C', paidAt: expect.any(String) } });
  });

  it('keeps a second, different payment for a won deal apart: one won, one payment.completed, a refund due', async () => {
    const { contactId, dealId, paymentLinkId } = await routedToPaymentLink();
    const firstTab = checkoutCompleted('evt_tab_1', paymentLinkId, { orgId, contactId, dealId });
    const secondTab = checkoutCompleted('evt_tab_2', paymentLinkId, { orgId, contactId, dealId });
    expect((await deliver(firstTab, sign(firstTab))).body).toMatchObject({ status: 'recorded' });
    expect((await deliver(secondTab, sign(secondTab))).body).toMatchObject({ status: 'duplicate_payment' });
    expect((await deliver(secondTab, sign(secondTab))).body).toMatchObject({ status: 'duplicate' });
    const after = await state(contactId, dealId);
    expect(after.deal.stage).toBe('won');
    expect(after.events).toHaveLength(1);
    const payments = await db.query<{ provider_ref: string; status: string }>(
      'select provider_ref, status from payments where deal_id = $1 order by provider_ref',
      [dealId],
    );
    expect(payments).toEqual([
      { provider_ref: 'cs_test_evt_tab_1', status: 'succeeded' },
      { provider_ref: 'cs_test_evt_tab_2', status: 'duplicate' },
    ]);
    const refunds = await db.query(
      `select 1 from audit_log where entity_id = $1 and action = 'payment.duplicate' and outcome = 'refused'`,
      [dealId],
    );
    expect(refunds).toHaveLength(1);
    const history = await server.request('GET', `/api/deals/${dealId}`, { key: apiKey });
    expect((history.body.history as { toStage: string }[]).map((change) => change.toStage)).toEqual([
      'qualified',
      'proposal',
      'won',
    ]);
  });

  it('refuses a forged, tampered or missing signature with 400 and changes nothing', async () => {
    const { contactId, dealId, paymentLinkId } = await routedToPaymentLink();
    const payload = checkoutCompleted('evt_forged', paymentLinkId, { orgId, contactId, dealId });
    const forged = await deliver(payload, sign(payload, 'whsec_attacker'));
    expect(forged.status).toBe(400);
    expect(forged.contentType).toMatch(/application\/problem\+json/);
    expect(forged.body.detail).toMatch(/Stripe-Signature does not verify/);
    const tampered = await deliver(payload.replace('"paid"', '"paid" '), sign(payload));
    expect(tampered.status).toBe(400);
    expect((await deliver(payload)).status).toBe(400);
    const stale = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: webhookSecret,
      timestamp: Math.floor(Date.now() / 1000) - 3_600,
    });
    expect((await deliver(payload, stale)).status).toBe(400);
    const unchanged = await state(contactId, dealId);
    expect(unchanged.contact).toBe('routed');
    expect(unchanged.deal.stage).toBe('proposal');
    expect(unchanged.payments).toEqual([]);
    expect(unchanged.events).toEqual([]);
    // The receipt was not recorded either: the genuine event is still processed.
    expect((await deliver(payload, sign(payload))).body).toMatchObject({ status: 'recorded' });
  });

  it('acknowledges events it does not act on and checkouts for links it did not make', async () => {
    const other = JSON.stringify({
      id: 'evt_other',
      object: 'event',
      type: 'invoice.paid',
      data: { object: {} },
    });
    expect((await deliver(other, sign(other))).body).toEqual({ received: true, ignored: 'invoice.paid' });
    const foreign = checkoutCompleted('evt_foreign', 'plink_not_ours', {});
    expect((await deliver(foreign, sign(foreign))).body).toEqual({ received: true, status: 'unknown_deal' });
  });

  it('does not trust metadata that disagrees with the deal the payment link belongs to', async () => {
    const { contactId, dealId, paymentLinkId } = await routedToPaymentLink();
    const { orgId: otherOrg } = await createOrganization(db, { name: 'Globex' }, systemActor);
    const payload = checkoutCompleted('evt_mismatch', paymentLinkId, { orgId: otherOrg, contactId, dealId });
    expect((await deliver(payload, sign(payload))).body).toMatchObject({ status: 'unknown_deal' });
    expect((await state(contactId, dealId)).deal.stage).toBe('proposal');
  });
});

/** The rejections recorded in the deal's audit trail, oldest first. */
const rejectionsOf = (dealId: string) =>
  db.query<{ outcome: string; actor_id: string; contact_id: string; details: Record<string, unknown> }>(
    `select outcome, actor_id, contact_id, details from audit_log
     where action = 'payment.rejected' and entity_id = $1 order by seq`,
    [dealId],
  );
const receiptsOf = (eventId: string) =>
  db.query<{ org_id: string }>(
    `select org_id from webhook_receipts where provider = 'stripe' and provider_event_id = $1`,
    [eventId],
  );
const untouched = { contact: 'routed', deal: { stage: 'proposal', won_at: null }, payments: [], events: [] };

type Lead = Awaited<ReturnType<typeof routedToPaymentLink>>;
let malformed = 0;

describe('POST /webhooks/stripe with a signed but malformed checkout', () => {
  it.each<[string, (lead: Lead) => Record<string, unknown>, RegExp]>([
    ['amount_total "abc"', () => ({ amount_total: 'abc' }), /^amount_total: .*expected number/],
    ['a negative amount_total', () => ({ amount_total: -4_900 }), /^amount_total: .*>=\s?0/],
    [
      'an amount_total in fractions of a cent',
      () => ({ amount_total: 49.5 }),
      /^amount_total: .*expected int,/,
    ],
    ['a currency that is a number', () => ({ currency: 840 }), /^currency: .*expected string/],
    ['a currency that is no ISO code', () => ({ currency: 'US dollars' }), /^currency: not a lower-case ISO/],
    [
      'metadata without the dealId',
      ({ contactId }) => ({ metadata: { orgId, contactId } }),
      /^metadata\.dealId: missing$/,
    ],
    [
      'a metadata id that is not a UUID',
      ({ contactId, dealId }) => ({ metadata: { orgId: 'acme', contactId, dealId } }),
      /^metadata\.orgId: not a UUID$/,
    ],
    [
      'a metadata id that is not a string',
      ({ contactId, dealId }) => ({ metadata: { orgId: 42, contactId, dealId } }),
      /^metadata\.orgId: .*expected string/,
    ],
    ['metadata that is not an object', () => ({ metadata: 'org=acme' }), /^metadata: .*expected record/],
    ['no session id', () => ({ id: null }), /^id: /],
  ])(
    'acknowledges one with %s, records it as rejected with the reason, and changes nothing',
    async (_, fields, reason) => {
      const lead = await routedToPaymentLink();
      const eventId = `evt_malformed_${++malformed}`;
      const metadata = { orgId, contactId: lead.contactId, dealId: lead.dealId };
      const payload = checkoutCompleted(eventId, lead.paymentLinkId, metadata, fields(lead));
      const response = await deliver(payload, sign(payload));
      expect(response).toMatchObject({
        status: 200,
        body: { received: true, status: 'rejected', reason: expect.stringMatching(reason) },
      });
      const recorded = {
        outcome: 'refused',
        actor_id: 'stripe',
        contact_id: lead.contactId,
        details: { eventId, type: 'checkout.session.completed', reason: response.body.reason },
      };
      expect(await rejectionsOf(lead.dealId)).toEqual([recorded]);
      expect(await receiptsOf(eventId)).toEqual([{ org_id: orgId }]);
      // Stripe redelivers it: acknowledged again, recorded once.
      const again = await deliver(payload, sign(payload));
      expect(again).toMatchObject({ status: 200, body: { status: 'rejected' } });
      expect(await rejectionsOf(lead.dealId)).toEqual([recorded]);
      expect(await state(lead.contactId, lead.dealId)).toEqual(untouched);
    },
  );

  it('acknowledges one that names no deal of ours, recording it nowhere', async () => {
    const lead = await routedToPaymentLink();
    const payload = checkoutCompleted(
      'evt_malformed_foreign',
      null,
      { dealId: 'not-ours' },
      { amount_total: 'abc' },
    );
    const response = await deliver(payload, sign(payload));
    expect(response).toMatchObject({ status: 200, body: { received: true, status: 'rejected' } });
    expect(response.body.reason).toMatch(/amount_total/);
    expect(await receiptsOf('evt_malformed_foreign')).toEqual([]);
    expect(
      await db.query(`select 1 from audit_log where details ->> 'eventId' = 'evt_malformed_foreign'`),
    ).toEqual([]);
    expect(await state(lead.contactId, lead.dealId)).toEqual(untouched);
  });

  it('acknowledges a signed body that is not JSON', async () => {
    const payload = '{"id": "evt_truncated", "type": "checkout.sess';
    const response = await deliver(payload, sign(payload));
    expect(response).toMatchObject({
      status: 200,
      body: { received: true, status: 'rejected', reason: 'the body is not JSON' },
    });
  });

  it('logs the rejection as a warning, with the event, the reason and the deal', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = createApp({
      db,
      logger: pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) }),
      adminToken: 'test-admin-token',
      payments: payments(),
    });
    const logged: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const lead = await routedToPaymentLink();
      const payload = checkoutCompleted(
        'evt_malformed_logged',
        lead.paymentLinkId,
        { orgId, contactId: lead.contactId, dealId: lead.dealId },
        { amount_total: -1 },
      );
      const url = `http://127.0.0.1:${(logged.address() as AddressInfo).port}/webhooks/stripe`;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': sign(payload) },
        body: payload,
      });
      expect(response.status).toBe(200);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 40,
          msg: expect.stringMatching(/stripe webhook rejected/),
          eventId: 'evt_malformed_logged',
          reason: expect.stringMatching(/^amount_total/),
          orgId,
          dealId: lead.dealId,
        }),
      );
    } finally {
      await new Promise<void>((resolve) => {
        logged.close(() => resolve());
        logged.closeAllConnections();
      });
    }
  });
});

describe('without Stripe configured', () => {
  let recorded: TestServer;
  beforeAll(async () => {
    recorded = await startTestServer(db);
  });
  afterAll(() => recorded.close());

  it('refuses webhooks (503) and serves a clearly marked test-mode payment page that can simulate the payment', async () => {
    const webhook = await recorded.request('POST', '/webhooks/stripe', { rawBody: '{}' });
    expect(webhook.status).toBe(503);
    expect(webhook.body.detail).toMatch(/STRIPE_WEBHOOK_SECRET is not set/);

    const { lead } = await upsertLead(db, orgId, { email: 'test-mode@prospect.example' }, systemActor);
    await db.query(`update contacts set status = 'qualified', qualification = $2::jsonb where id = $1`, [
      lead.id,
      JSON.stringify({
        outcome: 'QUALIFIED',
        bant: { budget: { amountCents: 100_000 }, timeline: { withinDays: 3 } },
      }),
    ]);
    const routed = await recorded.request('POST', '/api/leads/route', {
      key: apiKey,
      body: { contactId: lead.id },
    });
    const paymentUrl = routed.body.paymentUrl as string;
    expect(paymentUrl).toBe(`${recorded.url}/pay/test/${routed.body.dealId}`);
    const page = await fetch(paymentUrl);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Stripe is not configured on this server');
    expect(html).toContain('$49.00');
    const paid = await fetch(paymentUrl, { method: 'POST' });
    expect(await paid.text()).toContain('This test-mode payment has been recorded');
    await fetch(paymentUrl, { method: 'POST' });
    const after = await state(lead.id, routed.body.dealId as string);
    expect(after.contact).toBe('won');
    expect(after.events).toHaveLength(1);
    expect((await fetch(`${recorded.url}/pay/test/${lead.id}`)).status).toBe(404);
  });
});
