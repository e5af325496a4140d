import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import { createStripePayments } from '../../channels/payments/stripe-payments.ts';
import type { Database } from '../../server/db/database.ts';
import { createConversationHarness } from '../../tests/support/conversation-harness.ts';
import { type StripeLoopback, startStripeLoopback } from '../../tests/support/stripe-loopback.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import type { ConversationServiceDeps } from '../conversations/conversation-service.ts';
import { findLeadDeal } from '../deals/deal-pipeline.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { type PaymentLinks, recordedPaymentLinks } from '../payments/payment-links.ts';
import { setRepPhone } from './rep-phone.ts';
import {
  assignQueuedLeads,
  followThroughRoute,
  type RoutingDeps,
  releaseRepLead,
  routeLead,
} from './route-lead.ts';
import { type RoutingSettingsInput, updateRoutingSettings } from './routing-settings.ts';

let db: Database;
let conversations: ConversationServiceDeps;
let deps: RoutingDeps;
const publicUrl = 'https://sales.example.com';

beforeAll(async () => {
  db = await createTestDatabase();
  conversations = createConversationHarness({ db, model: createOfflineQualifier() }).deps;
  deps = { db, payments: recordedPaymentLinks(publicUrl), conversations };
});
afterAll(() => db.close());

async function newOrg(routing?: RoutingSettingsInput): Promise<string> {
  const { orgId } = await createOrganization(db, { name: `Org ${randomUUID().slice(0, 6)}` }, systemActor);
  if (routing) await updateRoutingSettings(db, orgId, routing, systemActor);
  return orgId;
}

async function addRep(
  orgId: string,
  fields: {
    name: string;
    territory?: string;
    expertise?: string[];
    capacity?: number;
    winRate?: number;
    phone?: string;
  },
): Promise<string> {
  const rows = await db.query<{ id: string }>(
    `insert into users (org_id, email, password_hash, name, territory, expertise, capacity, win_rate)
     values ($1, $2, 'not-a-login', $3, $4, $5, $6, $7) returning id`,
    [
      orgId,
      `${fields.name.toLowerCase()}-${randomUUID().slice(0, 8)}@acme.example`,
      fields.name,
      fields.territory ?? null,
      fields.expertise ?? [],
      fields.capacity ?? 20,
      fields.winRate ?? 0.3,
    ],
  );
  const repId = rows[0]!.id;
  if (fields.phone) await setRepPhone(db, orgId, repId, fields.phone, systemActor);
  return repId;
}

interface LeadFields {
  country?: string;
  timezone?: string;
  industry?: string;
  budgetCents?: number;
  withinDays?: number;
  score?: number;
  outcome?: 'QUALIFIED' | 'NURTURE' | 'DISQUALIFIED';
  status?: string;
}

/** A lead as the qualifier and scoring leave it: scored, with BANT+ findings and an outcome. */
async function qualifiedLead(orgId: string, fields: LeadFields = {}): Promise<string> {
  const { lead } = await upsertLead(
    db,
    orgId,
    {
      email: `lead-${randomUUID().slice(0, 8)}@prospect.example`,
      firstName: 'Pat',
      lastName: 'Lee',
      title: 'Head of Sales',
      company: 'Prospect Co',
      ...(fields.country ? { country: fields.country } : {}),
      ...(fields.industry ? { industry: fields.industry } : {}),
    },
    systemActor,
  );
  const bant = {
    need: { identified: true, summary: 'forecasts are guesswork', painPoints: ['stalled deals'] },
    authority: { role: 'Head of Sales', isDecisionMaker: false, decisionMaker: 'CFO' },
    competition: { current: ['spreadsheets'], evaluating: ['Clari'] },
    ...(fields.budgetCents !== undefined
      ? { budget: { amountCents: fields.budgetCents, period: 'year' } }
      : {}),
    ...(fields.withinDays !== undefined ? { timeline: { withinDays: fields.withinDays } } : {}),
  };
  await db.query(
    `update contacts set lead_score = $3, score_breakdown = $4::jsonb, qualification = $5::jsonb, timezone = $6,
       status = $7 where org_id = $1 and id = $2`,
    [
      orgId,
      lead.id,
      fields.score ?? 60,
      JSON.stringify([
        { signal: 'icpMatch', points: 20, max: 20, reason: 'Software is a target industry' },
        { signal: 'intent', points: 4, max: 10, reason: 'demo_request is an inbound source' },
      ]),
      JSON.stringify({
        bant,
        outcome: fields.outcome ?? 'QUALIFIED',
        reasons: ['budget and need confirmed'],
        engagement: { messages: 4 },
      }),
      fields.timezone ?? null,
      fields.status ?? 'qualified',
    ],
  );
  return lead.id;
}

const eventsOf = (orgId: string, name: string) =>
  db
    .query<{ data: Record<string, unknown> }>(
      'select data from events where org_id = $1 and name = $2 order by seq',
      [orgId, name],
    )
    .then((rows) => rows.map((row) => row.data));

const contactRow = async (contactId: string) =>
  (
    await db.query<{ status: string; routing: Record<string, unknown> }>(
      'select status, routing from contacts where id = $1',
      [contactId],
    )
  )[0]!;

const auditActions = async (contactId: string) =>
  (
    await db.query<{ action: string }>('select action from audit_log where contact_id = $1 order by seq', [
      contactId,
    ])
  ).map((row) => row.action);

async function openConversation(orgId: string, contactId: string, agentSaid?: string): Promise<string> {
  const [conversation] = await db.query<{ id: string }>(
    `insert into conversations (org_id, contact_id, channel) values ($1, $2, 'web') returning id`,
    [orgId, contactId],
  );
  if (agentSaid) {
    await db.query(
      `insert into messages (org_id, conversation_id, contact_id, direction, channel, sender, body, status)
       values ($1, $2, $3, 'outbound', 'web', 'agent', $4, 'sent')`,
      [orgId, conversation!.id, contactId, agentSaid],
    );
  }
  return conversation!.id;
}

describe('routeLead: choosing the mode', () => {
  it('sends each lead where its rules say: small and hot → C, large → B, very hot with A on → A', async () => {
    const orgId = await newOrg({ enabledModes: ['A', 'B', 'C'] });
    const repId = await addRep(orgId, { name: 'Dana', territory: 'US-West' });
    const small = await qualifiedLead(orgId, { budgetCents: 300_000, withinDays: 14, score: 62 });
    const large = await qualifiedLead(orgId, {
      budgetCents: 6_000_000,
      withinDays: 14,
      score: 70,
      country: 'US',
    });
    const hot = await qualifiedLead(orgId, { budgetCents: 500_000, withinDays: 7, score: 88 });

    const c = await routeLead(deps, orgId, small);
    expect(c).toMatchObject({ mode: 'C', paymentUrl: expect.stringMatching(`^${publicUrl}/pay/test/`) });
    expect(c.reasons.join('\n')).toMatch(/rule self-serve/);
    const b = await routeLead(deps, orgId, large);
    expect(b).toMatchObject({ mode: 'B', repId, queued: false });
    expect(b.reasons.join('\n')).toMatch(/rule large-deal: deal \$60,000 ≥ \$10,000 → mode B/);
    expect(b.reasons.join('\n')).toMatch(/rep Dana/);
    const a = await routeLead(deps, orgId, hot);
    expect(a).toMatchObject({ mode: 'A' });
    expect(a.reasons.join('\n')).toMatch(/rule autonomous: score 88 ≥ 80/);

    const routed = await eventsOf(orgId, 'lead.routed');
    expect(routed).toEqual([
      { orgId, contactId: small, mode: 'C', reasons: c.reasons },
      { orgId, contactId: large, mode: 'B', repId, reasons: b.reasons },
      { orgId, contactId: hot, mode: 'A', reasons: a.reasons },
    ]);
    const stored = await contactRow(large);
    expect(stored.status).toBe('routed');
    expect(stored.routing).toMatchObject({
      status: 'routed',
      mode: 'B',
      repId,
      rule: 'large-deal',
      reasons: b.reasons,
    });
    expect(await auditActions(large)).toContain('lead.routed');
  });

  it('returns the stored decision when routed again, and emits nothing more', async () => {
    const orgId = await newOrg();
    await addRep(orgId, { name: 'Ari' });
    const lead = await qualifiedLead(orgId, { budgetCents: 2_000_000 });
    const first = await routeLead(deps, orgId, lead);
    const again = await routeLead(deps, orgId, lead);
    expect(again).toEqual(first);
    expect(await eventsOf(orgId, 'lead.routed')).toHaveLength(1);
    const assignments = await db.query('select 1 from lead_assignments where contact_id = $1', [lead]);
    expect(assignments).toHaveLength(1);
  });

  it('opens the lead’s deal in every mode: A and B at a year of the budget in its currency, B owned by the rep', async () => {
    const orgId = await newOrg({ enabledModes: ['A', 'B', 'C'] });
    const repId = await addRep(orgId, { name: 'Kim', territory: 'US-West' });
    const large = await qualifiedLead(orgId, {
      budgetCents: 6_000_000,
      withinDays: 14,
      score: 70,
      country: 'US',
    });
    const hot = await qualifiedLead(orgId, { budgetCents: 500_000, withinDays: 7, score: 88 });
    const unpriced = await qualifiedLead(orgId, { withinDays: 7, score: 90 });
    // "€500 a month": the qualifier keeps US cents for the rules and the named amount beside them.
    await db.query(
      `update contacts set qualification = jsonb_set(qualification, '{bant,budget}', $2::jsonb) where id = $1`,
      [
        hot,
        JSON.stringify({
          amountCents: 54_000,
          currency: 'EUR',
          originalAmountCents: 50_000,
          period: 'month',
        }),
      ],
    );
    const b = await routeLead(deps, orgId, large);
    const a = await routeLead(deps, orgId, hot);
    const none = await routeLead(deps, orgId, unpriced);
    expect(b).toMatchObject({ mode: 'B', repId, dealId: expect.any(String) });
    expect(a).toMatchObject({ mode: 'A', dealId: expect.any(String) });
    expect(none).toMatchObject({ mode: 'A', dealId: expect.any(String) });
    expect(await findLeadDeal(db, orgId, large)).toMatchObject({
      id: b.dealId,
      stage: 'qualified',
      ownerId: repId,
      amountCents: 6_000_000,
      currency: 'usd',
    });
    expect(await findLeadDeal(db, orgId, hot)).toMatchObject({
      id: a.dealId,
      stage: 'qualified',
      ownerId: null,
      amountCents: 600_000,
      currency: 'eur',
    });
    expect(await findLeadDeal(db, orgId, unpriced)).toMatchObject({ amountCents: null, currency: 'usd' });
    expect((await contactRow(large)).routing).toMatchObject({ dealId: b.dealId });
    const opened = await eventsOf(orgId, 'deal.stage.changed');
    expect(opened).toEqual([
      { orgId, contactId: large, dealId: b.dealId, from: null, to: 'qualified', amountCents: 6_000_000 },
      { orgId, contactId: hot, dealId: a.dealId, from: null, to: 'qualified', amountCents: 600_000 },
      { orgId, contactId: unpriced, dealId: none.dealId, from: null, to: 'qualified', amountCents: null },
    ]);
    expect(await auditActions(large)).toEqual(expect.arrayContaining(['deal.opened', 'lead.routed']));
  });

  it('refuses to route a disqualified lead, and an unknown one', async () => {
    const orgId = await newOrg();
    const lead = await qualifiedLead(orgId, { outcome: 'DISQUALIFIED', status: 'disqualified' });
    await expect(routeLead(deps, orgId, lead)).rejects.toMatchObject({ kind: 'conflict' });
    await expect(routeLead(deps, orgId, randomUUID())).rejects.toMatchObject({ kind: 'not_found' });
    const otherOrg = await newOrg();
    await expect(routeLead(deps, otherOrg, lead)).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('mode B: the queue', () => {
  it('queues leads when every rep is full and assigns them first in, first out as capacity frees', async () => {
    const orgId = await newOrg();
    const repId = await addRep(orgId, { name: 'Solo', capacity: 1 });
    const [first, second, third] = [
      await qualifiedLead(orgId, { budgetCents: 2_000_000 }),
      await qualifiedLead(orgId, { budgetCents: 2_000_000 }),
      await qualifiedLead(orgId, { budgetCents: 2_000_000 }),
    ];
    expect(await routeLead(deps, orgId, first!)).toMatchObject({ mode: 'B', repId, queued: false });
    const waiting2 = await routeLead(deps, orgId, second!);
    expect(waiting2).toMatchObject({ mode: 'B', queued: true });
    expect(waiting2.repId).toBeUndefined();
    expect(waiting2.reasons).toContain('every rep is at capacity');
    expect(waiting2.reasons.at(-1)).toBe('waiting for a rep: position 1 in the queue');
    expect((await routeLead(deps, orgId, third!)).reasons.at(-1)).toBe(
      'waiting for a rep: position 2 in the queue',
    );

    // Nothing frees up: nothing moves.
    expect(await assignQueuedLeads(deps, orgId)).toEqual({ assigned: [], waiting: 2 });
    // The queued lead's follow-through has nobody to brief yet.
    expect(await followThroughRoute(deps, orgId, second!, 'B')).toMatchObject({
      queued: true,
      notified: false,
    });

    // The rep loses the first lead: its slot goes to the lead queued first.
    await db.query(`update contacts set status = 'lost' where id = $1`, [first]);
    expect(await assignQueuedLeads(deps, orgId)).toEqual({
      assigned: [{ contactId: second, repId }],
      waiting: 1,
    });
    expect((await contactRow(second!)).routing).toMatchObject({ mode: 'B', repId, queued: false });
    // The deal opened while it waited now belongs to the rep who got it.
    expect(await findLeadDeal(db, orgId, second!)).toMatchObject({ stage: 'qualified', ownerId: repId });
    expect(await findLeadDeal(db, orgId, third!)).toMatchObject({ ownerId: null });
    const announced = (await eventsOf(orgId, 'lead.routed')).filter((event) => event.contactId === second);
    expect(announced.at(-1)).toMatchObject({ mode: 'B', repId });
    expect((announced.at(-1)!.reasons as string[]).at(-1)).toMatch(/^assigned from the queue after \d+ min$/);
    expect(await routeLead(deps, orgId, second!)).toMatchObject({ mode: 'B', repId, queued: false });

    // The rep releases the second lead from the console: the third one gets the slot.
    expect(await releaseRepLead(deps, orgId, second!, 'closed by rep')).toEqual({
      released: true,
      assigned: [{ contactId: third, repId }],
      waiting: 0,
    });
    expect(await auditActions(second!)).toContain('lead.assignment.released');
  });

  it('sends the lead another way when the organization says so instead of queueing', async () => {
    const orgId = await newOrg({ queue: { whenAllRepsBusy: 'C' } });
    await addRep(orgId, { name: 'Busy', capacity: 1 });
    await routeLead(deps, orgId, await qualifiedLead(orgId, { budgetCents: 2_000_000 }));
    const overflow = await routeLead(deps, orgId, await qualifiedLead(orgId, { budgetCents: 2_000_000 }));
    expect(overflow.mode).toBe('C');
    expect(overflow.reasons).toContain('queue setting → mode C');
  });

  it('counts a conversation a rep took over against their capacity', async () => {
    const orgId = await newOrg();
    const busy = await addRep(orgId, { name: 'Taken', capacity: 1, winRate: 0.9 });
    const free = await addRep(orgId, { name: 'Spare', capacity: 1, winRate: 0.1 });
    const other = await qualifiedLead(orgId);
    await db.query(
      `insert into conversations (org_id, contact_id, channel, mode, assigned_rep_id) values ($1, $2, 'web', 'human', $3)`,
      [orgId, other, busy],
    );
    expect(
      await routeLead(deps, orgId, await qualifiedLead(orgId, { budgetCents: 2_000_000 })),
    ).toMatchObject({
      repId: free,
    });
  });
});

describe('mode B: briefing the rep', () => {
  it('briefs the chosen rep once, by email and SMS, with who, BANT+, score, promises and next step', async () => {
    const orgId = await newOrg();
    const repId = await addRep(orgId, { name: 'Dana', territory: 'US-West', phone: '(415) 555-0188' });
    const lead = await qualifiedLead(orgId, {
      budgetCents: 2_400_000,
      withinDays: 10,
      country: 'US',
      timezone: 'America/Los_Angeles',
      industry: 'Software',
    });
    await openConversation(
      orgId,
      lead,
      "That's helpful. I don't have that information, so I'll find out from the team and get back to you. What do you use today?",
    );
    const routed = await routeLead(deps, orgId, lead);
    expect(routed).toMatchObject({ mode: 'B', repId });

    const result = await followThroughRoute(deps, orgId, lead, 'B', repId);
    expect(result).toMatchObject({
      mode: 'B',
      notified: true,
      deliveries: [
        { channel: 'email', status: 'recorded' },
        { channel: 'sms', status: 'recorded' },
      ],
    });
    // A retried workflow step briefs nobody twice.
    expect(await followThroughRoute(deps, orgId, lead, 'B', repId)).toMatchObject({
      skipped: 'already briefed',
    });
    const sent = await db.query<{
      channel: string;
      to_address: string;
      subject: string | null;
      body: string;
    }>(
      `select channel, to_address, subject, body from outbound_deliveries
       where contact_id = $1 and purpose = 'rep_notification' order by channel`,
      [lead],
    );
    expect(sent.map((row) => [row.channel, row.to_address])).toEqual([
      ['email', expect.stringMatching(/^dana-.*@acme\.example$/)],
      ['sms', '+14155550188'],
    ]);
    const email = sent[0]!;
    expect(email.subject).toBe('New lead: Pat Lee (Prospect Co) — score 60/100');
    expect(email.body).toContain('Pat Lee, Head of Sales at Prospect Co');
    expect(email.body).toContain('- Budget: $24,000 per year');
    expect(email.body).toContain('- Authority: Head of Sales; not the decision maker (CFO signs)');
    expect(email.body).toContain('- Competition: uses spreadsheets; evaluating Clari');
    expect(email.body).toContain('- icpMatch 20/20: Software is a target industry');
    expect(email.body).toContain('territory US-West matches the lead');
    expect(email.body).toContain(
      `- "I don't have that information, so I'll find out from the team and get back to you."`,
    );
    expect(email.body).toMatch(
      /SUGGESTED NEXT STEP\nMake good on what the agent promised .* Call today: they plan to buy within 10 days\. Ask to bring CFO into the call\. Prepare a comparison with Clari\./,
    );
    expect(sent[1]!.body).toMatch(/^QuotaHit: new lead Pat Lee \(Prospect Co\), score 60\/100/);
    expect(await auditActions(lead)).toContain('lead.rep_briefed');
  });

  it('says so when nothing was promised, and sends no SMS to a rep without a phone', async () => {
    const orgId = await newOrg();
    const repId = await addRep(orgId, { name: 'Mo' });
    const lead = await qualifiedLead(orgId, { budgetCents: 2_000_000 });
    await openConversation(orgId, lead, 'What does your team use today?');
    await routeLead(deps, orgId, lead);
    expect(await followThroughRoute(deps, orgId, lead, 'B', repId)).toMatchObject({
      deliveries: [{ channel: 'email', status: 'recorded' }],
    });
    const [email] = await db.query<{ body: string }>(
      `select body from outbound_deliveries where contact_id = $1 and purpose = 'rep_notification'`,
      [lead],
    );
    expect(email!.body).toContain('- Nothing: the agent made no commitments in the conversation.');
  });
});

describe('mode C: the payment link', () => {
  it('creates one deal and one link however often it is called, and posts the link once', async () => {
    const orgId = await newOrg({
      payment: { amountCents: 19_900, currency: 'eur', productName: 'Growth plan' },
    });
    const lead = await qualifiedLead(orgId, { budgetCents: 300_000, withinDays: 5 });
    const conversationId = await openConversation(orgId, lead);
    const [first, second] = await Promise.all([routeLead(deps, orgId, lead), routeLead(deps, orgId, lead)]);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ mode: 'C', paymentUrl: `${publicUrl}/pay/test/${first.dealId}` });
    const deals = await db.query<{ id: string; amount_cents: string; currency: string; stage: string }>(
      'select id, amount_cents, currency, stage from deals where contact_id = $1',
      [lead],
    );
    expect(deals).toEqual([
      { id: first.dealId, amount_cents: expect.anything(), currency: 'eur', stage: 'proposal' },
    ]);
    expect(Number(deals[0]!.amount_cents)).toBe(19_900);

    const posted = await followThroughRoute(deps, orgId, lead, 'C');
    expect(posted).toMatchObject({ mode: 'C', posted: true });
    expect(await followThroughRoute(deps, orgId, lead, 'C')).toEqual(posted);
    const messages = await db.query<{ body: string; sender: string; metadata: { purpose: string } }>(
      `select body, sender, metadata from messages where conversation_id = $1 and direction = 'outbound'`,
      [conversationId],
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]!.sender).toBe('agent');
    expect(messages[0]!.metadata.purpose).toBe('transactional');
    expect(messages[0]!.body).toBe(
      `Here is your secure payment link for Growth plan (€199.00): ${first.paymentUrl}\nTest mode: no payment will be taken.`,
    );
    expect(await auditActions(lead)).toContain('payment_link.sent');
  });

  it('keeps the link on the deal when the lead has no open conversation', async () => {
    const orgId = await newOrg();
    const lead = await qualifiedLead(orgId, { budgetCents: 300_000, withinDays: 5 });
    const routed = await routeLead(deps, orgId, lead);
    expect(await followThroughRoute(deps, orgId, lead, 'C')).toEqual({
      mode: 'C',
      paymentUrl: routed.paymentUrl,
      posted: false,
      reason: 'the lead has no open conversation to send the link in',
    });
  });

  describe('with the real stripe SDK against a loopback Stripe', () => {
    let stripe: StripeLoopback;
    let links: PaymentLinks;
    beforeAll(async () => {
      stripe = await startStripeLoopback();
      links = createStripePayments({ secretKey: 'sk_test_quotahit', baseUrl: stripe.url, publicUrl }).links;
    });
    afterAll(() => stripe.close());

    it('creates a price and a payment link with the lead in its metadata, once per lead', async () => {
      const orgId = await newOrg();
      const lead = await qualifiedLead(orgId, { budgetCents: 300_000, withinDays: 5 });
      const stripeDeps = { ...deps, payments: links };
      const [a, b] = await Promise.all([
        routeLead(stripeDeps, orgId, lead),
        routeLead(stripeDeps, orgId, lead),
      ]);
      const again = await routeLead(stripeDeps, orgId, lead);
      expect(b).toEqual(a);
      expect(again).toEqual(a);
      expect(a.paymentUrl).toMatch(/^https:\/\/buy\.stripe\.com\/test_plink_/);
      const made = [...stripe.created.values()].filter((object) => object.object === 'payment_link');
      const mine = made.filter((link) => (link.metadata as Record<string, string>).contactId === lead);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.metadata).toEqual({ orgId, contactId: lead, dealId: a.dealId });
      const linkRequest = stripe.requests.find(
        (request) => request.path === '/v1/payment_links' && request.form['metadata[contactId]'] === lead,
      )!;
      expect(linkRequest.idempotencyKey).toBe(`payment-link:${lead}`);
      expect(linkRequest.authorization).toBe('Bearer sk_test_quotahit');
      const priceRequest = stripe.requests.find(
        (request) => request.path === '/v1/prices' && request.form['metadata[contactId]'] === lead,
      )!;
      expect(priceRequest.form).toMatchObject({
        unit_amount: '4900',
        currency: 'usd',
        'product_data[name]': 'Starter plan',
      });
      const [deal] = await db.query<{ payment_link_id: string }>(
        'select payment_link_id from deals where id = $1',
        [a.dealId],
      );
      expect(deal!.payment_link_id).toBe(mine[0]!.id);
    });

    it('stores nothing when Stripe fails, and a retry then makes the one link', async () => {
      const orgId = await newOrg();
      const lead = await qualifiedLead(orgId, { budgetCents: 300_000, withinDays: 5 });
      stripe.failNext(500, 3); // the first try and the SDK's two retries
      await expect(routeLead({ ...deps, payments: links }, orgId, lead)).rejects.toThrow();
      expect((await contactRow(lead)).routing).toBeNull();
      expect(await eventsOf(orgId, 'lead.routed')).toHaveLength(0);
      const routed = await routeLead({ ...deps, payments: links }, orgId, lead);
      expect(routed.mode).toBe('C');
      expect(await eventsOf(orgId, 'lead.routed')).toHaveLength(1);
    });
  });
});

describe('mode A: the closer chain', () => {
  it('records the hand-off and what the full-auto chain would run, once', async () => {
    const orgId = await newOrg({ enabledModes: ['A', 'B'], rules: [{ name: 'all-auto', mode: 'A' }] });
    const lead = await qualifiedLead(orgId);
    expect(await routeLead(deps, orgId, lead)).toMatchObject({ mode: 'A' });
    const handed = await followThroughRoute(deps, orgId, lead, 'A');
    expect(handed).toEqual({ mode: 'A', handedOff: true, chain: ['closer', 'demo', 'ops'] });
    expect(await followThroughRoute(deps, orgId, lead, 'A')).toEqual(handed);
    expect((await auditActions(lead)).filter((action) => action === 'lead.handed_to_closer')).toHaveLength(1);
    expect((await contactRow(lead)).routing).toMatchObject({
      followThrough: { A: { agent: 'closer', chain: 'full-auto', status: 'awaiting_closer_agent' } },
    });
    // A follow-through for another mode than the stored one does nothing.
    expect(await followThroughRoute(deps, orgId, lead, 'C')).toEqual({
      mode: 'C',
      skipped: 'the lead was routed to mode A',
    });
  });
});
