import type { KnowledgeDocument } from '../qualification/knowledge-retrieval.ts';

/**
 * The organization's plans, read from its knowledge base's pricing entries ("Growth: $99 per user
 * per month, unlimited users, …"). The closer quotes only these: a price it cannot read here is a
 * price it does not state, and a plan with custom pricing goes to a rep.
 */
export interface Plan {
  name: string;
  /** The sentence the plan was read from, as written. */
  sentence: string;
  /** Null: custom pricing (a rep quotes it). */
  unitAmountCents: number | null;
  currency: string;
  /** `seat`: the price is per user (or seat); `flat`: per organization. */
  per: 'seat' | 'flat';
  period: 'month' | 'year';
  minSeats: number | null;
  maxSeats: number | null;
}

export interface Quote {
  plan: Plan;
  seats: number;
  /** What one billing period costs (the payment link charges this). */
  periodAmountCents: number;
  /** The deal's value over a year. */
  annualAmountCents: number;
  currency: string;
}

const currencySymbols: Record<string, string> = { $: 'usd', '€': 'eur', '£': 'gbp' };

const splitSentences = (text: string) => text.split(/(?<=[.!?])\s+(?=[A-Z0-9$€£])/).filter(Boolean);

const numberOf = (text: string) => Number(text.replace(/,/g, ''));

/** Reads one pricing sentence as a plan, or null if it names none ("Annual billing saves 20%."). */
export function readPlan(sentence: string): Plan | null {
  const named = /^\s*(?:the\s+)?([A-Z][\w+ -]{0,40}?)(?:\s+plan)?\s*[:–—-]\s+(.+)$/.exec(sentence);
  if (!named) return null;
  const name = named[1]!.trim();
  const rest = named[2]!;
  const price =
    /([$€£])\s?(\d[\d,]*(?:\.\d{1,2})?)/.exec(rest) ??
    /(\d[\d,]*(?:\.\d{1,2})?)\s?(USD|EUR|GBP)\b/i.exec(rest);
  const custom = /\b(custom pricing|custom price|contact (?:us|sales)|on request|talk to sales)\b/i.test(
    rest,
  );
  if (!price && !custom) return null;
  let unitAmountCents: number | null = null;
  let currency = 'usd';
  if (price && !custom) {
    const symbolFirst = price[1]! in currencySymbols;
    const amount = symbolFirst ? price[2]! : price[1]!;
    currency = symbolFirst ? currencySymbols[price[1]!]! : price[2]!.toLowerCase();
    unitAmountCents = Math.round(numberOf(amount) * 100);
  }
  const upTo = /\bup to (\d[\d,]*) (?:users|seats|people|reps)\b/i.exec(rest);
  const from = /\b(?:from|over|more than|at least|minimum of) (\d[\d,]*) (?:users|seats|people|reps)\b/i.exec(
    rest,
  );
  return {
    name,
    sentence: sentence.trim(),
    unitAmountCents,
    currency,
    per: /\bper (?:user|seat|rep)\b|\/(?:user|seat)\b/i.test(rest) ? 'seat' : 'flat',
    period: /\bper year\b|\ba year\b|\/year\b|\/yr\b|\bannually\b/i.test(rest) ? 'year' : 'month',
    minSeats: from ? numberOf(from[1]!) : null,
    maxSeats: upTo ? numberOf(upTo[1]!) : null,
  };
}

/** Every plan the pricing entries name, in the order written. */
export function plansOf(knowledge: readonly KnowledgeDocument[]): Plan[] {
  return knowledge
    .filter((entry) => entry.kind === 'pricing')
    .flatMap((entry) => splitSentences(entry.body))
    .map(readPlan)
    .filter((plan): plan is Plan => plan !== null);
}

/** The plan for a team of this size: the tightest bounded range that fits, else an open one. */
export function planForSeats(plans: readonly Plan[], seats: number): Plan | null {
  const fits = plans.filter(
    (plan) =>
      (plan.minSeats === null || seats >= plan.minSeats) &&
      (plan.maxSeats === null || seats <= plan.maxSeats),
  );
  if (fits.length === 0) return null;
  // A priced plan beats a custom one; then a bounded range beats an unlimited one.
  const rank = (plan: Plan) =>
    (plan.unitAmountCents !== null ? 2 : 0) +
    (plan.maxSeats !== null ? 1 : 0) +
    (plan.minSeats !== null ? 0.5 : 0);
  return [...fits].sort((a, b) => rank(b) - rank(a))[0]!;
}

export function planNamed(plans: readonly Plan[], name: string): Plan | null {
  const wanted = name
    .trim()
    .toLowerCase()
    .replace(/\s+plan$/, '');
  return plans.find((plan) => plan.name.toLowerCase() === wanted) ?? null;
}

/** What the plan costs a team of this size; null for custom pricing. */
export function quotePlan(plan: Plan, seats: number): Quote | null {
  if (plan.unitAmountCents === null) return null;
  const periodAmountCents = plan.unitAmountCents * (plan.per === 'seat' ? seats : 1);
  return {
    plan,
    seats,
    periodAmountCents,
    annualAmountCents: plan.period === 'month' ? periodAmountCents * 12 : periodAmountCents,
    currency: plan.currency,
  };
}

export function formatAmount(amountCents: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: currency.toUpperCase(),
      maximumFractionDigits: amountCents % 100 === 0 ? 0 : 2,
    }).format(amountCents / 100);
  } catch {
    return `${(amountCents / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

/** "Growth for 8 users: $792 a month ($9,504 a year)". */
export function describeQuote(quote: Quote): string {
  const period = formatAmount(quote.periodAmountCents, quote.currency);
  const users = quote.plan.per === 'seat' ? ` for ${quote.seats} user${quote.seats === 1 ? '' : 's'}` : '';
  if (quote.plan.period === 'year') return `${quote.plan.name}${users}: ${period} a year`;
  return `${quote.plan.name}${users}: ${period} a month (${formatAmount(quote.annualAmountCents, quote.currency)} a year)`;
}
