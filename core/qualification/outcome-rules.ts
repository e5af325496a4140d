import { z } from 'zod';
import {
  annualBudgetCents,
  type BantItem,
  type BantState,
  type Disqualifier,
  formatUsd,
  isKnown,
  type Outcome,
  timelineDays,
} from './bant-state.ts';

/**
 * The organization's qualification rules, read from `settings.qualificationRules` (every key
 * optional, defaults below), with sales semantics. In the order they are applied:
 *
 * 1. DISQUALIFIED as soon as the prospect is no fit at all, whatever else is unknown: a student,
 *    a job seeker, a competitor, spam or abuse, an explicit "not interested" (`need.identified`
 *    false), a budget far below any plan (a yearly amount under `disqualifyBudgetBelowCents`), or
 *    a timeline beyond `disqualifyBeyondDays` when the organization sets one.
 * 2. NURTURE as soon as a fitting buyer (need known) cannot buy now: the budget is not allocated
 *    yet, a contract or a freeze holds them, they are only researching, the timeline is beyond
 *    `qualifyWithinDays`, the budget is below `minBudgetCents` (too small today), or they cannot
 *    reach whoever decides (an influencer without access).
 * 3. Otherwise no outcome until budget, authority, need, timeline and competition are all known
 *    (competition at least asked about and answered).
 * 4. QUALIFIED: need, an adequate budget (or one stated without an amount), the decider or a
 *    champion with access to them, a timeline within the horizon. Every outcome carries its
 *    reasons.
 */
export const qualificationRulesSchema = z.object({
  /** Smallest yearly budget that qualifies, in cents. Default $5,000. */
  minBudgetCents: z.number().int().min(0).default(500_000),
  /** A yearly budget below this is far below any plan: no fit. Default $1,000. */
  disqualifyBudgetBelowCents: z.number().int().min(0).default(100_000),
  /** A purchase expected within this many days qualifies; later ones are nurtured. */
  qualifyWithinDays: z.number().int().min(1).max(3650).default(90),
  /** A timeline beyond this disqualifies; unset means a late timeline is only nurtured. */
  disqualifyBeyondDays: z.number().int().min(1).max(3650).optional(),
});
export type QualificationRules = z.infer<typeof qualificationRulesSchema>;

/**
 * When a person takes over, from `settings.handoffRules`. A prospect who asks for a person always
 * gets one; these add the organization's own triggers.
 */
export const handoffRulesSchema = z.object({
  /** Hand every QUALIFIED lead to a person in the conversation. */
  onQualified: z.boolean().default(false),
  /** Budgets at or above this (yearly, cents) go to a person. */
  budgetAtLeastCents: z.number().int().min(0).optional(),
  /** A prospect message containing any of these words or phrases goes to a person. */
  keywords: z.array(z.string().trim().min(1).max(100)).max(100).default([]),
});
export type HandoffRules = z.infer<typeof handoffRulesSchema>;

export interface OrganizationRules {
  qualification: QualificationRules;
  handoff: HandoffRules;
  /** Settings that did not parse and were replaced by defaults (logged by the caller). */
  invalid: string[];
}

/** The rules from an organization's settings; a broken setting falls back to the defaults. */
export function readOrganizationRules(settings: Record<string, unknown>): OrganizationRules {
  const invalid: string[] = [];
  const read = <T>(key: string, schema: z.ZodType<T>): T => {
    const parsed = schema.safeParse(settings[key] ?? {});
    if (parsed.success) return parsed.data;
    invalid.push(`${key}: ${z.prettifyError(parsed.error)}`);
    return schema.parse({});
  };
  return {
    qualification: read('qualificationRules', qualificationRulesSchema),
    handoff: read('handoffRules', handoffRulesSchema),
    invalid,
  };
}

export interface OutcomeDecision {
  outcome: Outcome;
  reasons: string[];
}

const required: readonly BantItem[] = ['budget', 'authority', 'need', 'timeline', 'competition'];

const noFit: Record<Disqualifier, string> = {
  student: 'a student, not a buyer',
  job_seeker: 'looking for a job, not a buyer',
  competitor: 'works for a competitor',
  spam: 'spam or abuse',
  not_interested: 'not interested',
  opted_out: 'asked not to be contacted',
};

const blockerReason: Record<NonNullable<NonNullable<BantState['timeline']>['blocker']>, string> = {
  contract: 'locked into a contract for now',
  freeze: 'a hiring or budget freeze holds the purchase',
  researching: 'only researching for now',
  other: 'not ready to buy yet',
};

/** Applies the rules above; null while the conversation still has to learn something. */
export function evaluateOutcome(
  state: BantState,
  rules: QualificationRules,
  now: Date,
): OutcomeDecision | null {
  const days = timelineDays(state, now);
  const annual = annualBudgetCents(state);
  const disqualifiers: string[] = [];
  if (state.fit?.disqualifier) disqualifiers.push(noFit[state.fit.disqualifier]);
  if (state.need?.identified === false && !state.fit?.disqualifier) disqualifiers.push(noFit.not_interested);
  if (annual !== undefined && annual < rules.disqualifyBudgetBelowCents) {
    disqualifiers.push(
      `budget ${formatUsd(annual)} a year is far below any plan (under ${formatUsd(rules.disqualifyBudgetBelowCents)})`,
    );
  }
  if (rules.disqualifyBeyondDays !== undefined && days !== undefined && days > rules.disqualifyBeyondDays) {
    disqualifiers.push(`timeline of ${days} days is beyond ${rules.disqualifyBeyondDays} days`);
  }
  if (disqualifiers.length > 0) return { outcome: 'DISQUALIFIED', reasons: disqualifiers };

  // What keeps a fitting buyer from buying now: enough to nurture them, once their need is known.
  const notNow: string[] = [];
  if (state.budget?.stated === false || state.budget?.allocated === false)
    notNow.push('budget not allocated yet');
  else if (annual !== undefined && annual < rules.minBudgetCents)
    notNow.push(`budget ${formatUsd(annual)} a year is below the ${formatUsd(rules.minBudgetCents)} minimum`);
  if (state.timeline?.blocker) notNow.push(blockerReason[state.timeline.blocker]);
  if (days !== undefined && days > rules.qualifyWithinDays)
    notNow.push(`timeline of ${days} days is beyond ${rules.qualifyWithinDays} days`);
  if (state.authority?.isDecisionMaker === false && state.authority.hasAccess === false)
    notNow.push('no access to the decision maker yet');
  if (notNow.length > 0 && state.need?.identified === true) return { outcome: 'NURTURE', reasons: notNow };

  if (!required.every((item) => isKnown(state, item))) return null;
  if (notNow.length > 0) return { outcome: 'NURTURE', reasons: notNow };

  const met: string[] = [];
  const unmet: string[] = [];
  if (annual !== undefined) {
    met.push(`budget ${formatUsd(annual)} a year meets the ${formatUsd(rules.minBudgetCents)} minimum`);
  } else {
    met.push('budget stated');
  }
  if (state.authority?.isDecisionMaker === true) {
    met.push(`decision maker${state.authority.role ? ` (${state.authority.role})` : ''}`);
  } else if (state.authority?.hasAccess === true) {
    const who = state.authority.decisionMaker ? ` (${state.authority.decisionMaker})` : '';
    met.push(`can bring in the decision maker${who}`);
  } else {
    unmet.push('the decision maker is not involved yet');
  }
  met.push(`need: ${state.need?.summary ?? 'identified'}`);
  met.push(`timeline within ${days} days`);
  const competition = [...(state.competition?.current ?? []), ...(state.competition?.evaluating ?? [])];
  met.push(competition.length > 0 ? `competition: ${competition.join(', ')}` : 'no competing tool named');
  return unmet.length === 0 ? { outcome: 'QUALIFIED', reasons: met } : { outcome: 'NURTURE', reasons: unmet };
}

/** Why the organization's rules hand this conversation to a person now, if they do. */
export function handoffByRules(
  rules: HandoffRules,
  input: { state: BantState; outcome: Outcome | null; message: string },
): string | null {
  const text = input.message.toLowerCase();
  const keyword = rules.keywords.find((word) => text.includes(word.toLowerCase()));
  if (keyword) return `the prospect mentioned "${keyword}"`;
  const annual = annualBudgetCents(input.state);
  if (rules.budgetAtLeastCents !== undefined && annual !== undefined && annual >= rules.budgetAtLeastCents) {
    return `budget ${formatUsd(annual)} a year is at least ${formatUsd(rules.budgetAtLeastCents)}`;
  }
  if (rules.onQualified && input.outcome === 'QUALIFIED') return 'qualified lead';
  return null;
}
