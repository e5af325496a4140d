import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import { openClosing } from '../closing/closer-turn.ts';
import { type ConversationServiceDeps, sendAgentMessage } from '../conversations/conversation-service.ts';
import { listConversations } from '../conversations.ts';
import type { Db } from '../db.ts';
import { openLeadDeal } from '../deals/deal-pipeline.ts';
import { readEnrichedFields } from '../enrichment/enrichment-provider.ts';
import { DomainError, notFound } from '../errors.ts';
import { emitEvent } from '../events.ts';
import { getOrganization } from '../organizations.ts';
import type { DeliveryResult, OutboundDraft } from '../outbound-message.ts';
import { attachPaymentLink, openPaymentDeal, type PaymentDeal } from '../payments/payment-deals.ts';
import type { PaymentLinks } from '../payments/payment-links.ts';
import { annualBudgetCents, readQualification } from '../qualification/bant-state.ts';
import {
  assignQueued,
  currentAssignment,
  insertAssignment,
  lockOrganizationRouting,
  markNotified,
  queuePosition,
  releaseAssignment,
  releaseFinishedAssignments,
  takeNextQueued,
} from './lead-assignments.ts';
import { storeRepBriefing } from './rep-briefing.ts';
import { type LeadProfile, loadRepCandidates, selectRep } from './rep-selection.ts';
import { chooseMode, type ModeChoice, type RoutingFacts, routingFactsOf } from './route-rules.ts';
import { type RoutingMode, readRoutingSettings } from './routing-settings.ts';
import { leadLocationOf } from './territory.ts';

/**
 * Routing a qualified lead (`POST /api/leads/route`, the `route` workflow step) and following
 * through on the decision (the `lead.routed` workflow):
 *
 * - A: the closer agent takes the lead in its open conversation (core/closing/closer-turn.ts):
 *   it opens with the plan that fits and answers from then on.
 * - B: the best-fit rep with free capacity holds it and is briefed by email (and SMS/WhatsApp);
 *   with every rep full, it waits in a first-in-first-out queue (`assignQueuedLeads`).
 * - C: a payment link for the organization's price goes into the lead's conversation; the signed
 *   webhook of the completed checkout wins the deal (core/payments/checkout-completion.ts).
 *
 * The decision is stored in `contacts.routing` (`RoutingRecord`) and announced by `lead.routed`
 * with its reasons. Both entry points are safe to call again: a routed lead keeps its decision,
 * a rep is briefed once, a lead gets one payment link.
 */
export interface RoutingDeps {
  db: Db;
  payments: PaymentLinks;
  /** The conversation service: mode C posts the payment link into the lead's conversation. */
  conversations: ConversationServiceDeps;
  /** Delivery through the compliance gate for rep briefings; the conversation service's by default. */
  deliver?: (draft: OutboundDraft) => Promise<DeliveryResult>;
  now?: () => Date;
  /**
   * The composition chains from agents/chains.json (mode A runs `full-auto`, mode B `hybrid`);
   * without them, the built-in full-auto chain.
   */
  chains?: Partial<Record<'full-auto' | 'hybrid', readonly { agent: string; does: string }[]>>;
}

/** What `routeLead` needs: deciding creates at most a payment link, it sends nothing. */
export type RouteDecisionDeps = Pick<RoutingDeps, 'db' | 'payments' | 'now'>;

export const routingActor: Actor = { type: 'system', id: 'routing' };

/** The autonomous chain mode A hands a lead to (agents/ loadouts), in order. */
export const fullAutoChain = [
  {
    agent: 'closer',
    does: 'proposes the plan that fits, answers objections, sends the payment link on a yes',
  },
  { agent: 'demo', does: 'books a demo at a free time of the reps when the prospect asks for one' },
  { agent: 'ops', does: 'makes the contact of the won deal a customer and sends the onboarding message' },
] as const;

/** `contacts.routing` once a lead is routed. */
export interface RoutingRecord {
  status: 'routed';
  mode: RoutingMode;
  /** Mode B: the rep holding the lead (absent while queued). */
  repId?: string;
  /** Mode B: waiting for a rep with free capacity. */
  queued?: boolean;
  /** Mode C: the deal the payment wins and its link. */
  dealId?: string;
  paymentUrl?: string;
  payment?: { amountCents: number; currency: string; productName: string; mode: 'live' | 'recorded' };
  rule: string | null;
  reasons: string[];
  facts: RoutingFacts;
  routedAt: string;
  assignedAt?: string;
  /** What the follow-through did, per mode. */
  followThrough?: Record<string, unknown>;
}

export interface RouteResult {
  mode: RoutingMode;
  repId?: string;
  paymentUrl?: string;
  reasons: string[];
  queued?: boolean;
  dealId?: string;
}

interface RoutingContactRow {
  id: string;
  org_id: string;
  status: string;
  email: string | null;
  phone: string | null;
  country: string | null;
  timezone: string | null;
  industry: string | null;
  lead_score: number | null;
  score_breakdown: unknown;
  qualification: unknown;
  enrichment: { fields?: unknown } | null;
  routing: Record<string, unknown> | null;
}

const clock = (deps: { now?: () => Date }) => deps.now?.() ?? new Date();

function storedRecord(routing: Record<string, unknown> | null): RoutingRecord | null {
  return routing && typeof routing.mode === 'string' && routing.status === 'routed'
    ? (routing as unknown as RoutingRecord)
    : null;
}

function resultOf(record: RoutingRecord): RouteResult {
  return {
    mode: record.mode,
    ...(record.repId ? { repId: record.repId } : {}),
    ...(record.paymentUrl ? { paymentUrl: record.paymentUrl } : {}),
    reasons: record.reasons,
    ...(record.mode === 'B' ? { queued: Boolean(record.queued) } : {}),
    ...(record.dealId ? { dealId: record.dealId } : {}),
  };
}

async function lockContact(tx: Db, orgId: string, contactId: string): Promise<RoutingContactRow> {
  const rows = await tx.query<RoutingContactRow>(
    `select id, org_id, status, email, phone, country, timezone, industry, lead_score, score_breakdown,
       qualification, enrichment, routing
     from contacts where org_id = $1 and id = $2 for update`,
    [orgId, contactId],
  );
  if (!rows[0]) throw notFound('lead');
  return rows[0];
}

export function leadProfileOf(
  contact: Pick<RoutingContactRow, 'country' | 'phone' | 'timezone' | 'industry' | 'enrichment'>,
): LeadProfile {
  const enrichment = readEnrichedFields(contact.enrichment?.fields);
  const industries = [contact.industry, enrichment.industry?.value ?? null].filter(
    (industry, i, all): industry is string => Boolean(industry) && all.indexOf(industry) === i,
  );
  return {
    location: leadLocationOf({
      country: contact.country,
      phone: contact.phone,
      timezone: contact.timezone,
      enrichment,
    }),
    industries,
  };
}

/** Stores the decision, moves the lead to `routed`, announces it and audits it. */
async function storeDecision(
  tx: Db,
  orgId: string,
  contactId: string,
  record: RoutingRecord,
  actor: Actor,
): Promise<RouteResult> {
  await tx.query(
    `update contacts set routing = $3::jsonb, updated_at = now(),
       status = case when status in ('new', 'scored', 'qualifying', 'qualified', 'nurture') then 'routed' else status end
     where org_id = $1 and id = $2`,
    [orgId, contactId, JSON.stringify(record)],
  );
  await emitEvent(tx, 'lead.routed', {
    orgId,
    contactId,
    mode: record.mode,
    ...(record.repId ? { repId: record.repId } : {}),
    reasons: record.reasons,
  });
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'lead.routed',
    entityType: 'contact',
    entityId: contactId,
    contactId,
    details: {
      mode: record.mode,
      rule: record.rule,
      ...(record.repId ? { repId: record.repId } : {}),
      ...(record.queued ? { queued: true } : {}),
      ...(record.dealId ? { dealId: record.dealId } : {}),
      reasons: record.reasons,
    },
  });
  return resultOf(record);
}

interface PendingLink {
  deal: PaymentDeal;
  record: RoutingRecord;
}

/**
 * Decides where a lead goes and records it. Routing a routed lead returns the stored decision
 * and emits nothing. A disqualified, won or lost lead is refused (409).
 */
export async function routeLead(
  deps: RouteDecisionDeps,
  orgId: string,
  contactId: string,
  actor: Actor = routingActor,
): Promise<RouteResult> {
  const now = clock(deps);
  const first = await deps.db.transaction(async (tx): Promise<{ done: RouteResult } | PendingLink> => {
    const contact = await lockContact(tx, orgId, contactId);
    const stored = storedRecord(contact.routing);
    if (stored) return { done: resultOf(stored) };
    if (['disqualified', 'won', 'lost'].includes(contact.status)) {
      throw new DomainError('conflict', `a ${contact.status} lead is not routed`);
    }
    const settings = readRoutingSettings((await getOrganization(tx, orgId)).settings);
    const facts = routingFactsOf(
      {
        leadScore: contact.lead_score,
        scoreBreakdown: contact.score_breakdown,
        qualification: contact.qualification,
      },
      now,
    );
    let choice: ModeChoice = chooseMode(facts, settings);
    const base = { status: 'routed' as const, rule: choice.rule, facts, routedAt: now.toISOString() };

    if (choice.mode === 'B') {
      await lockOrganizationRouting(tx, orgId);
      await releaseFinishedAssignments(tx, orgId, now);
      const selection = selectRep(
        leadProfileOf(contact),
        await loadRepCandidates(tx, orgId),
        settings.repSelection,
      );
      const reasons = [...choice.reasons, ...selection.reasons];
      if (selection.chosen) {
        const repId = selection.chosen.rep.id;
        await insertAssignment(tx, { orgId, contactId, repId, reasons: selection.reasons, now });
        const deal = await openDealFor(tx, contact, actor, now, repId);
        const record: RoutingRecord = {
          ...base,
          mode: 'B',
          dealId: deal.id,
          repId,
          queued: false,
          reasons,
          assignedAt: now.toISOString(),
        };
        return { done: await storeDecision(tx, orgId, contactId, record, actor) };
      }
      const overflow = settings.queue.whenAllRepsBusy;
      if (overflow !== 'queue' && settings.enabledModes.includes(overflow)) {
        choice = {
          mode: overflow,
          rule: choice.rule,
          reasons: [...reasons, `queue setting → mode ${overflow}`],
        };
      } else {
        const assignment = await insertAssignment(tx, {
          orgId,
          contactId,
          repId: null,
          reasons: selection.reasons,
          now,
        });
        const position = await queuePosition(tx, orgId, assignment.seq);
        const deal = await openDealFor(tx, contact, actor, now, null);
        const record: RoutingRecord = {
          ...base,
          mode: 'B',
          dealId: deal.id,
          queued: true,
          reasons: [...reasons, `waiting for a rep: position ${position} in the queue`],
        };
        return { done: await storeDecision(tx, orgId, contactId, record, actor) };
      }
    }

    if (choice.mode === 'A') {
      const deal = await openDealFor(tx, contact, actor, now, null);
      const record: RoutingRecord = {
        ...base,
        mode: 'A',
        dealId: deal.id,
        reasons: [...choice.reasons, 'handed to the closer agent'],
      };
      return { done: await storeDecision(tx, orgId, contactId, record, actor) };
    }

    const { amountCents, currency, productName } = settings.payment;
    const deal = await openPaymentDeal(tx, { orgId, contactId, amountCents, currency, actor });
    const record: RoutingRecord = {
      ...base,
      mode: 'C',
      dealId: deal.id,
      payment: { amountCents, currency, productName, mode: deps.payments.mode },
      reasons: [
        ...choice.reasons,
        `payment link for ${productName} (${formatMoney(amountCents, currency)})${deps.payments.mode === 'recorded' ? ', test mode: Stripe is not configured' : ''}`,
      ],
    };
    if (deal.paymentUrl) {
      return {
        done: await storeDecision(tx, orgId, contactId, { ...record, paymentUrl: deal.paymentUrl }, actor),
      };
    }
    return { deal, record };
  });
  if ('done' in first) return first.done;

  // The provider call runs outside the transaction; its idempotency key makes a retry (or a
  // racing call) get the same link.
  const { deal, record } = first;
  const link = await deps.payments.create({
    orgId,
    contactId,
    dealId: deal.id,
    amountCents: record.payment!.amountCents,
    currency: record.payment!.currency,
    productName: record.payment!.productName,
    idempotencyKey: `payment-link:${contactId}`,
  });
  return deps.db.transaction(async (tx) => {
    const contact = await lockContact(tx, orgId, contactId);
    const updated = await attachPaymentLink(tx, orgId, deal.id, link, actor);
    const stored = storedRecord(contact.routing);
    if (stored) return resultOf(stored);
    return storeDecision(tx, orgId, contactId, { ...record, paymentUrl: updated.paymentUrl! }, actor);
  });
}

/**
 * The qualified lead's deal, valued at its stated budget (a year of it) until a plan is proposed,
 * in the currency the prospect named: the budget's `amountCents` is converted to US cents, its
 * `originalAmountCents` is in that currency.
 */
function openDealFor(tx: Db, contact: RoutingContactRow, actor: Actor, now: Date, ownerId: string | null) {
  const bant = readQualification(contact.qualification).bant;
  const { currency, originalAmountCents, period } = bant.budget ?? {};
  const named = currency !== undefined && originalAmountCents !== undefined;
  return openLeadDeal(tx, {
    orgId: contact.org_id,
    contactId: contact.id,
    amountCents: named
      ? originalAmountCents * (period === 'month' ? 12 : 1)
      : (annualBudgetCents(bant) ?? null),
    currency: named ? currency.toLowerCase() : 'usd',
    ownerId,
    actor,
    now,
  });
}

export function formatMoney(amountCents: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(
      amountCents / 100,
    );
  } catch {
    return `${(amountCents / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

async function patchFollowThrough(
  db: Db,
  orgId: string,
  contactId: string,
  mode: RoutingMode,
  value: Record<string, unknown>,
): Promise<void> {
  await db.query(
    `update contacts set routing = jsonb_set(coalesce(routing, '{}'::jsonb), '{followThrough}',
       coalesce(routing -> 'followThrough', '{}'::jsonb) || jsonb_build_object($3::text, $4::jsonb)),
       updated_at = now()
     where org_id = $1 and id = $2`,
    [orgId, contactId, mode, JSON.stringify(value)],
  );
}

async function loadRecord(db: Db, orgId: string, contactId: string): Promise<RoutingRecord | null> {
  const rows = await db.query<{ routing: Record<string, unknown> | null }>(
    'select routing from contacts where org_id = $1 and id = $2',
    [orgId, contactId],
  );
  if (!rows[0]) throw notFound('lead');
  return storedRecord(rows[0].routing);
}

export type FollowThroughResult =
  | { mode: 'A'; handedOff: boolean; chain: string[] }
  | {
      mode: 'B';
      repId?: string;
      queued?: boolean;
      notified: boolean;
      deliveries?: { channel: string; status: string }[];
      skipped?: string;
    }
  | { mode: 'C'; paymentUrl?: string; posted: boolean; messageId?: string; reason?: string }
  | { mode: RoutingMode; skipped: string };

/**
 * Acts on a routing decision (the `lead.routed` workflow). Each mode does its part once however
 * often it is called: the hand-off is recorded once, a rep is briefed once per assignment
 * (delivery idempotency keys per lead, rep and channel), the payment link is posted once.
 */
export async function followThroughRoute(
  deps: RoutingDeps,
  orgId: string,
  contactId: string,
  mode: RoutingMode,
  repId?: string,
): Promise<FollowThroughResult> {
  const record = await loadRecord(deps.db, orgId, contactId);
  if (!record) return { mode, skipped: 'the lead is not routed' };
  if (record.mode !== mode) return { mode, skipped: `the lead was routed to mode ${record.mode}` };
  switch (mode) {
    case 'A':
      return handOffToCloser(deps, orgId, contactId, record);
    case 'B':
      return briefRep(deps, orgId, contactId, repId);
    case 'C':
      return postPaymentLink(deps, orgId, contactId, record);
  }
}

async function handOffToCloser(
  deps: RoutingDeps,
  orgId: string,
  contactId: string,
  record: RoutingRecord,
): Promise<FollowThroughResult> {
  const steps = deps.chains?.['full-auto'] ?? fullAutoChain;
  const chain = steps.map((step) => step.agent);
  const settled = ['conversing', 'awaiting_closer_agent'];
  const done = record.followThrough?.A as { status?: string } | undefined;
  if (settled.includes(done?.status ?? '')) return { mode: 'A', handedOff: true, chain };
  const now = clock(deps);
  const conversation = (await listConversations(deps.db, orgId, { contactId })).find(
    (candidate) => candidate.status === 'open',
  );
  // The closer answers in the prospect's own conversation: from now on its turns are the closer's.
  let outcome: { status: string; conversationId?: string; messageId?: string; reason?: string };
  if (!deps.conversations.closing)
    outcome = { status: 'awaiting_closer_agent', reason: 'no closer agent is configured' };
  else if (!conversation)
    outcome = { status: 'no_open_conversation', reason: 'the lead has no open conversation' };
  else {
    const opened = await openClosing(deps.conversations, orgId, conversation.id);
    outcome = opened.opened
      ? {
          status: 'conversing',
          conversationId: conversation.id,
          ...(opened.messageId ? { messageId: opened.messageId } : {}),
        }
      : { status: 'not_opened', conversationId: conversation.id, reason: opened.reason ?? 'unknown' };
  }
  await deps.db.transaction(async (tx) => {
    await patchFollowThrough(tx, orgId, contactId, 'A', {
      agent: 'closer',
      chain: 'full-auto',
      steps,
      ...outcome,
      at: now.toISOString(),
    });
    await recordAudit(tx, {
      orgId,
      actor: routingActor,
      action: 'lead.handed_to_closer',
      entityType: 'contact',
      entityId: contactId,
      contactId,
      details: { chain: 'full-auto', steps: steps.map((step) => `${step.agent}: ${step.does}`), ...outcome },
    });
  });
  return { mode: 'A', handedOff: settled.includes(outcome.status), chain };
}

async function briefRep(
  deps: RoutingDeps,
  orgId: string,
  contactId: string,
  repId: string | undefined,
): Promise<FollowThroughResult> {
  if (!repId) return { mode: 'B', queued: true, notified: false, skipped: 'waiting in the queue for a rep' };
  const assignment = await currentAssignment(deps.db, orgId, contactId);
  if (assignment?.status !== 'assigned' || assignment.repId !== repId) {
    return { mode: 'B', repId, notified: false, skipped: 'the lead is no longer assigned to this rep' };
  }
  if (assignment.notifiedAt) return { mode: 'B', repId, notified: true, skipped: 'already briefed' };
  const reps = await deps.db.query<{ id: string; name: string | null; email: string; phone: string | null }>(
    'select id, name, email, phone from users where org_id = $1 and id = $2',
    [orgId, repId],
  );
  const rep = reps[0];
  if (!rep) return { mode: 'B', repId, notified: false, skipped: 'the rep no longer exists' };
  const now = clock(deps);
  const settings = readRoutingSettings((await getOrganization(deps.db, orgId)).settings);
  // Kept as the lead's current briefing, so later facts rebuild it (refreshRepBriefing).
  const briefing = await storeRepBriefing(deps.db, {
    orgId,
    contactId,
    repId,
    routingReasons: assignment.reasons,
    occasion: 'routed',
    now,
  });
  const deliver = deps.deliver ?? deps.conversations.deliver;
  const base = { orgId, contactId, purpose: 'rep_notification', sender: 'system' } as const;
  const deliveries: { channel: string; status: string; reasons: string[] }[] = [];
  const email = await deliver({
    ...base,
    channel: 'email',
    to: rep.email,
    subject: briefing.subject,
    body: briefing.email,
    idempotencyKey: `rep-briefing:${assignment.id}:email`,
  });
  deliveries.push({ channel: 'email', status: email.status, reasons: email.reasons });
  if (rep.phone) {
    for (const channel of settings.notify.channels) {
      if (channel === 'email') continue;
      const result = await deliver({
        ...base,
        channel,
        to: rep.phone,
        body: briefing.text,
        idempotencyKey: `rep-briefing:${assignment.id}:${channel}`,
      });
      deliveries.push({ channel, status: result.status, reasons: result.reasons });
    }
  }
  // A provider error is worth a retry (the ledger keeps a sent channel from sending twice).
  if (email.status === 'failed') {
    throw new Error(`the briefing email to the rep failed: ${email.reasons.join(', ')}`);
  }
  await deps.db.transaction(async (tx) => {
    await markNotified(tx, assignment.id, now);
    await patchFollowThrough(tx, orgId, contactId, 'B', {
      repId,
      chain: 'hybrid',
      ...(deps.chains?.hybrid ? { steps: deps.chains.hybrid } : {}),
      notifiedAt: now.toISOString(),
      deliveries,
    });
    await recordAudit(tx, {
      orgId,
      actor: routingActor,
      action: 'lead.rep_briefed',
      entityType: 'contact',
      entityId: contactId,
      contactId,
      details: { repId, deliveries },
    });
  });
  return {
    mode: 'B',
    repId,
    notified: true,
    deliveries: deliveries.map(({ channel, status }) => ({ channel, status })),
  };
}

async function postPaymentLink(
  deps: RoutingDeps,
  orgId: string,
  contactId: string,
  record: RoutingRecord,
): Promise<FollowThroughResult> {
  const posted = record.followThrough?.C as { messageId?: string } | undefined;
  if (posted?.messageId) {
    return { mode: 'C', paymentUrl: record.paymentUrl, posted: true, messageId: posted.messageId };
  }
  if (!record.paymentUrl || !record.payment) {
    return { mode: 'C', posted: false, reason: 'the lead has no payment link' };
  }
  const now = clock(deps);
  const conversation = (await listConversations(deps.db, orgId, { contactId })).find(
    (candidate) => candidate.status === 'open',
  );
  const notPosted = async (reason: string): Promise<FollowThroughResult> => {
    await patchFollowThrough(deps.db, orgId, contactId, 'C', {
      posted: false,
      reason,
      at: now.toISOString(),
    });
    return { mode: 'C', paymentUrl: record.paymentUrl, posted: false, reason };
  };
  if (!conversation) return notPosted('the lead has no open conversation to send the link in');
  const { amountCents, currency, productName, mode } = record.payment;
  const body = [
    `Here is your secure payment link for ${productName} (${formatMoney(amountCents, currency)}): ${record.paymentUrl}`,
    mode === 'recorded' ? 'Test mode: no payment will be taken.' : null,
  ]
    .filter(Boolean)
    .join('\n');
  let message: Awaited<ReturnType<typeof sendAgentMessage>>;
  try {
    message = await sendAgentMessage(deps.conversations, {
      orgId,
      conversationId: conversation.id,
      body,
      purpose: 'transactional',
      idempotencyKey: `payment-link-message:${contactId}`,
      metadata: { dealId: record.dealId, paymentUrl: record.paymentUrl },
    });
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'conflict') return notPosted(error.message);
    throw error;
  }
  await deps.db.transaction(async (tx) => {
    await patchFollowThrough(tx, orgId, contactId, 'C', {
      posted: true,
      conversationId: conversation.id,
      messageId: message.id,
      status: message.status,
      at: now.toISOString(),
    });
    await recordAudit(tx, {
      orgId,
      actor: routingActor,
      action: 'payment_link.sent',
      entityType: 'deal',
      entityId: record.dealId,
      contactId,
      details: { conversationId: conversation.id, messageId: message.id, status: message.status, mode },
    });
  });
  return { mode: 'C', paymentUrl: record.paymentUrl, posted: true, messageId: message.id };
}

export interface QueueDrain {
  assigned: { contactId: string; repId: string }[];
  /** Leads still waiting. */
  waiting: number;
}

/**
 * Gives waiting leads, first queued first, to reps with free capacity — call it when capacity
 * may have freed (a lead won or lost, a rep released one, a new rep) or from a periodic job.
 * Each assignment emits `lead.routed` with the rep, so the follow-through briefs the rep.
 */
export async function assignQueuedLeads(
  deps: Pick<RoutingDeps, 'db' | 'now'>,
  orgId: string,
  actor: Actor = routingActor,
): Promise<QueueDrain> {
  const now = clock(deps);
  return deps.db.transaction(async (tx) => {
    await lockOrganizationRouting(tx, orgId);
    await releaseFinishedAssignments(tx, orgId, now);
    const settings = readRoutingSettings((await getOrganization(tx, orgId)).settings);
    const assigned: QueueDrain['assigned'] = [];
    for (;;) {
      const next = await takeNextQueued(tx, orgId);
      if (!next) break;
      const contact = await lockContact(tx, orgId, next.contactId);
      const selection = selectRep(
        leadProfileOf(contact),
        await loadRepCandidates(tx, orgId),
        settings.repSelection,
      );
      // Strict FIFO: if the first in line finds no rep, nobody behind it would either.
      if (!selection.chosen) break;
      const repId = selection.chosen.rep.id;
      const waited = next.queuedAt ? Math.round((now.getTime() - next.queuedAt.getTime()) / 60_000) : 0;
      const reasons = [...selection.reasons, `assigned from the queue after ${waited} min`];
      await assignQueued(tx, next, repId, reasons, now, actor);
      // The deal opened while the lead waited gets its owner.
      await openDealFor(tx, contact, actor, now, repId);
      assigned.push({ contactId: next.contactId, repId });
    }
    const waiting = await tx.query<{ count: number }>(
      `select count(*)::int as count from lead_assignments where org_id = $1 and status = 'queued'`,
      [orgId],
    );
    return { assigned, waiting: Number(waiting[0]?.count ?? 0) };
  });
}

/**
 * A rep is done with a lead (closed or handed it back in the console): it stops counting against
 * their capacity and the slot goes to the next waiting lead at once.
 */
export async function releaseRepLead(
  deps: Pick<RoutingDeps, 'db' | 'now'>,
  orgId: string,
  contactId: string,
  reason: string,
  actor: Actor = routingActor,
): Promise<{ released: boolean } & QueueDrain> {
  return deps.db.transaction(async (tx) => {
    const released = await releaseAssignment(tx, orgId, contactId, reason, actor);
    const drained = await assignQueuedLeads({ ...deps, db: tx }, orgId, actor);
    return { released, ...drained };
  });
}

/** `assignQueuedLeads` for every organization with a waiting lead (for a cron workflow). */
export async function assignAllQueuedLeads(
  deps: Pick<RoutingDeps, 'db' | 'now'>,
): Promise<{ organizations: number; assigned: number; waiting: number }> {
  const orgs = await deps.db.query<{ org_id: string }>(
    `select distinct org_id from lead_assignments where status = 'queued'`,
  );
  let assigned = 0;
  let waiting = 0;
  for (const { org_id } of orgs) {
    const drained = await assignQueuedLeads(deps, org_id);
    assigned += drained.assigned.length;
    waiting += drained.waiting;
  }
  return { organizations: orgs.length, assigned, waiting };
}
