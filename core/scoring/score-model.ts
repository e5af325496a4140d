import type { EnrichedFields } from '../enrichment/enrichment-provider.ts';
import { countriesIn, countryCode, type Region, regionLabel, regionOf } from './geography.ts';
import type { QualificationSignals } from './qualification-signals.ts';
import type { CompanySizeBand, ScoringProfile, SignalName } from './scoring-profile.ts';
import { signalNames } from './scoring-profile.ts';
import {
  classifySeniority,
  isGeneralExecutive,
  normalizeTitle,
  type Seniority,
  seniorityLabel,
  seniorityRank,
} from './seniority.ts';

/**
 * The scoring model: pure functions from what is known about a lead to a 0–100 score that
 * explains itself. Each signal yields a fit between 0 and 1 and a reason; its points are the fit
 * times the signal's weight. Data that is missing scores 0 with the reason "unknown" — the model
 * never fills a gap with a guess.
 */
export interface ScoreEntry {
  signal: SignalName;
  points: number;
  max: number;
  /** Why, in words; data from enrichment names its provider, e.g. "uses Salesforce (source: perplexity)". */
  reason: string;
}

export interface LeadScore {
  score: number;
  breakdown: ScoreEntry[];
}

/** What the model reads about one lead. */
export interface ScoringInput {
  contact: {
    title: string | null;
    companySize: number | null;
    industry: string | null;
    country: string | null;
    source: string | null;
    /** Tools the prospect said they use. */
    tools?: string[] | null;
    /**
     * Where contact fields came from, when recorded (`contacts.field_sources`): a field the
     * prospect stated in conversation says so in its reason.
     */
    sources?: Partial<Record<StatedField, string>>;
  };
  enrichment: EnrichedFields;
  qualification: QualificationSignals;
}

export const unknownReason = 'unknown';

/** The contact fields the model reads whose provenance it reports. */
export type StatedField = 'title' | 'companySize' | 'industry' | 'country' | 'tools';
/** The source of a contact field the prospect stated in conversation. */
const statedSource = 'stated';
/** "300 employees" → "300 employees, stated in conversation," before the rest of the reason. */
function said(label: string, source: string, punctuation = ','): string {
  return source === statedSource ? `${label}, stated in conversation${punctuation}` : label;
}

interface Assessment {
  fit: number;
  reason: string;
  /** Where the data came from: "contact", "stated" (a contact field said in conversation), "conversation", or an enrichment provider. */
  sources: string[];
}

// What the prospect told us needs no attribution; enrichment names its provider.
const firstHand = new Set(['contact', 'conversation', statedSource]);
function explain({ reason, sources }: Assessment): string {
  const providers = sources.filter((source) => !firstHand.has(source));
  return providers.length === 0 ? reason : `${reason} (source: ${providers.join(', ')})`;
}
type Signal = (input: ScoringInput, profile: CompiledProfile, now: Date) => Assessment | null;

const day = 86_400_000;

/** Whole-word matching on normalized text ("Computer Software" contains "software"). */
function words(text: string): string {
  return ` ${text
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()} `;
}
/** `terms` are already normalized with `words`. */
function containsAny(text: string, terms: readonly string[]): boolean {
  if (terms.length === 0) return false;
  const haystack = words(text);
  return terms.some((term) => haystack.includes(term));
}

function sourceKey(source: string): string {
  return source
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** A profile with its terms normalized once, so scoring 100,000 leads does not redo it each time. */
interface CompiledProfile {
  profile: ScoringProfile;
  industries: string[];
  adjacentIndustries: string[];
  excludedIndustries: string[];
  targetTitles: string[];
  techStack: string[];
  highSources: Set<string>;
  mediumSources: Set<string>;
  bandLabels: string[];
}

const compiled = new WeakMap<ScoringProfile, CompiledProfile>();
const normalizeTerms = (terms: string[]) => terms.map(words).filter((term) => term.trim() !== '');

function compile(profile: ScoringProfile): CompiledProfile {
  let result = compiled.get(profile);
  if (!result) {
    result = {
      profile,
      industries: normalizeTerms(profile.industries),
      adjacentIndustries: normalizeTerms(profile.adjacentIndustries),
      excludedIndustries: normalizeTerms(profile.excludedIndustries),
      targetTitles: profile.targetTitles
        .map((term) => words(normalizeTitle(term)))
        .filter((t) => t.trim() !== ''),
      techStack: normalizeTerms(profile.techStack),
      highSources: new Set(profile.intentSources.high.map(sourceKey)),
      mediumSources: new Set(profile.intentSources.medium.map(sourceKey)),
      bandLabels: profile.companySizeBands.map(bandLabel),
    };
    compiled.set(profile, result);
  }
  return result;
}

/** A contact field wins over enrichment: it is what the prospect told us. */
function known<T>(
  contactValue: T | null | undefined,
  enriched: { value: T; source: string } | undefined,
  recorded?: string,
): { value: T; source: string } | null {
  if (contactValue !== null && contactValue !== undefined && contactValue !== '')
    return { value: contactValue, source: recorded === 'conversation' ? statedSource : 'contact' };
  return enriched ?? null;
}

const icpMatch: Signal = ({ contact, enrichment }, profile) => {
  const industry = known(contact.industry, enrichment.industry, contact.sources?.industry);
  if (!industry) return null;
  const sources = [industry.source];
  const name = industry.value;
  const subject = said(name, industry.source);
  if (containsAny(name, profile.excludedIndustries))
    return { fit: 0, reason: `${subject} is an excluded industry`, sources };
  if (containsAny(name, profile.industries))
    return { fit: 1, reason: `${subject} is a target industry`, sources };
  if (containsAny(name, profile.adjacentIndustries))
    return { fit: 0.5, reason: `${subject} is an adjacent industry`, sources };
  return { fit: 0, reason: `${subject} is not a target industry`, sources };
};

// One formatter for all: `toLocaleString` builds a new one on every call, which is slow in bulk.
const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const count = (n: number) => integerFormat.format(n);

export function bandLabel(band: CompanySizeBand): string {
  return band.max === null ? `${count(band.min)}+` : `${count(band.min)}–${count(band.max)}`;
}

const companySize: Signal = ({ contact, enrichment }, profile) => {
  const size = known(contact.companySize, enrichment.companySize, contact.sources?.companySize);
  if (!size) return null;
  const employees = said(`${count(size.value)} ${size.value === 1 ? 'employee' : 'employees'}`, size.source);
  const index = profile.profile.companySizeBands.findIndex(
    (b) => size.value >= b.min && (b.max === null || size.value <= b.max),
  );
  const band = profile.profile.companySizeBands[index];
  if (!band) return { fit: 0, reason: `${employees} is outside the target bands`, sources: [size.source] };
  return {
    fit: band.fit,
    reason: `${employees} is in the ${profile.bandLabels[index]} band`,
    sources: [size.source],
  };
};

function article(label: string): string {
  return /^[aeiou]/i.test(label) ? `an ${label}` : `a ${label}`;
}

const decisionMaker: Signal = ({ contact, enrichment, qualification }, profile) => {
  const authority = qualification.bant?.authority;
  if (authority?.isDecisionMaker === true)
    return { fit: 1, reason: 'confirmed as the decision maker in conversation', sources: ['conversation'] };
  if (authority?.isDecisionMaker === false)
    // Not the signer, but an influencer who is talking to us is still worth something.
    return { fit: 0.2, reason: 'not the decision maker, per conversation', sources: ['conversation'] };

  let title: string | null = null;
  let seniority: Seniority | null = null;
  let source = 'contact';
  if (contact.title) {
    title = contact.title;
    seniority = classifySeniority(title);
    if (contact.sources?.title === 'conversation') source = statedSource;
  } else if (authority?.role) {
    title = authority.role;
    seniority = classifySeniority(title);
    source = 'conversation';
  } else if (enrichment.seniority) {
    seniority = enrichment.seniority.value;
    source = enrichment.seniority.source;
  }
  if (!seniority) return null;
  const sources = [source];
  const who = title ? said(title, source) : `${seniorityLabel[seniority]} seniority`;

  if (profile.profile.targetSeniorities.includes(seniority)) {
    const inFunction =
      !title ||
      profile.targetTitles.length === 0 ||
      isGeneralExecutive(title) ||
      containsAny(normalizeTitle(title), profile.targetTitles);
    if (inFunction) return { fit: 1, reason: `${who} is a decision maker`, sources };
    return { fit: 0.6, reason: `${who} is senior but outside the target functions`, sources };
  }
  if (seniorityRank[seniority] >= seniorityRank.manager)
    return {
      fit: 0.3,
      reason: `${who} is ${article(seniorityLabel[seniority])}, not a target seniority`,
      sources,
    };
  return { fit: 0, reason: `${who} is an individual contributor`, sources };
};

const centsFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export function formatCents(cents: number): string {
  return `$${cents % 100 === 0 ? integerFormat.format(cents / 100) : centsFormat.format(cents / 100)}`;
}

const budgetSignals: Signal = ({ qualification }, profile) => {
  const budget = qualification.bant?.budget;
  const sources = ['conversation'];
  const minimum = profile.profile.minimumBudgetCents;
  if (typeof budget?.amountCents === 'number') {
    const amount = budget.amountCents;
    const stated = `budget of ${formatCents(amount)}`;
    if (amount >= minimum)
      return { fit: 1, reason: `${stated} meets the ${formatCents(minimum)} minimum`, sources };
    if (amount * 2 >= minimum)
      return {
        fit: 0.5,
        reason: `${stated} is at least half of the ${formatCents(minimum)} minimum`,
        sources,
      };
    return { fit: 0, reason: `${stated} is less than half of the ${formatCents(minimum)} minimum`, sources };
  }
  if (budget?.stated === true) return { fit: 0.5, reason: 'has a budget, amount not stated', sources };
  if (budget?.stated === false) return { fit: 0, reason: 'no budget, per conversation', sources };
  return null;
};

function listing(items: string[]): string {
  if (items.length <= 2) return items.join(' and ');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

const techFit: Signal = ({ contact, enrichment }, profile) => {
  const statedTools = contact.tools?.length
    ? { value: contact.tools, source: contact.sources?.tools === 'conversation' ? statedSource : 'contact' }
    : null;
  // An empty list means the provider found nothing, not that the company uses nothing.
  const found = enrichment.techStack?.value.length ? enrichment.techStack : null;
  const matching = (list: { value: string[] } | null) =>
    list ? list.value.filter((tech) => containsAny(tech, profile.techStack)) : [];
  // A prospect names a few of their tools, a provider others: the list that shows more fit counts.
  const stack = matching(found).length > matching(statedTools).length ? found : (statedTools ?? found);
  if (!stack) return null;
  const sources = [stack.source];
  const matched = matching(stack);
  const uses = (what: string) => (stack.source === statedSource ? `${what}, stated in conversation` : what);
  if (matched.length >= 2) return { fit: 1, reason: uses(`uses ${listing(matched)}`), sources };
  if (matched.length === 1) return { fit: 0.6, reason: uses(`uses ${matched[0]}`), sources };
  return { fit: 0, reason: uses('uses none of the target technologies'), sources };
};

const growth: Signal = ({ enrichment }, _profile, now) => {
  const parts: string[] = [];
  const sources = new Set<string>();
  let fit = 0;
  const headcount = enrichment.headcountGrowthPct;
  if (headcount) {
    sources.add(headcount.source);
    const pct = Math.round(headcount.value * 10) / 10;
    const change =
      pct >= 0 ? `headcount grew ${pct}% in 12 months` : `headcount shrank ${Math.abs(pct)}% in 12 months`;
    parts.push(change);
    if (headcount.value >= 20) fit += 0.6;
    else if (headcount.value >= 5) fit += 0.3;
  }
  const funding = enrichment.lastFundingAt;
  if (funding) {
    sources.add(funding.source);
    const daysAgo = Math.floor((now.getTime() - Date.parse(`${funding.value}T00:00:00Z`)) / day);
    if (daysAgo <= 365) {
      fit += 0.4;
      parts.push(`raised funding on ${funding.value}, within 12 months`);
    } else if (daysAgo <= 730) {
      fit += 0.2;
      parts.push(`raised funding on ${funding.value}, 12–24 months ago`);
    } else parts.push(`last raised funding on ${funding.value}, over 24 months ago`);
  }
  if (parts.length === 0) return null;
  return { fit: Math.min(1, fit), reason: parts.join('; '), sources: [...sources] };
};

const geography: Signal = ({ contact, enrichment }, { profile }) => {
  const fromContact = countryCode(contact.country);
  const country = fromContact
    ? { value: fromContact, source: contact.sources?.country === 'conversation' ? statedSource : 'contact' }
    : (enrichment.country ?? enrichment.companyCountry ?? null);
  const anywhere = profile.regions.length === 0 && profile.countries.length === 0;
  if (country) {
    const sources = [country.source];
    const code = country.value;
    const subject = said(code, country.source);
    if (anywhere)
      return { fit: 1, reason: `${said(code, country.source, '')}: the profile sells everywhere`, sources };
    if (profile.countries.includes(code))
      return { fit: 1, reason: `${subject} is a target country`, sources };
    const region = regionOf(code);
    if (region && profile.regions.includes(region))
      return { fit: 1, reason: `${subject} is in the target region ${regionLabel[region]}`, sources };
    return { fit: 0, reason: `${subject} is outside the target regions and countries`, sources };
  }
  const region = enrichment.region;
  if (!region) return null;
  const sources = [region.source];
  const name = regionLabel[region.value as Region];
  if (anywhere) return { fit: 1, reason: `${name}: the profile sells everywhere`, sources };
  if (profile.regions.includes(region.value))
    return { fit: 1, reason: `${name} is a target region`, sources };
  // A target country inside the region might be it: without the country we cannot tell.
  if (countriesIn(region.value).some((code) => profile.countries.includes(code))) return null;
  return { fit: 0, reason: `${name} is outside the target regions and countries`, sources };
};

const intent: Signal = ({ contact, qualification }, profile, now) => {
  const parts: string[] = [];
  const sources = new Set<string>();
  let fit = 0;
  if (contact.source) {
    sources.add('contact');
    const key = sourceKey(contact.source);
    if (profile.highSources.has(key)) {
      fit += 0.4;
      parts.push(`${contact.source} is a high-intent source`);
    } else if (profile.mediumSources.has(key)) {
      fit += 0.2;
      parts.push(`${contact.source} is an inbound source`);
    } else parts.push(`${contact.source} is a low-intent source`);
  }
  const timeline = qualification.bant?.timeline;
  let withinDays = timeline?.withinDays ?? null;
  if (withinDays === null && timeline?.date) {
    withinDays = Math.max(0, Math.ceil((Date.parse(timeline.date) - now.getTime()) / day));
  }
  if (withinDays !== null) {
    sources.add('conversation');
    if (withinDays <= 30) fit += 0.4;
    else if (withinDays <= 90) fit += 0.2;
    parts.push(`plans to buy within ${withinDays} ${withinDays === 1 ? 'day' : 'days'}`);
  }
  const messages = qualification.engagement?.messages;
  if (typeof messages === 'number') {
    sources.add('conversation');
    if (messages >= 5) fit += 0.2;
    else if (messages >= 2) fit += 0.1;
    parts.push(`${messages} ${messages === 1 ? 'message' : 'messages'} from the prospect`);
  }
  if (parts.length === 0) return null;
  return { fit: Math.min(1, fit), reason: parts.join('; '), sources: [...sources] };
};

const signals: Record<SignalName, Signal> = {
  icpMatch,
  companySize,
  decisionMaker,
  budgetSignals,
  techFit,
  growth,
  geography,
  intent,
};

/** Scores one lead against an organization's profile. Pure: same input, same score. */
export function computeLeadScore(input: ScoringInput, profile: ScoringProfile, now: Date): LeadScore {
  const compiledProfile = compile(profile);
  const breakdown = signalNames.map((signal): ScoreEntry => {
    const max = profile.weights[signal];
    const assessment = signals[signal](input, compiledProfile, now);
    if (!assessment) return { signal, points: 0, max, reason: unknownReason };
    // The epsilon keeps 0.7 × 15 at 10.5 → 11 whatever the float rounding.
    const points = Math.min(max, Math.round(assessment.fit * max + 1e-9));
    return { signal, points, max, reason: explain(assessment) };
  });
  const score = Math.max(
    0,
    Math.min(
      100,
      breakdown.reduce((sum, entry) => sum + entry.points, 0),
    ),
  );
  return { score, breakdown };
}
