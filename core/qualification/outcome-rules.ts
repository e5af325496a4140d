import { z } from 'zod';
import {
  annualBudgetCents,
  type BantItem,
  type BantState,
  formatUsd,
  isKnown,
  type Outcome,
  timelineDays,
} from './bant-state.ts';

/**
 * The organization's qualification rules, read from `settings.qualificationRules` (every key
 * optional, defaults below). The rules, in the order they are applied:
 *
 * 1. DISQUALIFIED as soon as any hard "no" is known, whatever else is missing:
 *    - no budget at all (`budget.stated` false and no amount),
 *    - no need (`need.identified` false),
 *    - no way to the decision maker (`authority.isDecisionMaker` false and `hasAccess` false),
 *    - a timeline beyond `disqualifyBeyondDays` (when the organization sets one).
 * 2. Otherwise no outcome until budget, authority, need and timeline are all known (competition
 *    is asked about but never required).
 * 3. QUALIFIED when every one of these holds:
 *    - budget: the yearly amount (a monthly one times 12) is at least `minBudgetCents`, or a
 *      budget is stated without an amount;
 *    - authority: the prospect decides, or can bring in whoever does;
 *    - need: identified;
 *    - timeline: within `qualifyWithinDays`.
 * 4. Otherwise NURTURE, with the unmet criteria as reasons (a fit, but not now or not yet).
 */
export const qualificationRulesSchema = z.object({
  /** Smallest yearly budget that qualifies, in cents. Default $5,000. */
  minBudgetCents: z.number().int().min(0).default(500_000),
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

const required: readonly BantItem[] = ['budget', 'authority', 'need', 'timeline'];

/** Applies the rules above; null while the conversation still has to learn something. */
export function evaluateOutcome(
  state: BantState,
  rules: QualificationRules,
  now: Date,
): OutcomeDecision | null {
  const days = timelineDays(state, now);
  const disqualifiers: string[] = [];
  if (state.budget?.stated === false && state.budget.amountCents === undefined) {
    disqualifiers.push('no budget for this purchase');
  }
  if (state.need?.identified === false) disqualifiers.push('no need for the product');
  if (state.authority?.isDecisionMaker === false && state.authority.hasAccess === false) {
    disqualifiers.push('no access to the decision maker');
  }
  if (rules.disqualifyBeyondDays !== undefined && days !== undefined && days > rules.disqualifyBeyondDays) {
    disqualifiers.push(`timeline of ${days} days is beyond ${rules.disqualifyBeyondDays} days`);
  }
  if (disqualifiers.length > 0) return { outcome: 'DISQUALIFIED', reasons: disqualifiers };

  if (!required.every((item) => isKnown(state, item))) return null;

  const met: string[] = [];
  const unmet: string[] = [];
  const annual = annualBudgetCents(state);
  if (annual !== undefined) {
    if (annual >= rules.minBudgetCents) {
      met.push(`budget ${formatUsd(annual)} a year meets the ${formatUsd(rules.minBudgetCents)} minimum`);
    } else {
      unmet.push(
        `budget ${formatUsd(annual)} a year is below the ${formatUsd(rules.minBudgetCents)} minimum`,
      );
    }
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
  if (days !== undefined && days <= rules.qualifyWithinDays) {
    met.push(`timeline within ${days} days`);
  } else {
    unmet.push(`timeline of ${days} days is beyond ${rules.qualifyWithinDays} days`);
  }
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
