import { listConversations, listMessages } from '../conversations.ts';
import type { Db } from '../db.ts';
import { notFound } from '../errors.ts';
import {
  annualBudgetCents,
  type BantState,
  formatUsd,
  type QualificationRecord,
  readQualification,
  timelineDays,
} from '../qualification/bant-state.ts';

/**
 * The briefing a rep gets with a lead (mode B): who the lead is, what the qualifier learned
 * (BANT+), the score breakdown, what the agent promised in the conversation, and a suggested next
 * step. A template, not a model call: it works offline and says only what the record holds.
 */
export interface BriefingLead {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  title: string | null;
  company: string | null;
  companySize: number | null;
  industry: string | null;
  country: string | null;
}

export interface BriefingInput {
  repName: string;
  lead: BriefingLead;
  qualification: QualificationRecord;
  score: number | null;
  breakdown: { signal: string; points: number; max: number; reason: string }[];
  /** Why the lead was routed to this rep. */
  routingReasons: string[];
  /** What the agent committed to in the conversation, as said. */
  promises: string[];
  /** Why the rep gets it: the lead was routed to them (default), asked for a person, or was taken over. */
  occasion?: BriefingOccasion;
  now: Date;
}

export const briefingOccasions = ['routed', 'handoff', 'taken_over'] as const;
export type BriefingOccasion = (typeof briefingOccasions)[number];

export interface RepBriefing {
  subject: string;
  /** The full briefing, for email. */
  email: string;
  /** A short version for SMS/WhatsApp. */
  text: string;
}

const leadName = (lead: BriefingLead) =>
  [lead.firstName, lead.lastName].filter(Boolean).join(' ') || lead.email || lead.phone || 'Unnamed lead';

const yesNo = (value: boolean | undefined, yes: string, no: string) =>
  value === undefined ? 'unknown' : value ? yes : no;

function bantLines(bant: BantState, now: Date): string[] {
  const budget = annualBudgetCents(bant);
  const budgetText =
    bant.budget?.amountCents !== undefined
      ? `${formatUsd(bant.budget.amountCents)}${bant.budget.period ? ` per ${bant.budget.period === 'one_time' ? 'purchase' : bant.budget.period}` : ''}${budget !== undefined && bant.budget.period === 'month' ? ` (${formatUsd(budget)} a year)` : ''}`
      : bant.budget?.stated === false
        ? 'said there is no budget'
        : bant.budget?.stated
          ? 'has a budget, amount not named'
          : 'unknown';
  const authority = bant.authority;
  const authorityText = authority
    ? [
        authority.role,
        authority.isDecisionMaker === undefined
          ? null
          : authority.isDecisionMaker
            ? 'decision maker'
            : `not the decision maker${authority.decisionMaker ? ` (${authority.decisionMaker} signs)` : ''}`,
        authority.hasAccess ? 'can bring the decision maker in' : null,
      ]
        .filter(Boolean)
        .join('; ') || 'unknown'
    : 'unknown';
  const need = bant.need;
  const needText = need
    ? [
        need.summary ??
          (need.identified === undefined ? null : yesNo(need.identified, 'need identified', 'no clear need')),
        need.painPoints?.length ? `pain points: ${need.painPoints.join(', ')}` : null,
      ]
        .filter(Boolean)
        .join('; ') || 'unknown'
    : 'unknown';
  const days = timelineDays(bant, now);
  const timelineText =
    days === undefined
      ? 'unknown'
      : `${bant.timeline?.date ? `by ${bant.timeline.date}, ` : ''}within ${days} ${days === 1 ? 'day' : 'days'}${bant.timeline?.note ? ` (${bant.timeline.note})` : ''}`;
  const competition = bant.competition;
  const competitionText = competition
    ? [
        competition.current?.length ? `uses ${competition.current.join(', ')}` : null,
        competition.evaluating?.length ? `evaluating ${competition.evaluating.join(', ')}` : null,
        competition.none ? 'uses nothing today' : null,
      ]
        .filter(Boolean)
        .join('; ') || 'unknown'
    : 'unknown';
  return [
    `- Budget: ${budgetText}`,
    `- Authority: ${authorityText}`,
    `- Need: ${needText}`,
    `- Timeline: ${timelineText}`,
    `- Competition: ${competitionText}`,
  ];
}

/** What to do first, from what is known and what is missing. */
export function suggestNextStep(input: Pick<BriefingInput, 'qualification' | 'promises' | 'now'>): string {
  const { bant } = input.qualification;
  const steps: string[] = [];
  if (input.promises.length > 0)
    steps.push('Make good on what the agent promised (above) in your first message');
  const days = timelineDays(bant, input.now);
  if (days !== undefined && days <= 14) steps.push(`Call today: they plan to buy within ${days} days`);
  else steps.push('Book a discovery call within one business day');
  if (bant.authority?.isDecisionMaker === false) {
    steps.push(`Ask to bring ${bant.authority.decisionMaker ?? 'the decision maker'} into the call`);
  }
  if (bant.competition?.evaluating?.length) {
    steps.push(`Prepare a comparison with ${bant.competition.evaluating.join(' and ')}`);
  }
  const gaps = [
    bant.budget?.amountCents === undefined && bant.budget?.stated === undefined ? 'budget' : null,
    bant.authority?.isDecisionMaker === undefined && bant.authority?.hasAccess === undefined
      ? 'authority'
      : null,
    bant.need?.identified === undefined ? 'need' : null,
    days === undefined ? 'timeline' : null,
  ].filter(Boolean);
  if (gaps.length > 0) steps.push(`Confirm what is still unknown: ${gaps.join(', ')}`);
  return `${steps.join('. ')}.`;
}

export function composeRepBriefing(input: BriefingInput): RepBriefing {
  const { lead } = input;
  const name = leadName(lead);
  const company = lead.company ?? 'unknown company';
  const scoreText = input.score === null ? 'not scored' : `${input.score}/100`;
  const who = [
    `${name}${lead.title ? `, ${lead.title}` : ''} at ${company}`,
    [lead.companySize !== null ? `${lead.companySize} employees` : null, lead.industry, lead.country]
      .filter(Boolean)
      .join(', ') || null,
    [lead.email, lead.phone].filter(Boolean).join(' · ') || null,
  ].filter(Boolean);
  const outcome = input.qualification.outcome ?? 'not decided';
  const outcomeReasons = input.qualification.reasons.length
    ? ` — ${input.qualification.reasons.join('; ')}`
    : '';
  const breakdown = input.breakdown.length
    ? input.breakdown.map((entry) => `- ${entry.signal} ${entry.points}/${entry.max}: ${entry.reason}`)
    : ['- not scored yet'];
  const promises = input.promises.length
    ? input.promises.map((promise) => `- "${promise}"`)
    : ['- Nothing: the agent made no commitments in the conversation.'];
  const nextStep = suggestNextStep(input);
  const occasion = input.occasion ?? 'routed';
  const headline = {
    routed: `QuotaHit routed a new lead to you: ${name} (${company}), lead score ${scoreText}.`,
    handoff: `${name} (${company}) asked for a person and is waiting in the conversation: take it over in the QuotaHit console. Lead score ${scoreText}.`,
    taken_over: `You took over the conversation with ${name} (${company}), lead score ${scoreText}.`,
  }[occasion];
  const email = [
    `Hi ${input.repName},`,
    '',
    headline,
    '',
    'WHO',
    ...who,
    '',
    `BANT+ (outcome: ${outcome}${outcomeReasons})`,
    ...bantLines(input.qualification.bant, input.now),
    '',
    `SCORE ${scoreText}`,
    ...breakdown,
    '',
    'WHY YOU',
    ...input.routingReasons.map((reason) => `- ${reason}`),
    '',
    'PROMISED IN THE CONVERSATION',
    ...promises,
    '',
    'SUGGESTED NEXT STEP',
    nextStep,
  ].join('\n');
  const budget = annualBudgetCents(input.qualification.bant);
  const text = [
    occasion === 'handoff'
      ? `QuotaHit: ${name} (${company}) asked for a person and is waiting; take over in the console`
      : `QuotaHit: ${occasion === 'routed' ? 'new lead' : 'lead'} ${name} (${company}), score ${scoreText}`,
    budget !== undefined ? `budget ${formatUsd(budget)}/yr` : null,
    input.promises.length ? `${input.promises.length} promise(s) to keep` : null,
    `Next: ${nextStep}`,
    'Full briefing in your email.',
  ]
    .filter(Boolean)
    .join('. ')
    .replace(/\.\./g, '.');
  const subject = {
    routed: `New lead: ${name} (${company}) — score ${scoreText}`,
    handoff: `Waiting for you: ${name} (${company}) asked for a person`,
    taken_over: `Briefing: ${name} (${company}) — score ${scoreText}`,
  }[occasion];
  return { subject, email, text };
}

// First-person commitments: "I'll send", "we will follow up", "someone from our team will call".
const commitment =
  /\b(i['’]ll|i will|we['’]ll|we will|i can send|i['’]m sending|let me send|someone (?:from|on) our team will|a (?:member of our team|rep|person|colleague) will|promise|guarantee)\b/i;

/** The sentences of the agent's messages that commit to something, in order, without repeats. */
export function findPromises(agentMessages: readonly string[]): string[] {
  const found: string[] = [];
  for (const message of agentMessages) {
    for (const sentence of message.split(/(?<=[.!?])\s+|\n+/)) {
      const trimmed = sentence.trim();
      // A question ("Shall I send the pricing?") offers; it does not commit.
      if (!trimmed || trimmed.endsWith('?') || !commitment.test(trimmed)) continue;
      if (!found.includes(trimmed)) found.push(trimmed);
    }
  }
  return found.slice(0, 8);
}

interface BriefingContactRow {
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  title: string | null;
  company_name: string | null;
  company_size: number | null;
  industry: string | null;
  country: string | null;
  lead_score: number | null;
  score_breakdown: unknown;
  qualification: unknown;
}

/** Gathers the lead, its qualification, score and the agent's messages, and writes the briefing. */
export async function buildRepBriefing(
  db: Db,
  input: {
    orgId: string;
    contactId: string;
    repName: string;
    routingReasons: string[];
    occasion?: BriefingOccasion;
    now: Date;
  },
): Promise<RepBriefing> {
  const rows = await db.query<BriefingContactRow>(
    `select first_name, last_name, email, phone, title, company_name, company_size, industry, country,
       lead_score, score_breakdown, qualification from contacts where org_id = $1 and id = $2`,
    [input.orgId, input.contactId],
  );
  const contact = rows[0];
  if (!contact) throw notFound('lead');
  const agentMessages: string[] = [];
  const conversations = await listConversations(db, input.orgId, { contactId: input.contactId });
  for (const conversation of [...conversations].reverse()) {
    const messages = await listMessages(db, input.orgId, conversation.id);
    for (const message of messages) {
      if (message.direction === 'outbound' && message.sender === 'agent') agentMessages.push(message.body);
    }
  }
  const breakdown = Array.isArray(contact.score_breakdown)
    ? (contact.score_breakdown as BriefingInput['breakdown']).filter(
        (entry) => entry && typeof entry.signal === 'string' && typeof entry.points === 'number',
      )
    : [];
  return composeRepBriefing({
    repName: input.repName,
    lead: {
      firstName: contact.first_name,
      lastName: contact.last_name,
      email: contact.email,
      phone: contact.phone,
      title: contact.title,
      company: contact.company_name,
      companySize: contact.company_size,
      industry: contact.industry,
      country: contact.country,
    },
    qualification: readQualification(contact.qualification),
    score: contact.lead_score,
    breakdown,
    routingReasons: input.routingReasons,
    promises: findPromises(agentMessages),
    occasion: input.occasion,
    now: input.now,
  });
}

/** A lead's current briefing (`rep_briefings`), as the console shows it. */
export interface StoredRepBriefing extends RepBriefing {
  repId: string | null;
  occasion: BriefingOccasion;
  routingReasons: string[];
  builtAt: string;
}

interface StoredBriefingRow {
  rep_id: string | null;
  occasion: BriefingOccasion;
  routing_reasons: string[];
  subject: string;
  email: string;
  text: string;
  built_at: Date;
}

const toStoredBriefing = (row: StoredBriefingRow): StoredRepBriefing => ({
  repId: row.rep_id,
  occasion: row.occasion,
  routingReasons: row.routing_reasons ?? [],
  subject: row.subject,
  email: row.email,
  text: row.text,
  builtAt: row.built_at.toISOString(),
});

export async function getRepBriefing(
  db: Db,
  orgId: string,
  contactId: string,
): Promise<StoredRepBriefing | null> {
  const rows = await db.query<StoredBriefingRow>(
    'select * from rep_briefings where org_id = $1 and contact_id = $2',
    [orgId, contactId],
  );
  return rows[0] ? toStoredBriefing(rows[0]) : null;
}

/**
 * Builds the lead's briefing from what is recorded now and keeps it as the lead's current one.
 * The contact row is share-locked first: a fact written meanwhile waits for this to commit, so the
 * refresh its event starts finds this briefing and rebuilds it — a briefing never misses a fact.
 */
export async function storeRepBriefing(
  db: Db,
  input: {
    orgId: string;
    contactId: string;
    repId: string | null;
    routingReasons: string[];
    occasion: BriefingOccasion;
    now: Date;
  },
): Promise<StoredRepBriefing> {
  return db.transaction(async (tx) => {
    await tx.query('select 1 from contacts where org_id = $1 and id = $2 for share', [
      input.orgId,
      input.contactId,
    ]);
    const reps = input.repId
      ? await tx.query<{ name: string | null; email: string }>(
          'select name, email from users where org_id = $1 and id = $2',
          [input.orgId, input.repId],
        )
      : [];
    const repName = reps[0] ? (reps[0].name ?? reps[0].email) : 'team';
    const briefing = await buildRepBriefing(tx, { ...input, repName });
    const rows = await tx.query<StoredBriefingRow>(
      `insert into rep_briefings (org_id, contact_id, rep_id, occasion, routing_reasons, subject, email, text, built_at)
       values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)
       on conflict (org_id, contact_id) do update set rep_id = excluded.rep_id, occasion = excluded.occasion,
         routing_reasons = excluded.routing_reasons, subject = excluded.subject, email = excluded.email,
         text = excluded.text, built_at = excluded.built_at
       returning *`,
      [
        input.orgId,
        input.contactId,
        reps[0] ? input.repId : null,
        input.occasion,
        JSON.stringify(input.routingReasons),
        briefing.subject,
        briefing.email,
        briefing.text,
        input.now,
      ],
    );
    return toStoredBriefing(rows[0]!);
  });
}

/**
 * Rebuilds the lead's briefing, if a rep was ever briefed on it, from the facts, score and outcome
 * recorded now (the `rep-briefing-refresh` workflow, on every change of them). Leads no rep was
 * briefed on have nothing to refresh.
 */
export async function refreshRepBriefing(
  db: Db,
  orgId: string,
  contactId: string,
  now: Date = new Date(),
): Promise<{ refreshed: boolean }> {
  const current = await getRepBriefing(db, orgId, contactId);
  if (!current) return { refreshed: false };
  await storeRepBriefing(db, {
    orgId,
    contactId,
    repId: current.repId,
    routingReasons: current.routingReasons,
    occasion: current.occasion,
    now,
  });
  return { refreshed: true };
}
