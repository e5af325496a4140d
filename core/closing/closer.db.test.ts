import { randomUUID } from 'node:crypto';
import ICAL from 'ical.js';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineCloser } from '../../agents/offline-model/offline-closer.ts';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import { createStripePayments } from '../../channels/payments/stripe-payments.ts';
import type { Database } from '../../server/db/database.ts';
import {
  type ConversationHarness,
  createConversationHarness,
  newVisitorId,
} from '../../tests/support/conversation-harness.ts';
import { type StripeLoopback, startStripeLoopback } from '../../tests/support/stripe-loopback.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { takeOverConversation } from '../conversations/conversation-service.ts';
import { changeDeal, findLeadDeal, getDeal } from '../deals/deal-pipeline.ts';
import { addKnowledgeEntries } from '../knowledge-base.ts';
import { sendMeetingInvite } from '../meetings/meeting-invites.ts';
import { listMeetings } from '../meetings/meetings.ts';
import { setRepAvailability } from '../meetings/rep-availability.ts';
import { createOrganization } from '../organizations.ts';
import { recordCompletedCheckout } from '../payments/checkout-completion.ts';
import type { PaymentProvider } from '../payments/payment-links.ts';
import { createRep } from '../reps.ts';
import { followThroughRoute, type RoutingDeps, routeLead } from '../routing/route-lead.ts';
import { updateRoutingSettings } from '../routing/routing-settings.ts';
import { closerToolNames } from './closer-tools.ts';
import { onboardCustomer } from './customer-onboarding.ts';

/**
 * Routing mode A end to end on the offline models, through the real conversation service,
 * compliance gate, Stripe SDK (against a loopback Stripe) and signed webhooks: a qualified lead
 * gets a proposal, objects, agrees, pays, and becomes a customer; another books a demo.
 */
const webhookSecret = 'whsec_closer_test';
let db: Database;
let stripe: StripeLoopback;
let payments: PaymentProvider;
let harness: ConversationHarness;
let routing: RoutingDeps;
let orgId: string;
let repId: string;

const knowledge = [
  {
    kind: 'pricing' as const,
    title: 'Plans and pricing',
    body:
      'Starter: $49 per user per month, up to 10 users. Growth: $89 per user per month, from 11 users. ' +
      'Enterprise: custom pricing, from 200 users. Annual billing saves 20% on every plan.',
  },
  {
    kind: 'faq' as const,
    title: 'Security and data protection',
    body: 'All data is encrypted at rest (AES-256) and in transit (TLS 1.2+). We are SOC 2 Type II certified.',
  },
  {
    kind: 'faq' as const,
    title: 'Integrations',
    body: 'Native two-way sync with Salesforce and HubSpot; a REST API and webhooks for everything else.',
  },
  { kind: 'policy' as const, title: 'Contract terms', body: 'Monthly plans can be cancelled at any time.' },
  {
    kind: 'product' as const,
    title: 'Getting started',
    body: 'Your workspace is ready: invite your team from Settings → Users, and connect your CRM in one click.',
  },
];

beforeAll(async () => {
  db = await createTestDatabase();
  stripe = await startStripeLoopback();
  payments = createStripePayments({
    secretKey: 'sk_test_closer',
    webhookSecret,
    baseUrl: stripe.url,
    publicUrl: 'https://sales.example.com',
  });
  harness = createConversationHarness({
    db,
    model: createOfflineQualifier(),
    closing: {
      model: createOfflineCloser({ competitors: ['Clari'] }),
      tools: closerToolNames,
      payments: payments.links,
    },
  });
  routing = { db, payments: payments.links, conversations: harness.deps };
  ({ orgId, repId } = await newOrganization());
});
afterAll(async () => {
  await stripe.close();
  await db.close();
});

/** An organization with plans in its knowledge base, every lead routed to mode A, and a bookable rep. */
async function newOrganization(routing: { autonomousDealLimitCents?: number } = {}) {
  const { orgId } = await createOrganization(
    db,
    { name: 'Forecastly', settings: { physicalAddress: '1 Main St, Springfield' } },
    systemActor,
  );
  await addKnowledgeEntries(db, orgId, knowledge);
  await updateRoutingSettings(
    db,
    orgId,
    { enabledModes: ['A', 'B'], rules: [{ name: 'all-auto', mode: 'A' }], ...routing },
    systemActor,
  );
  const { repId } = await createRep(
    db,
    {
      orgId,
      email: `dana-${randomUUID().slice(0, 6)}@forecastly.example`,
      password: 'long-enough-pw',
      name: 'Dana Rivera',
    },
    systemActor,
  );
  const allDay = [{ start: '00:00', end: '23:59' }];
  const weekly = {
    mon: allDay,
    tue: allDay,
    wed: allDay,
    thu: allDay,
    fri: allDay,
    sat: allDay,
    sun: allDay,
  };
  await setRepAvailability(db, orgId, repId, { timeZone: 'UTC', weekly }, systemActor);
  return { orgId, repId };
}

/** A prospect who chatted on the widget and was qualified, routed to mode A: → contact and conversation. */
async function routedProspect(firstMessage: string, org = orgId) {
  const orgId = org;
  const visitor = newVisitorId();
  const first = await harness.chat(orgId, visitor, firstMessage);
  const { contactId } = first;
  const conversationId = first.conversation.id;
  await db.query(
    `update contacts set email = $3, first_name = 'Pat', lead_score = 80, status = 'qualified', qualification = $4::jsonb
     where org_id = $1 and id = $2`,
    [
      orgId,
      contactId,
      `pat-${randomUUID().slice(0, 8)}@prospect.example`,
      JSON.stringify({
        outcome: 'QUALIFIED',
        reasons: ['budget and need confirmed'],
        bant: {
          need: { identified: true, summary: 'forecasts are guesswork' },
          budget: { amountCents: 600_000, period: 'year', stated: true },
          authority: { role: 'VP Sales', isDecisionMaker: true },
          timeline: { withinDays: 30 },
        },
      }),
    ],
  );
  expect(await routeLead(routing, orgId, contactId)).toMatchObject({ mode: 'A' });
  return { visitor, contactId, conversationId };
}

const transcript = async (conversationId: string) =>
  db.query<{ direction: string; body: string; sender: string; metadata: Record<string, unknown> }>(
    'select direction, body, sender, metadata from messages where conversation_id = $1 order by seq',
    [conversationId],
  );
const lastReply = async (conversationId: string) =>
  (await transcript(conversationId)).filter((message) => message.direction === 'outbound').at(-1)!;
const auditActions = async (contactId: string) =>
  (
    await db.query<{ action: string }>('select action from audit_log where contact_id = $1 order by id', [
      contactId,
    ])
  ).map((row) => row.action);

describe('mode A: the closer converses', () => {
  it('proposes the fitting plan, answers objections from the knowledge base, sends a payment link, wins on a signed payment, onboards', async () => {
    const { visitor, contactId, conversationId } = await routedProspect(
      'Hi, we are a team of 8 sales reps and our forecasts are guesswork.',
    );
    const followed = await followThroughRoute(routing, orgId, contactId, 'A');
    expect(followed).toMatchObject({ mode: 'A', handedOff: true });

    // The opening: the plan that fits 8 users, priced from the knowledge base.
    const opening = await lastReply(conversationId);
    expect(opening.metadata).toMatchObject({
      agent: 'closer',
      idempotencyKey: `closer-opening:${conversationId}`,
    });
    expect(opening.body).toContain('Starter for 8 users: $392 a month ($4,704 a year)');
    let deal = (await findLeadDeal(db, orgId, contactId))!;
    expect(deal).toMatchObject({ stage: 'proposal', amountCents: 470_400 });
    // Following through again sends no second opening.
    await followThroughRoute(routing, orgId, contactId, 'A');
    expect((await transcript(conversationId)).filter((m) => m.metadata.agent === 'closer')).toHaveLength(1);

    // A price objection: answered with the knowledge base's own sentence; the deal negotiates.
    await harness.chat(orgId, visitor, 'Honestly that feels expensive for us.');
    const price = await lastReply(conversationId);
    expect(price.body).toContain('Annual billing saves 20% on every plan.');
    expect(price.body).not.toMatch(/\d+% (?:off|discount)(?! on every plan)/);
    deal = (await findLeadDeal(db, orgId, contactId))!;
    expect(deal.stage).toBe('negotiation');

    // Security and integrations: grounded, never invented.
    const security = await harness.chat(orgId, visitor, 'How do you handle security? Is our data encrypted?');
    expect((await lastReply(conversationId)).body).toContain('encrypted at rest (AES-256)');
    // The reply streamed to the widget as it was written, between typing events.
    const streamed = harness.feed
      .filter((event) => event.type === 'reply.delta' && event.inReplyTo === security.message.id)
      .map((event) => (event.type === 'reply.delta' ? event.delta : ''))
      .join('');
    expect(streamed).toBe((await lastReply(conversationId)).body);
    expect(
      harness.feed.filter((event) => event.type === 'typing' && event.conversationId === conversationId)
        .length,
    ).toBeGreaterThanOrEqual(2);
    await harness.chat(orgId, visitor, 'Do you integrate with HubSpot?');
    expect((await lastReply(conversationId)).body).toContain('Salesforce and HubSpot');
    // Something the knowledge base does not cover: no guess, a person offered.
    await harness.chat(orgId, visitor, 'Do you have a contractual uptime guarantee with penalties?');
    expect((await lastReply(conversationId)).body).toMatch(/don't want to guess|bring in someone/i);

    // Agreement: a real Stripe payment link for the proposed plan's first month.
    await harness.chat(orgId, visitor, "OK, sounds good. Let's do it.");
    const linkReply = await lastReply(conversationId);
    const url = /https:\/\/buy\.stripe\.com\/\S+/.exec(linkReply.body)?.[0];
    expect(url).toBeDefined();
    const linkRequests = stripe.requests.filter((request) => request.path === '/v1/payment_links');
    expect(linkRequests.at(-1)!.form).toMatchObject({
      'metadata[dealId]': deal.id,
      'metadata[orgId]': orgId,
    });
    const price49x8 = stripe.requests.filter((request) => request.path === '/v1/prices').at(-1)!;
    expect(price49x8.form).toMatchObject({ unit_amount: '39200', currency: 'usd' });
    deal = (await findLeadDeal(db, orgId, contactId))!;
    const dealRow = (
      await db.query<{ payment_url: string; payment_link_id: string }>(
        'select payment_url, payment_link_id from deals where id = $1',
        [deal.id],
      )
    )[0]!;
    expect(dealRow.payment_url).toBe(url);

    // The signed webhook of the completed checkout wins the deal.
    const payload = JSON.stringify({
      id: `evt_${randomUUID().slice(0, 8)}`,
      object: 'event',
      type: 'checkout.session.completed',
      data: {
        object: {
          id: `cs_test_${randomUUID().slice(0, 8)}`,
          object: 'checkout.session',
          payment_link: dealRow.payment_link_id,
          payment_status: 'paid',
          amount_total: 39_200,
          currency: 'usd',
          metadata: { orgId, dealId: deal.id, contactId },
        },
      },
    });
    const event = payments.webhooks!.parse(
      Buffer.from(payload),
      Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret }),
    );
    expect(event.kind).toBe('checkout');
    if (event.kind !== 'checkout') return;
    expect(await recordCompletedCheckout(db, event.checkout)).toMatchObject({ status: 'recorded' });
    expect((await getDeal(db, orgId, deal.id)).stage).toBe('won');

    // Ops onboards the customer, once.
    const onboarded = await onboardCustomer(harness.deps, orgId, deal.id);
    expect(onboarded).toMatchObject({ onboarded: true, customer: true, channel: 'web' });
    expect(await onboardCustomer(harness.deps, orgId, deal.id)).toMatchObject({
      onboarded: true,
      customer: false,
    });
    const welcome = (await transcript(conversationId)).filter((m) => m.metadata.agent === 'ops');
    expect(welcome).toHaveLength(1);
    expect(welcome[0]!.body).toContain('invite your team from Settings');
    const contact = (
      await db.query<{ status: string; customer_since: Date | null }>(
        'select status, customer_since from contacts where id = $1',
        [contactId],
      )
    )[0]!;
    expect(contact.status).toBe('customer');
    expect(contact.customer_since).toBeInstanceOf(Date);
    expect(await auditActions(contactId)).toEqual(
      expect.arrayContaining([
        'closer.proposed',
        'closer.objection_answered',
        'payment_link.sent',
        'customer.onboarded',
      ]),
    );
    const turns = await db.query<{ agent: string }>(
      'select agent from agent_turns where conversation_id = $1',
      [conversationId],
    );
    expect(turns.filter((turn) => turn.agent === 'closer').length).toBeGreaterThanOrEqual(6);
  });

  it('offers real free demo times and books the one chosen, with both invitations valid iCalendar', async () => {
    const { visitor, contactId, conversationId } = await routedProspect(
      'Hello, we have 25 reps and need pipeline visibility.',
    );
    await followThroughRoute(routing, orgId, contactId, 'A');
    expect((await lastReply(conversationId)).body).toContain('Growth for 25 users');

    await harness.chat(orgId, visitor, 'Before we commit, could we see a demo?');
    const offer = (await lastReply(conversationId)).body;
    expect(offer).toMatch(/1\. .+\(UTC\)\n2\. /);
    await harness.chat(orgId, visitor, 'Option 2 works for me.');
    expect((await lastReply(conversationId)).body).toMatch(/booked for .+\(UTC\)/);
    const meetings = await listMeetings(db, orgId, { contactId });
    expect(meetings).toHaveLength(1);
    expect(meetings[0]).toMatchObject({ status: 'booked', repId, conversationId });
    const label = /2\. (.+)/.exec(offer)![1]!;
    expect((await lastReply(conversationId)).body).toContain(label);

    for (const recipient of ['prospect', 'rep'] as const) {
      await sendMeetingInvite({ db, deliver: harness.deps.deliver }, orgId, meetings[0]!.id, recipient);
    }
    const invites = await db.query<{ attachments: { content: string }[] }>(
      `select attachments from outbound_deliveries where org_id = $1 and idempotency_key like $2 order by idempotency_key`,
      [orgId, `meeting-invite:${meetings[0]!.id}:%`],
    );
    expect(invites).toHaveLength(2);
    for (const invite of invites) {
      const calendar = new ICAL.Component(ICAL.parse(invite.attachments[0]!.content));
      expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
      const vevent = calendar.getFirstSubcomponent('vevent')!;
      expect((vevent.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().getTime()).toBe(
        meetings[0]!.startsAt.getTime(),
      );
    }
  });

  it('hands a deal above the autonomous limit to a rep without quoting a price', async () => {
    const limited = (await newOrganization({ autonomousDealLimitCents: 1_000_000 })).orgId;
    const { contactId, conversationId } = await routedProspect(
      'We are a team of 40 sellers and need forecasting.',
      limited,
    );
    await followThroughRoute(routing, limited, contactId, 'A');
    const opening = await lastReply(conversationId);
    expect(opening.body).toMatch(/person from our team will prepare the offer/);
    expect(opening.body).not.toMatch(/\$\d/);
    const conversation = (
      await db.query<{ waiting_for_rep_since: Date | null; agent_state: Record<string, unknown> }>(
        'select waiting_for_rep_since, agent_state from conversations where id = $1',
        [conversationId],
      )
    )[0]!;
    expect(conversation.waiting_for_rep_since).toBeInstanceOf(Date);
    expect(String(conversation.agent_state.handoffReason)).toMatch(/above the autonomous limit/);
    expect(await harness.events(limited, 'conversation.handoff.requested')).toEqual([
      expect.objectContaining({ conversationId }),
    ]);
    expect((await findLeadDeal(db, limited, contactId))!.stage).toBe('qualified');
  });

  it("keeps a rep's deal moves and stays silent once a rep takes over mid-deal", async () => {
    const { visitor, contactId, conversationId } = await routedProspect('Hi, a team of 6 reps here.');
    await followThroughRoute(routing, orgId, contactId, 'A');
    const deal = (await findLeadDeal(db, orgId, contactId))!;
    // A rep marks it lost while the closer is still talking: the closer's objection turn must not reopen it.
    await changeDeal(db, {
      orgId,
      dealId: deal.id,
      patch: { stage: 'lost', lostReason: 'chose a competitor' },
      actor: { type: 'rep', id: repId },
    });
    await harness.chat(orgId, visitor, 'That seems expensive.');
    expect((await getDeal(db, orgId, deal.id)).stage).toBe('lost');

    await takeOverConversation(harness.deps, {
      orgId,
      conversationId,
      repId,
      actor: { type: 'rep', id: repId },
    });
    const before = (await transcript(conversationId)).length;
    await harness.chat(orgId, visitor, "Fine, let's do it then.");
    const after = await transcript(conversationId);
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)!.direction).toBe('inbound');
  });
});
