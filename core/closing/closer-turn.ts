import { z } from 'zod';
import type { Actor } from '../actor.ts';
import type { ConversationServiceDeps } from '../conversations/conversation-deps.ts';
import {
  agentStateOf,
  deliverStored,
  markProcessed,
  patchAgentState,
} from '../conversations/conversation-store.ts';
import {
  agentOpening,
  agentReply,
  type ConversationContext,
  conversationHistory,
  flushAudits,
  loadConversationContext,
  recordAgentTurn,
  requestHandoff,
  type TurnContext,
} from '../conversations/turn-context.ts';
import type { ConversationRow, MessageRow } from '../conversations.ts';
import type { Db } from '../db.ts';
import { advanceDeal, type Deal, findLeadDeal } from '../deals/deal-pipeline.ts';
import { DomainError } from '../errors.ts';
import { describeSlot, findFreeSlots } from '../meetings/free-slots.ts';
import { bookMeeting, listMeetings, type Meeting } from '../meetings/meetings.ts';
import type { Channel } from '../outbound-message.ts';
import { replacePaymentLink } from '../payments/payment-deals.ts';
import type { PaymentLink, PaymentLinks } from '../payments/payment-links.ts';
import { retrieveKnowledge } from '../qualification/knowledge-retrieval.ts';
import type { QualifierTurnResult, ToolOutcome } from '../qualification/qualifier-model.ts';
import { modelFailureLine } from '../qualification/qualifier-script.ts';
import { readRoutingSettings } from '../routing/routing-settings.ts';
import type { CloserContext, CloserModel } from './closer-model.ts';
import {
  answerObjectionArgsSchema,
  bookDemoArgsSchema,
  closerToolSpecs,
  proposePlanArgsSchema,
  requestHandoffArgsSchema,
} from './closer-tools.ts';
import type { ClosingState, OfferedSlot, Proposal } from './closing-state.ts';
import { describeQuote, formatAmount, planForSeats, planNamed, plansOf, quotePlan } from './plan-pricing.ts';

/**
 * The closer agent's turns (routing mode A). After routing hands a qualified lead to it, the
 * closer answers in the prospect's own conversation: it opens with the plan that fits
 * (`openClosing`), then answers each message (`closerTurn`) — objections from the knowledge base,
 * a payment link on a yes, demo times and a booking on request, a person when asked or when the
 * deal is above the organization's `autonomousDealLimitCents`. The compliance commands, injection
 * refusals and requests for a person are handled before the closer, as for the qualifier
 * (core/conversations/conversation-turn.ts).
 *
 * Tools run during the model's turn only to look things up or to do what must happen before the
 * reply can say so (a payment link's URL, a booked demo), each with an idempotency key or a check
 * that makes a repeated turn harmless; everything else the turn changed — deal stage, proposal,
 * handoff — is written with the reply in one transaction.
 */
export interface ClosingDeps {
  model: CloserModel;
  /** The closer's tools the loadout enables. */
  tools: readonly string[];
  payments: PaymentLinks;
}

export const closerActor: Actor = { type: 'agent', id: 'closer' };

/** The closer's first message after routing hands it the lead; once per conversation. */
export async function openClosing(
  deps: ConversationServiceDeps,
  orgId: string,
  conversationId: string,
): Promise<{ opened: boolean; reason?: string; messageId?: string }> {
  if (!deps.closing) return { opened: false, reason: 'no closer agent is configured' };
  return deps.scheduler.run(orgId, conversationId, async () => {
    // From now on the conversation's turns are the closer's, whether or not this opening is sent.
    await deps.db.query(
      `update conversations set agent_state = agent_state || '{"agent": "closer"}'::jsonb, updated_at = now()
       where org_id = $1 and id = $2`,
      [orgId, conversationId],
    );
    const ctx = await loadConversationContext(deps, orgId, conversationId);
    if (ctx.state.closing?.openedAt) return { opened: true, reason: 'already opened' };
    if (ctx.conversation.status !== 'open' || ctx.conversation.mode !== 'ai') {
      return { opened: false, reason: `the conversation is ${ctx.conversation.mode}` };
    }
    const message = await runCloser(deps, ctx, null);
    return message ? { opened: true, messageId: message.id } : { opened: false, reason: 'suppressed' };
  });
}

/** Answers one prospect message of a conversation the closer has. */
export async function closerTurn(deps: ConversationServiceDeps, ctx: TurnContext): Promise<void> {
  await runCloser(deps, ctx, ctx.inbound);
}

interface DealMove {
  to: 'proposal' | 'negotiation';
  amountCents?: number;
  proposal?: Record<string, unknown>;
  reason: string;
}

interface CloserSession {
  closing: ClosingState;
  moves: DealMove[];
  paymentLink: PaymentLink | null;
  booked: Meeting | null;
  /** Demo times were offered in this turn (and must be in the reply). */
  offeredNow: boolean;
  handoffReason: string | null;
  invalidCalls: number;
  callTool(name: string, input: unknown): Promise<ToolOutcome>;
}

async function runCloser(
  deps: ConversationServiceDeps,
  ctx: ConversationContext,
  inbound: MessageRow | null,
): Promise<MessageRow | null> {
  const closing = deps.closing!;
  const { conversation } = ctx;
  const deal = await findLeadDeal(deps.db, conversation.org_id, conversation.contact_id);
  const context = closerContext(deps, ctx, deal, inbound);
  const session = createCloserSession(deps, ctx, context, deal, inbound?.body ?? '');
  const turnCtx = inbound ? { ...ctx, inbound } : ctx;
  let result: QualifierTurnResult;
  let failed = false;
  // A reply streams to the widget as the qualifier's does; the opening arrives whole.
  const typing = (state: 'start' | 'stop') =>
    inbound &&
    deps.feed.publish({
      type: 'typing',
      orgId: conversation.org_id,
      conversationId: conversation.id,
      actor: 'agent',
      state,
    });
  const publishDelta = (delta: string) =>
    deps.feed.publish({
      type: 'reply.delta',
      orgId: conversation.org_id,
      conversationId: conversation.id,
      inReplyTo: inbound!.id,
      delta,
    });
  typing('start');
  if (inbound && !ctx.state.disclosed) publishDelta(`${ctx.disclosure}\n\n`);
  try {
    result = await closing.model.runTurn({
      context,
      history: await conversationHistory(deps, turnCtx),
      task: inbound ? 'reply' : 'open',
      tools: closerToolSpecs(closing.tools),
      callTool: session.callTool,
      ...(inbound ? { onText: publishDelta } : {}),
    });
  } catch (error) {
    deps.log.error(
      { err: error, orgId: conversation.org_id, conversationId: conversation.id },
      'closer model failed',
    );
    failed = true;
    result = {
      text: modelFailureLine,
      model: closing.model.name,
      usage: { inputTokens: 0, outputTokens: 0 },
      costMicroUsd: 0,
    };
  } finally {
    typing('stop');
  }

  const message = await deps.db.transaction(async (tx) => {
    await recordAgentTurn(tx, ctx, result, 'closer');
    const rows = await tx.query<ConversationRow>(
      'select * from conversations where org_id = $1 and id = $2 for update',
      [conversation.org_id, conversation.id],
    );
    const live = rows[0]!;
    if (live.mode !== 'ai' || live.status !== 'open') {
      // A rep took over (or the conversation closed) while the closer was thinking: stay silent.
      if (inbound) await markProcessed(tx, inbound, { suppressed: `mode ${live.mode}` });
      await flushAudits(tx, ctx);
      return null;
    }
    if (!inbound && agentStateOf(live).closing?.openedAt) return null;
    await saveDealWork(tx, deps, ctx, deal, session);
    const now = deps.now().toISOString();
    await patchAgentState(tx, conversation, {
      agent: 'closer',
      closing: { ...session.closing, openedAt: session.closing.openedAt ?? now },
    });
    const reason = session.handoffReason ?? (failed ? 'the closer could not answer' : null);
    if (reason) await requestHandoff(tx, turnCtx, reason);
    const text = replyText(result.text, session, deps.closing!.payments.mode);
    const metadata = {
      agent: 'closer',
      model: result.model,
      ...(session.invalidCalls > 0 ? { invalidToolCalls: session.invalidCalls } : {}),
      ...(failed ? { modelFailed: true } : {}),
      ...(session.paymentLink ? { paymentUrl: session.paymentLink.url, dealId: deal?.id } : {}),
      ...(session.booked ? { meetingId: session.booked.id } : {}),
    };
    return inbound
      ? agentReply(tx, { ...ctx, inbound }, text, metadata)
      : agentOpening(tx, ctx, text, `closer-opening:${conversation.id}`, metadata);
  });
  if (message) await deliverStored(deps, message);
  return message;
}

function closerContext(
  deps: ConversationServiceDeps,
  ctx: ConversationContext,
  deal: Deal | null,
  inbound: MessageRow | null,
): CloserContext {
  const query = inbound?.body ?? 'pricing plans';
  return {
    organization: { name: ctx.organization.name },
    channel: ctx.conversation.channel as Channel,
    disclosure: ctx.disclosure,
    knowledge: retrieveKnowledge(ctx.knowledge, query, { limit: deps.limits.knowledgeEntries }),
    plans: plansOf(ctx.knowledge),
    state: ctx.qualification.bant,
    deal: deal ? { stage: deal.stage, amountCents: deal.amountCents, currency: deal.currency } : null,
    closing: ctx.state.closing ?? {},
    handoffRequested: Boolean(ctx.state.handoffRequestedAt) && !ctx.state.handoffUnansweredAt,
    firstName: ctx.contact.first_name,
    seed: ctx.conversation.id,
    now: deps.now(),
  };
}

const objectionQueries: Record<string, string> = {
  price: 'price pricing cost discount annual billing plan',
  security: 'security data encryption privacy compliance soc gdpr',
  integrations: 'integrations integrate crm api connect sync',
  competitor: 'compare comparison competitor alternative switch migrate',
  contract: 'contract terms cancel cancellation commitment refund trial',
  other: 'product features',
};

/**
 * The closer's tools for this conversation. None takes an id: the deal, the prospect and the
 * calendar are this conversation's, so whatever a prospect writes, only their own deal moves.
 */
function createCloserSession(
  deps: ConversationServiceDeps,
  ctx: ConversationContext,
  context: CloserContext,
  deal: Deal | null,
  /** The prospect message being answered ('' for the opening). */
  message: string,
): CloserSession {
  const { conversation } = ctx;
  const orgId = conversation.org_id;
  const limitCents = readRoutingSettings(ctx.organization.settings).autonomousDealLimitCents;
  const prospectZone = ctx.contact.timezone;
  const handOff = (reason: string, say: string): ToolOutcome => {
    session.handoffReason ??= reason;
    return { isError: false, content: JSON.stringify({ handedOff: true, reason, instruction: say }) };
  };
  const closedDeal = (): ToolOutcome | null =>
    deal && (deal.stage === 'won' || deal.stage === 'lost')
      ? {
          isError: true,
          content: JSON.stringify({
            error: `the deal is ${deal.stage}`,
            instruction:
              deal.stage === 'won'
                ? 'The prospect is already a customer: thank them and help with their question.'
                : 'The team closed this deal: offer to bring in a person.',
          }),
        }
      : null;
  const offerSlots = async (): Promise<OfferedSlot[]> => {
    const slots = await findFreeSlots(deps.db, orgId, { now: deps.now(), limit: 3 });
    return slots.map((slot, index) => ({
      number: index + 1,
      repId: slot.repId,
      startsAt: slot.startsAt.toISOString(),
      label: describeSlot(slot.startsAt, prospectZone ?? 'UTC'),
    }));
  };

  const session: CloserSession = {
    closing: structuredClone(context.closing),
    moves: [],
    paymentLink: null,
    booked: null,
    offeredNow: false,
    handoffReason: null,
    invalidCalls: 0,
    async callTool(name, input) {
      const ignore = (error: string): ToolOutcome => {
        session.invalidCalls++;
        deps.log.warn(
          { orgId, conversationId: conversation.id, tool: name, error },
          'invalid tool call ignored',
        );
        return { isError: true, content: JSON.stringify({ ignored: true, error }) };
      };
      if (!deps.closing!.tools.includes(name)) return ignore(`unknown tool ${name}`);
      const parse = <S extends z.ZodType>(schema: S) => {
        const parsed = schema.safeParse(input ?? {});
        return parsed.success
          ? { args: parsed.data as z.infer<S> }
          : { error: z.prettifyError(parsed.error) };
      };

      if (name === 'propose_plan') {
        const parsed = parse(proposePlanArgsSchema);
        if ('error' in parsed) return ignore(parsed.error!);
        const closed = closedDeal();
        if (closed) return closed;
        const { seats, plan: named } = parsed.args;
        if (context.plans.length === 0) {
          return handOff(
            'no plan prices in the knowledge base',
            'Say a person from the team will prepare the offer; do not state any price.',
          );
        }
        const plan = named ? planNamed(context.plans, named) : planForSeats(context.plans, seats);
        if (!plan)
          return ignore(`no plan named ${named} (plans: ${context.plans.map((p) => p.name).join(', ')})`);
        const quote = quotePlan(plan, seats);
        if (!quote) {
          return handOff(
            `${plan.name} has custom pricing (${seats} users)`,
            `Say ${plan.name} is priced individually and a person from the team will prepare the offer.`,
          );
        }
        if (quote.annualAmountCents > limitCents) {
          return handOff(
            `a ${formatAmount(quote.annualAmountCents, quote.currency)} a year deal is above the autonomous limit of ${formatAmount(limitCents, quote.currency)}`,
            'Say that for a team this size a person from the team will prepare the offer with them; do not quote a price.',
          );
        }
        const proposal: Proposal = {
          plan: plan.name,
          seats,
          periodAmountCents: quote.periodAmountCents,
          annualAmountCents: quote.annualAmountCents,
          currency: quote.currency,
          period: plan.period,
          summary: describeQuote(quote),
        };
        const changed =
          session.closing.proposal?.plan !== proposal.plan || session.closing.proposal?.seats !== seats;
        session.closing.proposal = proposal;
        if (changed) delete session.closing.paymentUrl;
        session.moves.push({
          to: 'proposal',
          amountCents: proposal.annualAmountCents,
          proposal: { ...proposal },
          reason: `proposed ${proposal.summary}`,
        });
        return {
          isError: false,
          content: JSON.stringify({
            proposed: true,
            summary: proposal.summary,
            plan: plan.sentence,
            instruction:
              'State the summary exactly as written, say in a sentence why it fits what they told you, and ask ' +
              'whether they want to go ahead or see a short demo first.',
          }),
        };
      }

      if (name === 'answer_objection') {
        const parsed = parse(answerObjectionArgsSchema);
        if ('error' in parsed) return ignore(parsed.error!);
        const { topic } = parsed.args;
        const matching = retrieveKnowledge(ctx.knowledge, `${objectionQueries[topic]} ${message}`, {
          limit: 3,
        });
        session.closing.objections = [...(session.closing.objections ?? []), topic].slice(-10);
        if (!closedDeal()) session.moves.push({ to: 'negotiation', reason: `objection: ${topic}` });
        return {
          isError: false,
          content: JSON.stringify({
            recorded: true,
            topic,
            knowledge: matching.map((entry) => ({ kind: entry.kind, title: entry.title, text: entry.body })),
            instruction:
              matching.length > 0
                ? 'Answer the objection from these entries only, briefly, then ask whether that settles it.'
                : 'The knowledge base says nothing about this: say you do not want to guess and offer a person.',
          }),
        };
      }

      if (name === 'send_payment_link') {
        const closed = closedDeal();
        if (closed) return closed;
        const proposal = session.closing.proposal;
        if (!proposal || !deal) return ignore('propose a plan first (propose_plan)');
        if (!session.paymentLink) {
          session.paymentLink = await deps.closing!.payments.create({
            orgId,
            contactId: conversation.contact_id,
            dealId: deal.id,
            amountCents: proposal.periodAmountCents,
            currency: proposal.currency,
            productName: `${proposal.plan}, ${proposal.seats} user${proposal.seats === 1 ? '' : 's'} (first ${proposal.period})`,
            // One link per quote: a repeated turn gets the same link, a new quote a new one.
            idempotencyKey: `closer-payment-link:${deal.id}:${proposal.plan}:${proposal.seats}`,
          });
        }
        session.closing.paymentUrl = session.paymentLink.url;
        return {
          isError: false,
          content: JSON.stringify({
            url: session.paymentLink.url,
            charges: `${formatAmount(proposal.periodAmountCents, proposal.currency)} for the first ${proposal.period}`,
            instruction: 'Give the URL exactly as written and say what it charges.',
          }),
        };
      }

      if (name === 'offer_demo_slots') {
        const slots = await offerSlots();
        session.closing.offeredSlots = slots;
        session.offeredNow = true;
        if (slots.length === 0) {
          return handOff(
            'the prospect wants a demo and no rep has a free time',
            'Say no demo time is free in the coming days and a person from the team will arrange one.',
          );
        }
        return {
          isError: false,
          content: JSON.stringify({
            slots: slots.map(({ number, label }) => ({ number, label })),
            instruction: 'List these times with their numbers, as written, and ask which one suits.',
          }),
        };
      }

      if (name === 'book_demo') {
        const parsed = parse(bookDemoArgsSchema);
        if ('error' in parsed) return ignore(parsed.error!);
        const slot = session.closing.offeredSlots?.find((offered) => offered.number === parsed.args.slot);
        if (!slot)
          return ignore(`no offered time number ${parsed.args.slot}: offer times first (offer_demo_slots)`);
        const meeting = await bookOffered(deps, ctx, slot, deal);
        if (!meeting) {
          const slots = await offerSlots();
          session.closing.offeredSlots = slots;
          session.offeredNow = true;
          return {
            isError: false,
            content: JSON.stringify({
              booked: false,
              reason: 'that time was just taken',
              slots: slots.map(({ number, label }) => ({ number, label })),
              instruction: 'Apologize briefly, list these new times with their numbers and ask which suits.',
            }),
          };
        }
        session.booked = meeting;
        session.closing.meetingId = meeting.id;
        session.closing.meetingLabel = slot.label;
        delete session.closing.offeredSlots;
        return {
          isError: false,
          content: JSON.stringify({
            booked: true,
            when: slot.label,
            instruction: 'Confirm the time as written and say an invitation is on its way by email.',
          }),
        };
      }

      if (name === 'request_handoff') {
        const parsed = parse(requestHandoffArgsSchema);
        if ('error' in parsed) return ignore(parsed.error!);
        return handOff(parsed.args.reason, 'Tell the prospect a person from the team will join shortly.');
      }
      return ignore(`unknown tool ${name}`);
    },
  };
  return session;
}

/**
 * Books the offered time, or finds the meeting a crashed earlier run of this turn already booked
 * there; null when someone else took the time meanwhile.
 */
async function bookOffered(
  deps: ConversationServiceDeps,
  ctx: ConversationContext,
  slot: OfferedSlot,
  deal: Deal | null,
): Promise<Meeting | null> {
  const { conversation } = ctx;
  const mine = await listMeetings(deps.db, conversation.org_id, {
    contactId: conversation.contact_id,
    status: 'booked',
  });
  const earlier = mine.find(
    (meeting) => new Date(meeting.startsAt).getTime() === new Date(slot.startsAt).getTime(),
  );
  if (earlier) return earlier;
  try {
    return await bookMeeting(deps.db, {
      orgId: conversation.org_id,
      contactId: conversation.contact_id,
      repId: slot.repId,
      startsAt: new Date(slot.startsAt),
      dealId: deal?.id ?? null,
      conversationId: conversation.id,
      prospectTimeZone: ctx.contact.timezone,
      actor: closerActor,
      now: deps.now(),
    });
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'conflict') return null;
    throw error;
  }
}

/** The deal moves, the new link and the audit entries of the turn, in the reply's transaction. */
async function saveDealWork(
  tx: Db,
  deps: ConversationServiceDeps,
  ctx: ConversationContext,
  deal: Deal | null,
  session: CloserSession,
): Promise<void> {
  const { conversation } = ctx;
  const orgId = conversation.org_id;
  const audit = (action: string, details: Record<string, unknown>) =>
    ctx.audits.push({
      orgId,
      actor: closerActor,
      action,
      entityType: 'deal',
      entityId: deal?.id,
      contactId: conversation.contact_id,
      details: { conversationId: conversation.id, ...details },
    });
  if (!deal) return;
  for (const move of session.moves) {
    await advanceDeal(tx, { orgId, dealId: deal.id, actor: closerActor, now: deps.now(), ...move });
    if (move.proposal) audit('closer.proposed', { summary: move.proposal.summary });
    else audit('closer.objection_answered', { reason: move.reason });
  }
  if (session.paymentLink) {
    await replacePaymentLink(tx, orgId, deal.id, session.paymentLink);
    audit('payment_link.sent', { url: session.paymentLink.url, mode: deps.closing!.payments.mode });
  }
  if (session.booked) audit('closer.demo_booked', { meetingId: session.booked.id });
}

/**
 * What the prospect reads. The facts a tool produced are always in it, whatever the model wrote:
 * the payment link's URL, the offered times, the booking — so a model that forgets one still
 * gives the prospect what the tool did.
 */
function replyText(modelText: string, session: CloserSession, paymentMode: PaymentLinks['mode']): string {
  const lines = [modelText.trim()];
  const missing = (fact: string) => !lines.join('\n').includes(fact);
  if (session.paymentLink && missing(session.paymentLink.url)) {
    lines.push(`Here is your secure payment link: ${session.paymentLink.url}`);
  }
  if (session.paymentLink && paymentMode === 'recorded') lines.push('Test mode: no payment will be taken.');
  const offered = session.offeredNow && !session.booked ? (session.closing.offeredSlots ?? []) : [];
  if (offered.some((slot) => missing(slot.label))) {
    lines.push(offered.map((slot) => `${slot.number}. ${slot.label}`).join('\n'));
  }
  if (session.booked && session.closing.meetingLabel && missing(session.closing.meetingLabel)) {
    lines.push(
      `Your demo is booked for ${session.closing.meetingLabel}; an invitation is on its way by email.`,
    );
  }
  const text = lines.filter(Boolean).join('\n\n');
  if (text) return text;
  const proposal = session.closing.proposal;
  return proposal
    ? `Would you like to go ahead with ${proposal.summary}, or see a short demo first?`
    : 'How many people on your team would use it? Then I can tell you exactly what it costs.';
}
