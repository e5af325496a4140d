import { z } from 'zod';

/**
 * What the qualifier has learned about a prospect, stored under `contacts.qualification.bant`.
 * Scoring reads some of these paths (core/scoring/qualification-signals.ts: budget.amountCents,
 * budget.stated, authority.role, authority.isDecisionMaker, timeline.withinDays, timeline.date);
 * the rest (need, competition, notes) is for the outcome rules, routing and the rep's briefing.
 * Every field is optional: absent means "not learned yet".
 */
const note = z.string().trim().min(1).max(500);

export const budgetSchema = z.looseObject({
  /** In US cents, whatever currency the prospect named (compared with the rules in dollars). */
  amountCents: z.number().int().min(0).optional(),
  /** The currency the prospect named (ISO 4217) and the amount in it, in its cents. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  originalAmountCents: z.number().int().min(0).optional(),
  /** false: a fitting buyer whose budget is not allocated yet ("no budget yet"). */
  allocated: z.boolean().optional(),
  /** `year`, `month` or `one_time`; an amount without a period is compared as given. */
  period: z.enum(['month', 'year', 'one_time']).optional(),
  /** true: has a budget; false: said there is none. */
  stated: z.boolean().optional(),
  note: note.optional(),
});

export const authoritySchema = z.looseObject({
  role: z.string().trim().min(1).max(200).optional(),
  isDecisionMaker: z.boolean().optional(),
  /** Not the decision maker, but can bring them in (e.g. "I need my CFO to sign off"). */
  hasAccess: z.boolean().optional(),
  /** Who signs, as the prospect said it ("CFO"). */
  decisionMaker: z.string().trim().min(1).max(200).optional(),
});

export const needSchema = z.looseObject({
  identified: z.boolean().optional(),
  summary: note.optional(),
  painPoints: z.array(z.string().trim().min(1).max(200)).max(10).optional(),
});

export const timelineBlockers = ['contract', 'freeze', 'researching', 'other'] as const;

export const timelineSchema = z.looseObject({
  withinDays: z.number().int().min(0).optional(),
  date: z.iso.date().optional(),
  /** What holds the purchase back: a running contract, a hiring or budget freeze, research only. */
  blocker: z.enum(timelineBlockers).optional(),
  note: note.optional(),
});

export const competitionSchema = z.looseObject({
  /** What they use today (tools, spreadsheets, a competitor). */
  current: z.array(z.string().trim().min(1).max(100)).max(10).optional(),
  /** Alternatives they are evaluating. */
  evaluating: z.array(z.string().trim().min(1).max(100)).max(10).optional(),
  /** Said they use nothing today. */
  none: z.boolean().optional(),
  /** The question was asked and answered without naming anything (enough to decide). */
  asked: z.boolean().optional(),
});

/** Reasons a prospect is no fit at all, whatever their budget or timeline. */
export const disqualifiers = [
  'student',
  'job_seeker',
  'competitor',
  'spam',
  'not_interested',
  'opted_out',
] as const;
export type Disqualifier = (typeof disqualifiers)[number];

export const fitSchema = z.looseObject({
  disqualifier: z.enum(disqualifiers).optional(),
  note: note.optional(),
});

export const bantStateSchema = z.looseObject({
  budget: budgetSchema.optional(),
  authority: authoritySchema.optional(),
  need: needSchema.optional(),
  timeline: timelineSchema.optional(),
  competition: competitionSchema.optional(),
  /** Not an item to ask about: what the prospect revealed about being a buyer at all. */
  fit: fitSchema.optional(),
});
export type BantState = z.infer<typeof bantStateSchema>;
export type BantItem = 'budget' | 'authority' | 'need' | 'timeline' | 'competition';
export const bantItems: readonly BantItem[] = ['budget', 'authority', 'need', 'timeline', 'competition'];

export const outcomes = ['QUALIFIED', 'NURTURE', 'DISQUALIFIED'] as const;
export type Outcome = (typeof outcomes)[number];

/** The whole `contacts.qualification` document as the qualifier writes it. */
export interface QualificationRecord {
  bant: BantState;
  outcome: Outcome | null;
  reasons: string[];
  engagement: { messages: number };
  [key: string]: unknown;
}

/** A change to the state: what one `update_qualification` call said. */
export type BantPatch = {
  [K in BantItem | 'fit']?: Partial<NonNullable<BantState[K]>>;
};

/**
 * Reads whatever is stored, dropping (not failing on) sections of the wrong shape, so an old or
 * hand-edited document never stops a conversation.
 */
export function readQualification(stored: unknown): QualificationRecord {
  const doc = stored && typeof stored === 'object' ? (stored as Record<string, unknown>) : {};
  const rawBant = doc.bant && typeof doc.bant === 'object' ? (doc.bant as Record<string, unknown>) : {};
  const bant: BantState = {};
  const sections = {
    budget: budgetSchema,
    authority: authoritySchema,
    need: needSchema,
    timeline: timelineSchema,
    competition: competitionSchema,
    fit: fitSchema,
  } as const;
  for (const item of [...bantItems, 'fit'] as const) {
    const parsed = sections[item].safeParse(rawBant[item]);
    if (parsed.success) (bant as Record<string, unknown>)[item] = parsed.data;
  }
  const outcome = outcomes.includes(doc.outcome as Outcome) ? (doc.outcome as Outcome) : null;
  const reasons = Array.isArray(doc.reasons)
    ? doc.reasons.filter((r): r is string => typeof r === 'string')
    : [];
  const engagement = doc.engagement as { messages?: unknown } | undefined;
  const messages = typeof engagement?.messages === 'number' ? engagement.messages : 0;
  return { ...doc, bant, outcome, reasons, engagement: { ...engagement, messages } };
}

const unionList = (a: string[] | undefined, b: string[] | undefined): string[] | undefined => {
  if (!b) return a;
  const seen = new Map((a ?? []).map((value) => [value.toLowerCase(), value]));
  for (const value of b) if (!seen.has(value.toLowerCase())) seen.set(value.toLowerCase(), value);
  return [...seen.values()].slice(0, 10);
};

/** Applies a patch: given values replace known ones, lists grow, nothing is erased. */
export function mergeBant(state: BantState, patch: BantPatch): BantState {
  const next: BantState = { ...state };
  for (const item of [...bantItems, 'fit'] as const) {
    const change = patch[item];
    if (!change) continue;
    const defined = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
    if (Object.keys(defined).length === 0) continue;
    const merged: Record<string, unknown> = { ...(state[item] ?? {}), ...defined };
    if (item === 'need') {
      merged.painPoints = unionList(state.need?.painPoints, patch.need?.painPoints);
      if (merged.painPoints === undefined) delete merged.painPoints;
    }
    if (item === 'competition') {
      for (const key of ['current', 'evaluating'] as const) {
        merged[key] = unionList(state.competition?.[key], patch.competition?.[key]);
        if (merged[key] === undefined) delete merged[key];
      }
      if ((merged.current as string[] | undefined)?.length) merged.none = false;
    }
    (next as Record<string, unknown>)[item] = merged;
  }
  return next;
}

/** Whether the prospect has answered for an item (positively or not). */
export function isKnown(state: BantState, item: BantItem): boolean {
  switch (item) {
    case 'budget':
      return state.budget?.amountCents !== undefined || state.budget?.stated !== undefined;
    case 'authority':
      return state.authority?.isDecisionMaker !== undefined || state.authority?.hasAccess !== undefined;
    case 'need':
      return state.need?.identified !== undefined;
    case 'timeline':
      return state.timeline?.withinDays !== undefined || state.timeline?.date !== undefined;
    case 'competition':
      return Boolean(
        state.competition?.current?.length ||
          state.competition?.evaluating?.length ||
          state.competition?.none ||
          state.competition?.asked,
      );
  }
}

/**
 * The order a conversation covers the items in: need first (why are they here), then what they
 * use today, timing, who decides and, last, money — the order a good SDR earns the right to ask.
 */
export const questionOrder: readonly BantItem[] = ['need', 'competition', 'timeline', 'authority', 'budget'];

export function missingItems(state: BantState): BantItem[] {
  return questionOrder.filter((item) => !isKnown(state, item));
}

/** Days from `now` to a `YYYY-MM-DD` date (0 when it has passed). */
export function daysUntil(date: string, now: Date): number {
  const target = Date.parse(`${date.slice(0, 10)}T00:00:00Z`);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.max(0, Math.round((target - today) / 86_400_000));
}

/** The timeline in days, from `withinDays` or else from the date. */
export function timelineDays(state: BantState, now: Date): number | undefined {
  if (state.timeline?.withinDays !== undefined) return state.timeline.withinDays;
  if (state.timeline?.date) return daysUntil(state.timeline.date, now);
  return undefined;
}

/** The budget per year in cents (a monthly budget times twelve; one-time and unknown as given). */
export function annualBudgetCents(state: BantState): number | undefined {
  const amount = state.budget?.amountCents;
  if (amount === undefined) return undefined;
  return state.budget?.period === 'month' ? amount * 12 : amount;
}

export function formatUsd(cents: number): string {
  const dollars = cents / 100;
  return `$${dollars.toLocaleString('en-US', { maximumFractionDigits: dollars % 1 === 0 ? 0 : 2 })}`;
}
