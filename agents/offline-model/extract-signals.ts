import type { BantItem } from '../../core/qualification/bant-state.ts';
import type { BudgetCurrency } from '../../core/qualification/budget-currency.ts';
import type { UpdateQualificationArgs } from '../../core/qualification/qualifier-tools.ts';

/**
 * The offline model's ears: pattern-based extraction of BANT+ facts from one prospect message,
 * in the same shape Claude passes to `update_qualification`. It reads sentence by sentence, skips
 * questions (a prospect asking "is it $49?" is not stating a budget), and uses the question the
 * agent just asked to read short answers ("around 20k", "yes, that's me", "nothing yet").
 */

export interface ExtractOptions {
  now: Date;
  /** What the agent's previous message asked about. */
  lastAsked?: BantItem | null;
  /** Names of competing or incumbent products worth recognizing anywhere in a sentence. */
  competitors?: readonly string[];
}

export const defaultCompetitors = [
  'Clari',
  'Gong',
  'Aviso',
  'BoostUp',
  'InsightSquared',
  'People.ai',
  'Salesloft',
  'Outreach',
  'Tableau',
  'Looker',
  'Power BI',
  'Excel',
  'Google Sheets',
] as const;

/** Tools a prospect may use today that are not competitors: named, they are the current stack. */
const everydayTools = [
  'HubSpot',
  'Salesforce',
  'Pipedrive',
  'Zoho',
  'Dynamics',
  'Monday',
  'Notion',
  'Airtable',
];

export function extractSignals(message: string, options: ExtractOptions): UpdateQualificationArgs {
  const sentences = splitSentences(correctTypos(message));
  const statements = sentences.filter((sentence) => !isQuestion(sentence));
  const text = statements.join(' ');
  const lower = normalize(text);
  const args: UpdateQualificationArgs = {};

  // Questions count here too: "are you hiring?" says who is asking.
  const fit = extractFit(normalize(sentences.join(' ')), options);
  if (fit) args.fit = fit;
  const budget = extractBudget(statements, options.lastAsked === 'budget');
  if (budget) args.budget = budget;
  const authority = extractAuthority(text, lower, options.lastAsked === 'authority');
  if (authority) args.authority = authority;
  const timeline = extractTimeline(timelineText(statements), options.now, options.lastAsked === 'timeline');
  if (timeline) args.timeline = timeline;
  const competition = extractCompetition(statements, lower, options);
  if (competition) args.competition = competition;
  const need = extractNeed(statements, lower, options.lastAsked === 'need', args);
  if (need) args.need = need;
  // Someone who is no buyer has no need, budget or tools of ours to record: a competitor's own
  // product is not their current tool, and a spammer's "$1,000 gift card" is not a budget.
  if (args.fit?.disqualifier) return { fit: args.fit };
  return args;
}

export function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=\S)|\n+|;\s+/)
    .map((sentence) => sentence.trim())
    .filter(Boolean);
}

export function isQuestion(sentence: string): boolean {
  const trimmed = sentence.trim();
  if (trimmed.endsWith('?')) return true;
  return (
    /^(what|how|does|do|can|could|is|are|which|where|when|why|will|would|should)\b.*\b(you|your|it|brightwave|there|the)\b/i.test(
      trimmed,
    ) && !/[.!]$/.test(trimmed)
  );
}

/** Common misspellings of the words the patterns below look for, fixed before reading. */
const typos: [RegExp, string][] = [
  [/\b(budjet|buget|budgit|bugdet|budegt)(s?)\b/gi, 'budget$2'],
  [/\b(decison|desicion|dicision|decisoin|descision)\b/gi, 'decision'],
  [/\b(timline|timelin|timeframe)\b/gi, 'timeline'],
  [/\b(forcast|forcasting|forecastng)\b/gi, 'forecasting'],
  [/\b(spreadsheats|spreedsheets|spredsheets)\b/gi, 'spreadsheets'],
  [/\b(quater|quartr)\b/gi, 'quarter'],
  [/\b(monht|mnth|mth|mo)(s?)\b/gi, 'month$2'],
  [/\b(monhts|mnths|mths|mos)\b/gi, 'months'],
  [/\b(wk)(s?)\b/gi, 'week$2'],
  [/\b(yr)(s?)\b/gi, 'year$2'],
  [/\btill\b/gi, 'until'],
  [/\b(evaluting|evalutating|evaulating)\b/gi, 'evaluating'],
  [/\b(intrested|interessted)\b/gi, 'interested'],
  [/\bi m\b/gi, "I'm"],
  [/\bim\b/g, "I'm"],
  [/\bwe re\b/gi, "we're"],
  [/\bdont\b/gi, "don't"],
  [/\bcant\b/gi, "can't"],
];

function correctTypos(text: string): string {
  return typos.reduce((fixed, [pattern, replacement]) => fixed.replace(pattern, replacement), text);
}

function normalize(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/\s+/g, ' ');
}

// ---- budget ------------------------------------------------------------------------------

const number = String.raw`(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)`;
const multiplier = '(k|m|mm|thousand|million|grand|bn|billion)?';

function scale(value: string, unit: string | undefined): number {
  const base = Number.parseFloat(value.replace(/,/g, ''));
  switch ((unit ?? '').toLowerCase()) {
    case 'k':
    case 'thousand':
    case 'grand':
      return base * 1_000;
    case 'm':
    case 'mm':
    case 'million':
      return base * 1_000_000;
    case 'bn':
    case 'billion':
      return base * 1_000_000_000;
    default:
      return base;
  }
}

const budgetContext =
  /\b(budget|budgeted|spend|spending|afford|invest|investment|allocated|set aside|earmarked|a year|per year|annually|a month|per month|monthly|yearly|annual)\b/;

function extractBudget(
  statements: string[],
  askedBudget: boolean,
): UpdateQualificationArgs['budget'] | undefined {
  for (const sentence of statements) {
    const lower = normalize(sentence);
    // Not allocated yet: a fitting buyer, later ("no budget yet", "waiting on budget approval").
    if (
      /\b(no|don't have (a|any)|do not have (a|any)|haven't got (a|any)) budget (yet|for (this|it) yet|until)\b|\bbudget (isn't|is not|hasn't been|has not been|not) (yet )?(allocated|approved|set|signed off|confirmed)\b|\b(waiting (on|for)|pending) (budget|the budget|budget approval)\b|\bnext (year's|fiscal year's|fy) budget\b|\bbudget (for|in) next (year|fiscal year|quarter)\b|\bbudget (cycle|planning) (is|starts|opens)\b|\bnot (budgeted|allocated) (yet|for)\b/.test(
        lower,
      )
    ) {
      return { stated: false, allocated: false };
    }
    if (
      /\b(no |zero |don't have (a |any )?|do not have (a |any )?|haven't got (a |any )?|without (a |any )?)budget\b|\bnothing (budgeted|set aside|allocated)\b|\bcan't afford\b|\bcannot afford\b|\bbudget is (zero|nil|\$?0)\b|\bno money\b/.test(
        lower,
      )
    ) {
      return { stated: false };
    }
    const found = findAmount(lower, askedBudget || budgetContext.test(lower), askedBudget);
    if (found !== undefined) {
      const { amount, currency } = found;
      const period = /\b(a|per|each|every) (year|yr|annum)\b|\bannual(ly)?\b|\byearly\b|\/ ?(yr|year)\b/.test(
        lower,
      )
        ? 'year'
        : /\b(a|per|each|every) month\b|\bmonthly\b|\/ ?mo(nth)?\b/.test(lower)
          ? 'month'
          : /\bone[- ](time|off)\b/.test(lower)
            ? 'one_time'
            : undefined;
      return {
        ...(currency === 'USD' ? { amountUsd: amount } : { amount, currency }),
        stated: true,
        ...(period ? { period } : {}),
      };
    }
    if (
      /\b(we|i) (have|got|do have) (a |the |some )?budget\b|\bbudget (is|has been|was) (approved|allocated|set aside|signed off|secured|in place)\b|\b(approved|allocated) budget\b/.test(
        lower,
      )
    ) {
      return { stated: true };
    }
    if (askedBudget && /^(yes|yep|yeah|we do|sure)\b/.test(lower)) return { stated: true };
  }
  return undefined;
}

const currencySigns: [RegExp, BudgetCurrency][] = [
  [/€|\beur\b|\beuros?\b/, 'EUR'],
  [/£|\bgbp\b|\bpounds?( sterling)?\b|\bquid\b/, 'GBP'],
  [/\bcad\b|\bc\$|\bcanadian dollars?\b/, 'CAD'],
  [/\baud\b|\ba\$|\baustralian dollars?\b/, 'AUD'],
  [/\bchf\b|\bswiss francs?\b/, 'CHF'],
  [/₹|\binr\b|\brupees?\b/, 'INR'],
];

/** The currency a sentence names its amount in; dollars unless another is named. */
function currencyOf(lower: string): BudgetCurrency {
  return currencySigns.find(([sign]) => sign.test(lower))?.[1] ?? 'USD';
}

function findAmount(
  lower: string,
  contextual: boolean,
  askedBudget = false,
): { amount: number; currency: BudgetCurrency } | undefined {
  const currency = currencyOf(lower);
  // A currency sign counts as "$" below: "€40k" is an amount like "$40k".
  const text = lower.replace(/€|£|₹|\b[ca]\$/g, '$');
  const named = currency !== 'USD' || text.includes('$');
  const amount = amountIn(text, contextual || named, askedBudget);
  return amount === undefined ? undefined : { amount, currency };
}

function amountIn(lower: string, contextual: boolean, askedBudget: boolean): number | undefined {
  const between = new RegExp(
    String.raw`\bbetween\s+\$?\s?${number}\s?${multiplier}\s+and\s+\$?\s?${number}\s?${multiplier}\b`,
  ).exec(lower);
  if (between) return scale(between[1]!, between[2] ?? between[4]);
  const range = new RegExp(
    String.raw`\$?\s?${number}\s?${multiplier}\s?(?:-|–|to)\s?\$?\s?${number}\s?${multiplier}\b`,
  ).exec(lower);
  if (
    range &&
    (lower.includes('$') ||
      /dollars|usd|bucks|euros?|pounds?/.test(lower) ||
      contextual ||
      range[2] ||
      range[4])
  ) {
    // A range counts at its low end: a floor the prospect is sure of.
    return scale(range[1]!, range[2] ?? range[4]);
  }
  const dollars = new RegExp(String.raw`\$\s?${number}\s?${multiplier}\b`).exec(lower);
  if (dollars) return scale(dollars[1]!, dollars[2]);
  const worded = new RegExp(
    String.raw`\b${number}\s?${multiplier}\s?(?:dollars|usd|bucks|euros?|eur|pounds?|gbp|quid)\b`,
  ).exec(lower);
  if (worded) return scale(worded[1]!, worded[2]);
  if (contextual) {
    const bare = new RegExp(String.raw`\b${number}\s?(k|m|thousand|million|grand)\b`).exec(lower);
    if (bare) return scale(bare[1]!, bare[2]);
  }
  if (askedBudget) {
    // A plain number is a budget only as the answer to the budget question ("about 8000").
    const plain = new RegExp(
      String.raw`(?:^|\babout |\baround |\broughly |\bup to |\bmax(?:imum)? )${number}\b`,
    ).exec(lower);
    if (plain && Number.parseFloat(plain[1]!.replace(/,/g, '')) >= 100) return scale(plain[1]!, undefined);
  }
  return undefined;
}

// ---- authority ---------------------------------------------------------------------------

const roleWord =
  /\b(vp|svp|evp|vice president|head|director|manager|chief|ceo|cfo|cto|coo|cro|cmo|cio|founder|co-founder|cofounder|owner|president|lead|leader|analyst|engineer|rep|representative|associate|coordinator|specialist|consultant|administrator|admin|partner|officer|executive|intern|ops|operations)\b/i;
const decisionRole =
  /\b(ceo|cfo|coo|cro|cmo|cto|cio|chief|founder|co-founder|cofounder|owner|president|vp|svp|evp|vice president|head of|managing director|general manager|managing partner|principal)\b/i;

function extractAuthority(
  text: string,
  lower: string,
  askedAuthority: boolean,
): UpdateQualificationArgs['authority'] | undefined {
  const authority: NonNullable<UpdateQualificationArgs['authority']> = {};
  const role = extractRole(text);
  if (role) authority.role = role;

  const approver =
    /\b(?:need|needs|have to get|has to get|must get|would need|'ll need|will need|got to get)\s+(?:my|our|the)\s+([a-z][\w &-]{1,30}?)\s+to\s+(?:sign(?:\s|-)?off|approve|agree|ok|okay|say yes|green[- ]?light|sign)\b/.exec(
      lower,
    ) ??
    /\b(?:my|our)\s+(boss|manager|cfo|ceo|coo|cto|cro|cmo|vp(?: of [a-z]+)?|director(?: of [a-z]+)?|founder|co-?founder|head of [a-z]+|procurement(?: team)?|finance(?: team)?|board|leadership(?: team)?|owner|president|gm)(?:,? [a-z]+,?)?(?: and (?:the |our )?[a-z ]{2,20}?)?\s+(?:decides|decide|makes the (?:call|decision)|signs(?: off)?|sign(?: off)?|approves|approve|has the final say|has to (?:approve|sign)|needs to (?:approve|sign)|will decide|would decide|is the decision|signs the (?:contract|check|cheque|deal))/.exec(
      lower,
    ) ??
    /\b(?:sign[- ]?off|approval|buy[- ]?in)\s+from\s+(?:my|our|the)\s+([a-z][\w &-]{1,30}?)(?=[,.;!]|$| and | before | first)/.exec(
      lower,
    );
  const notMe =
    /\bi'?m not the (?:final )?decision[- ]?maker\b|\bi am not the (?:final )?decision[- ]?maker\b|\bnot my (?:call|decision)\b|\bnot up to me\b/.test(
      lower,
    );
  const noAccess =
    /\b(?:don't|do not) (?:really )?(?:talk|speak) to (?:the )?(?:people|person|ones?|folks) who (?:decide|make|sign|approve|buy)\b|\b(?:don't|do not) know who (?:decides|makes|signs|approves)\b|\bno (?:say|influence) (?:in|over)\b|\bcan't (?:get|reach) (?:to )?(?:the )?decision[- ]?maker|\b(?:don't|do not|never) (?:really )?(?:talk|speak) (?:to|with) (?:the |our |my )?(?:decision[- ]?makers?|leadership|execs|executives|boss|ceo|cfo)\b|\b(?:can't|cannot|couldn't) (?:get|loop in|bring in|reach) (?:them|him|her|my boss|our (?:ceo|cfo|vp|boss|leadership))|\b(?:i'?m|i am) (?:just|only) (?:doing|gathering) (?:research|info|information) for (?:someone|somebody|my boss)\b/.test(
      lower,
    );
  // A buying committee the prospect sits on, or a champion who can put it in front of the decider.
  const champion =
    /\b(?:two|three|four|five|a few) of us (?:decide|sign|approve)\b|\bi have (?:their|his|her|the ceo's|the cfo's) ear\b|\b(?:she|he|they)(?:'ll| will| can| could) (?:join|hop on|be on) (?:a |the )?call\b|\b(?:buying |decision |purchasing )?committee\b|\b(?:we|i) decide (?:it )?together\b|\bjoint(?:ly)? decision\b|\b(?:me|i) and (?:my|our) (?:co-?founder|partner|cfo|ceo|coo|cto|boss|manager)\b.*\b(?:decide|sign|approve|call)\b|\bi(?:'ll| will| can| could)? (?:champion|pitch|present|take|bring) (?:it|this|you) (?:internally |to )|\bi can (?:get|bring|loop in) (?:my|our) (?:boss|ceo|cfo|coo|cto|vp|manager|director|founder)\b|\bi(?:'ll| will)? (?:make|give) (?:the|a) recommendation\b|\bi recommend and (?:my|our|the) \w+ (?:signs|approves|decides)\b/.test(
      lower,
    );
  const me =
    /\b(?:it'?s |that'?s )?my call\b|\bthe budget is mine\b|\bi approve (?:tools|purchases|it|this|the budget|spend)\b|\b(?:i'?m|i am) (?:the )?(?:final |key |main |ultimate )?decision[- ]?maker\b|\bi (?:make|have) the (?:final )?(?:call|decision|say)\b|\bit'?s my (?:call|decision)\b|\bi own the budget\b|\bi (?:sign|approve) (?:off|it|the|purchases)\b|\bi'?(?:ll| will)? ?be (?:the one )?signing\b|\bi can sign\b|\bmy decision\b|\bi decide\b/.test(
      lower,
    );

  if (noAccess) {
    authority.isDecisionMaker = false;
    authority.hasAccess = false;
  } else if (approver) {
    authority.isDecisionMaker = false;
    authority.hasAccess = true;
    authority.decisionMaker = titleCase(approver[1]!.trim());
  } else if (champion) {
    authority.isDecisionMaker = false;
    authority.hasAccess = true;
  } else if (me) {
    authority.isDecisionMaker = true;
  } else if (notMe) {
    authority.isDecisionMaker = false;
  } else if (
    askedAuthority &&
    /^(yes|yep|yeah|yup|that's me|that is me|that'd be me|i am|i do|me|just me|it's me|mine|correct|i'm the one|myself)\b/.test(
      lower.trim(),
    )
  ) {
    authority.isDecisionMaker = true;
  } else if (role && decisionRole.test(role)) {
    authority.isDecisionMaker = true;
  }
  return Object.keys(authority).length > 0 ? authority : undefined;
}

function extractRole(text: string): string | undefined {
  const intro =
    /\b(?:i'?m|i am|i work as|my (?:title|role|position|job title) is|i'm currently|i serve as)\s+(?:the |a |an |our |their )?([A-Za-z][\w&/,.' -]{1,60})/i.exec(
      text,
    );
  if (intro) {
    const phrase = intro[1]!
      .split(
        /[,.;!?]| at | for | with | in charge| and | so | but | here| who | on the | on our | of the company| of our company| of this company| in our | in the /i,
      )[0]!
      .trim();
    if (roleWord.test(phrase) && phrase.split(/\s+/).length <= 7) return tidyRole(phrase);
  }
  const runs =
    /\bi (?:run|lead|head(?: up)?|manage|own)\s+(?:the |our |a )?([a-z][\w &-]{1,30}?)(?:\s+(?:team|department|org|function))?(?=[,.;!?]|$| at | for | and )/i.exec(
      text,
    );
  // "I run the evaluation" is a task, not a title.
  if (
    runs &&
    !/^(evaluation|process|project|search|trial|pilot|demo|research|selection|call)s?$/i.test(runs[1]!.trim())
  )
    return `Head of ${titleCase(runs[1]!.trim())}`;
  return undefined;
}

function tidyRole(phrase: string): string {
  return phrase
    .split(/\s+/)
    .map((word) => (/^(vp|svp|evp|ceo|cfo|coo|cto|cro|cmo|cio)$/i.test(word) ? word.toUpperCase() : word))
    .join(' ');
}

function titleCase(phrase: string): string {
  return phrase
    .split(/\s+/)
    .map((word) =>
      /^(vp|svp|evp|ceo|cfo|coo|cto|cro|cmo|cio)$/i.test(word)
        ? word.toUpperCase()
        : /^(of|the|and)$/i.test(word)
          ? word
          : word.charAt(0).toUpperCase() + word.slice(1),
    )
    .join(' ');
}

// ---- timeline ----------------------------------------------------------------------------

const months = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const wordNumbers: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  'a couple': 2,
  'a couple of': 2,
  couple: 2,
  'a few': 3,
  few: 3,
};
const unitDays: Record<string, number> = { day: 1, week: 7, month: 30, quarter: 91, year: 365 };

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function utcDay(year: number, month: number, day: number): Date {
  return new Date(Date.UTC(year, month, day));
}

function daysBetween(now: Date, date: Date): number {
  const today = utcDay(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.max(0, Math.round((date.getTime() - today.getTime()) / 86_400_000));
}

function byDate(now: Date, date: Date, note?: string): NonNullable<UpdateQualificationArgs['timeline']> {
  return { withinDays: daysBetween(now, date), date: isoDate(date), ...(note ? { note } : {}) };
}

/**
 * The words that can say when they buy: a clause about the budget ("it goes into next year's
 * plan") or about the tools they use dates the budget or the tool, not the purchase.
 */
function timelineText(statements: string[]): string {
  const clauses = statements.flatMap((sentence) => sentence.split(/,\s+|\s+(?:—|–|-)\s+|\s+but\s+|;\s*/i));
  return normalize(
    clauses
      .filter(
        (clause) =>
          !/\b(budget|budgets|afford|spend|funds|funding)\b/i.test(clause) ||
          /\b(freeze|frozen|contract)\b/i.test(clause),
      )
      .join('. '),
  );
}

function extractTimeline(
  lower: string,
  now: Date,
  askedTimeline = false,
): UpdateQualificationArgs['timeline'] | undefined {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const quarter = Math.floor(month / 3);

  const blocker = timelineBlocker(lower);
  if (blocker) {
    const when = datedTimeline(lower, now, year, month, quarter, askedTimeline);
    // A contract that ends on a known date is a timeline, not a blocker: ending within the
    // horizon, they can buy now.
    if (blocker === 'contract' && when?.withinDays !== undefined)
      return { ...when, note: 'when the contract ends' };
    return { ...when, blocker, note: blockerNotes[blocker] };
  }
  if (askedTimeline && /^(now|right now|asap|immediately|yesterday|today|this week)\b/.test(lower.trim()))
    return { withinDays: 7, note: 'now' };
  if (
    /\b(no (rush|timeline|timeframe|time frame|plans?)|not (a priority|urgent|any ?time soon)|sometime next year|next year or later|no hurry)\b/.test(
      lower,
    )
  ) {
    return { withinDays: 365, note: 'no near-term timeline' };
  }
  return datedTimeline(lower, now, year, month, quarter, askedTimeline);
}

const blockerNotes = {
  contract: 'under contract with another vendor',
  freeze: 'hiring or budget freeze',
  researching: 'researching, no buying plan yet',
  other: 'not ready yet',
} as const;

/** What holds a purchase back, when the prospect says so. */
function timelineBlocker(lower: string): NonNullable<UpdateQualificationArgs['timeline']>['blocker'] {
  if (
    /\b(?:under|locked into|locked in|tied into|stuck in|signed|in the middle of|have|got) (?:a |an |our )?(?:\w+[- ])?(?:\w+[- ])?(?:contract|agreement)\b|\b(?:contract|agreement) (?:with \w+ )?(?:that )?(?:runs|ends|expires|is up|renews|lasts)\b|\b(?:our|the) (?:current )?(?:contract|renewal) (?:with \w+ )?(?:runs|ends|expires|is up|renews)\b|\buntil our contract\b/.test(
      lower,
    )
  )
    return 'contract';
  if (
    /\b(?:hiring|budget|spending|headcount|purchasing) freeze\b|\bfreeze (?:on|in) (?:spending|hiring|budgets?)\b|\bfrozen budgets?\b/.test(
      lower,
    )
  )
    return 'freeze';
  if (
    /\bjust (?:exploring|researching|looking|browsing|curious|gathering (?:info|information))\b|\b(?:early|initial) (?:research|stages?|days)\b|\b(?:only|still) (?:researching|exploring|looking around)\b|\bno (?:plans?|intention) to buy\b|\bnot (?:looking to buy|buying) (?:yet|now|anytime soon)\b|\bresearch(?:ing)? (?:phase|stage|options)\b/.test(
      lower,
    )
  )
    return 'researching';
  return undefined;
}

function datedTimeline(
  lower: string,
  now: Date,
  year: number,
  month: number,
  quarter: number,
  askedTimeline = false,
): UpdateQualificationArgs['timeline'] | undefined {
  // "Within the next month" is about a month from now; "next month" alone is by its end (below).
  const spanWord = /\b(?:within|in|over|during) the (?:next|coming) (week|month|quarter|year)\b/.exec(lower);
  if (spanWord) {
    const days = unitDays[spanWord[1]!]!;
    return { withinDays: days, date: isoDate(new Date(now.getTime() + days * 86_400_000)) };
  }
  const season = /\b(?:next |this )?(spring|summer|fall|autumn|winter)\b/.exec(lower);
  if (season) {
    const start = { spring: 3, summer: 6, fall: 9, autumn: 9, winter: 0 }[season[1] as 'spring'] ?? 0;
    const next = /\bnext\b/.test(season[0]) || start <= month;
    return byDate(now, utcDay(next ? year + 1 : year, start, 1), season[1]);
  }
  const inYear = /\b(?:until|in|by|before|through|thru) (20\d\d)\b/.exec(lower);
  if (inYear && Number(inYear[1]) > year) return byDate(now, utcDay(Number(inYear[1]), 0, 1), inYear[1]);
  if (/\b(asap|as soon as possible|right away|immediately|urgent(ly)?|yesterday)\b/.test(lower)) {
    return { withinDays: 14, note: 'as soon as possible' };
  }
  const relative =
    /\b(?:within|in|in the next|over the next|the next|next|inside of|under|about|around|roughly|another|for another|for)\s+(\d+|a couple of|a couple|a few|couple|few|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(day|week|month|quarter|year)s?\b/.exec(
      lower,
    );
  const bare = askedTimeline
    ? /^(?:maybe |probably |about |around |like )?(\d+|a couple of|a couple|a few|couple|few|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(day|week|month|quarter|year)s?\b/.exec(
        lower.trim(),
      )
    : null;
  const ahead =
    relative ??
    bare ??
    /\b(\d+|a couple of|a couple|a few|couple|few|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(day|week|month|quarter|year)s?\s+(?:from now|out|away|time)\b/.exec(
      lower,
    );
  if (ahead) {
    const count = /^\d+$/.test(ahead[1]!) ? Number(ahead[1]) : (wordNumbers[ahead[1]!] ?? 1);
    const days = count * unitDays[ahead[2]!]!;
    return { withinDays: days, date: isoDate(new Date(now.getTime() + days * 86_400_000)) };
  }
  if (relative) {
    const count = /^\d+$/.test(relative[1]!) ? Number(relative[1]) : (wordNumbers[relative[1]!] ?? 1);
    const days = count * unitDays[relative[2]!]!;
    return { withinDays: days, date: isoDate(new Date(now.getTime() + days * 86_400_000)) };
  }
  if (/\b(today|tonight)\b/.test(lower) && /\b(need|want|start|buy|sign|decide|go live)\b/.test(lower))
    return { withinDays: 0 };
  if (/\btomorrow\b/.test(lower)) return { withinDays: 1 };
  if (/\bthis week\b/.test(lower)) return { withinDays: 7 };
  if (/\bnext week\b/.test(lower)) return { withinDays: 14 };
  if (/\b(end of|by the end of )?this month\b/.test(lower)) return byDate(now, utcDay(year, month + 1, 0));
  if (/\bnext month\b/.test(lower)) return byDate(now, utcDay(year, month + 2, 0));
  if (/\b(end of (the |this )?quarter|this quarter|quarter end)\b/.test(lower)) {
    return byDate(now, utcDay(year, quarter * 3 + 3, 0));
  }
  // "Next quarter": when it starts — a prospect saying it usually means to begin then.
  if (/\bnext quarter\b/.test(lower)) return byDate(now, utcDay(year, quarter * 3 + 3, 1), 'next quarter');
  const q = /\b(?:by|in|before|for|during|end of)?\s*q([1-4])\b/.exec(lower);
  if (q) {
    const target = Number(q[1]) - 1;
    const targetYear = target < quarter ? year + 1 : year;
    return byDate(now, utcDay(targetYear, target * 3 + 3, 0), `Q${q[1]}`);
  }
  if (/\b(end of (the )?year|this year|year[- ]end|by december)\b/.test(lower))
    return byDate(now, utcDay(year, 12, 0));
  // "Next year" or "next fiscal year": some time in it, so from its middle.
  if (/\bnext (?:calendar |fiscal )?year\b|\bnext fy\b|\bin (?:the )?new year\b/.test(lower))
    return byDate(now, utcDay(year + 1, 6, 1), 'next year');
  const fy = /\bfy ?'?(\d{2}|\d{4})\b/.exec(lower);
  if (fy) {
    const fyYear = fy[1]!.length === 2 ? 2000 + Number(fy[1]) : Number(fy[1]);
    if (fyYear > year) return byDate(now, utcDay(fyYear, 0, 1), `FY${fy[1]}`);
  }
  const half = /\b(?:in |by |during )?(?:the )?(h1|h2|first half|second half)(?: of)?( next year)?\b/.exec(
    lower,
  );
  if (half) {
    const first = half[1] === 'h1' || half[1] === 'first half';
    const targetYear = half[2] || (first && month >= 6) ? year + 1 : year;
    return byDate(now, utcDay(targetYear, first ? 6 : 12, 0), half[1]!.toUpperCase());
  }
  const named = new RegExp(
    String.raw`\b(by|in|before|around|until|for|end of|early|mid|late|next|through|thru|starting|from)?\s*(?:next\s+)?(${months.join('|')})(?:\s+(\d{1,2})(?:st|nd|rd|th)?)?\b`,
  ).exec(lower);
  if (named && (named[1] || named[3] || askedTimeline)) {
    const monthIndex = months.indexOf(named[2]!);
    const day = named[3] ? Number(named[3]) : undefined;
    let targetYear = year;
    if (monthIndex < month || (monthIndex === month && day !== undefined && day < now.getUTCDate()))
      targetYear++;
    // Early, mid and late name a part of the month; otherwise a month means by its end.
    const part = named[1] === 'early' ? 10 : named[1] === 'mid' ? 15 : undefined;
    const target = day
      ? utcDay(targetYear, monthIndex, day)
      : part
        ? utcDay(targetYear, monthIndex, part)
        : utcDay(targetYear, monthIndex + 1, 0);
    return byDate(now, target);
  }
  return undefined;
}

// ---- competition -------------------------------------------------------------------------

function extractCompetition(
  statements: string[],
  lower: string,
  options: ExtractOptions,
): UpdateQualificationArgs['competition'] | undefined {
  const current = new Set<string>();
  const evaluating = new Set<string>();
  const known = [...(options.competitors ?? defaultCompetitors), ...everydayTools];
  const evaluatingVerb =
    /\b(looking at|evaluating|considering|comparing|talking to|trialing|trialling|trying out|demoing|shortlisted|in talks with|also looking)\b/;
  const clauses = statements.flatMap((sentence) =>
    sentence.split(/,?\s+(?:but|while|and also|whereas)\s+|;\s*/i),
  );
  for (const sentence of clauses) {
    const lowerSentence = normalize(sentence);
    const target = evaluatingVerb.test(lowerSentence) ? evaluating : current;
    for (const name of known) {
      if (new RegExp(String.raw`\b${name.toLowerCase().replace(/[.]/g, '\\.')}\b`).test(lowerSentence))
        target.add(name);
    }
    if (
      /\b(in-house|in house|homegrown|home-grown|built our own|our own (?:tool|scripts?|system)|custom scripts?)\b/.test(
        lowerSentence,
      )
    )
      current.add('an in-house tool');
    if (
      /\b(spreadsheets?|google sheets|excel)\b/.test(lowerSentence) &&
      !target.has('Excel') &&
      !target.has('Google Sheets')
    ) {
      current.add('spreadsheets');
    }
    const using =
      /\b(?:[Ww]e(?:'re| are)?\s+(?:currently\s+)?(?:use|using|on|run|running|rely on|relying on|have been using)|[Cc]urrently (?:use|using|on)|[Ss]witching from|[Mm]oving (?:off|away from)|[Oo]ur current (?:tool|solution|vendor|system) is)\s+([A-Z][\w.&-]*(?:\s[A-Z][\w.&-]*)?)/.exec(
        sentence,
      );
    if (using && !/^(I|We|A|The|It)$/.test(using[1]!)) current.add(using[1]!.replace(/[.&-]+$/, ''));
    const comparing =
      /\b(?:looking at|evaluating|considering|comparing (?:you )?(?:with|to|against)|talking to|trialing|trying out)\s+([A-Z][\w.&-]*(?:\s(?:and|&|or)\s[A-Z][\w.&-]*)?)/.exec(
        sentence,
      );
    if (comparing) {
      for (const name of comparing[1]!.split(/\s(?:and|&|or)\s/)) {
        if (!/^(I|We|A|The|It|You)$/.test(name)) evaluating.add(name.replace(/[.&-]+$/, ''));
      }
    }
  }
  for (const name of evaluating) current.delete(name);
  const none =
    options.lastAsked === 'competition' &&
    current.size === 0 &&
    evaluating.size === 0 &&
    /\b(nothing|none|no tool|not using anything|don't use anything|nothing yet|nope|no)\b/.test(lower);
  if (current.size === 0 && evaluating.size === 0 && !none) {
    // Asked, and answered without naming anything ("not sure", "a mix of things"): that will do.
    const answered =
      options.lastAsked === 'competition' && statements.some((s) => s.split(/\s+/).length >= 2);
    return answered ? { asked: true } : undefined;
  }
  return {
    ...(current.size > 0 ? { current: [...current] } : {}),
    ...(evaluating.size > 0 ? { evaluating: [...evaluating] } : {}),
    ...(none ? { none: true } : {}),
  };
}

// ---- fit ---------------------------------------------------------------------------------

/** Who is no buyer at all, from what they say about themselves. */
function extractFit(lower: string, options: ExtractOptions): UpdateQualificationArgs['fit'] | undefined {
  if (
    /\b(?:i'?m|i am) (?:a |an )?(?:(?:grad|graduate|phd|mba|college|university|high school|undergrad(?:uate)?) )?student\b|\bfor (?:my|a|our) (?:thesis|dissertation|class|course|school project|homework|assignment|university project|college project|capstone)\b|\b(?:school|class|university|college) (?:project|assignment)\b|\bi(?:'m| am)? (?:study|studying|majoring in) [\w ]{2,40}? at (?:university|college|school|uni)\b|\bfor my (?:studies|degree|course|coursework)\b/.test(
      lower,
    )
  )
    return { disqualifier: 'student' };
  if (
    /\b(?:are you|you guys|is brightwave|is your company) hiring\b|\blooking for (?:a |an )?(?:job|position|role|internship)\b|\b(?:job|career) (?:opening|opportunit(?:y|ies)|application)s?\b|\bmy (?:resume|cv|résumé)\b|\bapply(?:ing)? for (?:a |the )?(?:[\w ]{2,30}? )?(?:job|role|position)\b|\b(?:open|any) (?:positions|roles|jobs|openings)\b|\binternships?\b|\blooking for (?:a |an )?new (?:role|job|position)\b|\binterested in the (?:job|role|position)\b/.test(
      lower,
    )
  )
    return { disqualifier: 'job_seeker' };
  const competitors = (options.competitors ?? defaultCompetitors).filter(
    (name) => !/^(excel|google sheets|tableau|looker|power bi)$/i.test(name),
  );
  // "I work at Gong", "I'm a product manager at Gong", "I'm from BoostUp's marketing team".
  const worksAt =
    /\b(?:i|we) (?:work|am|'m) (?:at|for|with) ([a-z][\w.]*(?: [a-z][\w.]*)?)/.exec(lower) ??
    /\b(?:i'm|i am) (?:a |an |the )?[a-z][\w -]{1,40}? (?:at|for) ([a-z][\w.]*)/.exec(lower) ??
    /\b(?:i'm|i am|we're|we are) (?:from|with) ([a-z][\w.]*)/.exec(lower);
  if (
    (worksAt && competitors.some((name) => worksAt[1]!.startsWith(name.toLowerCase()))) ||
    /\b(?:we're|we are) building something similar\b|\bwe sell (?:a )?(?:similar|competing) (?:product|tool|platform)\b|\bcompeting (?:[\w-]+ )?(?:vendor|company|product|provider)\b|\bresearching (?:our )?competitors\b|\bjust benchmarking\b/.test(
      lower,
    ) ||
    /\b(?:we're|we are|i'm|i am) (?:building|developing|making) (?:a |an )?(?:similar|competing|rival) (?:product|tool|platform)\b|\b(?:we're|we are) (?:a )?competitors?\b|\bfor (?:our|my) own (?:competing )?product\b|\bcompetitive (?:research|analysis|intel(?:ligence)?)\b/.test(
      lower,
    )
  )
    return { disqualifier: 'competitor' };
  if (
    /\b(?:buy (?:cheap|followers|likes|backlinks)|seo services|backlinks|casino|crypto (?:investment|opportunity)|viagra|forex signals|we offer (?:lead gen(?:eration)?|seo|web design|outsourc\w+|development) services|guest post|click here|earn \$?\d+ (?:a|per) day|you'?ve won|you have won|gift card|claim (?:it|your (?:prize|reward))|limited offer|act now)\b|\b(?:fuck|f\*+|shit|idiots?|stupid bot|garbage company|useless idiots)\b|\$\$\$|^(?:[a-z]*(?:asdf|qwer|zxcv|hjkl|jkl;)[a-z]*\s*)+$/.test(
      lower,
    )
  )
    return { disqualifier: 'spam' };
  return undefined;
}

// ---- need --------------------------------------------------------------------------------

function extractNeed(
  statements: string[],
  lower: string,
  askedNeed: boolean,
  found: UpdateQualificationArgs,
): UpdateQualificationArgs['need'] | undefined {
  if (
    /\b(not interested|no need|don't need (it|this|that|anything|a tool|one)|do not need (it|this|that|anything|a tool|one)|we're all set|we are all set|happy with what we have|no longer interested|not for us|not a fit for us)\b/.test(
      lower,
    )
  ) {
    return { identified: false };
  }
  const patterns = [
    /\b(?:our|the|my) (?:biggest |main |real |key )?(?:problem|challenge|issue|pain|pain point|struggle|goal|priority) (?:is|are) (?:that )?(.{6,200})/i,
    /\b(?:we|i)(?:'re| are| am)? (?:struggling|struggle|having trouble|have trouble|fighting) (?:with |to )?(.{6,200})/i,
    /\b(?:we|i)(?:'re|'m| are| am) (?:looking|hoping|trying|searching) (?:for|to) (.{6,200})/i,
    /^(?:looking|hoping|trying|searching) (?:for|to) (.{6,200})/i,
    /\b(?:team|company|we|it|that|which) needs? (?:better|a|an|more|some|help|to) (.{3,200})/i,
    /\b[\w-]+ (?:needs|need) (?:work|fixing|improving|improvement|an overhaul|help)\b.{0,200}/i,
    /\b(?:eat|eats|eating|waste|wastes|wasting|burn|burns) (?:up )?(?:\w+ )?(?:hours|days|time|weeks)\b.{0,200}/i,
    /\b(?:we|i) (?:need|want|would like|'d like) (?:to |a |an |better |more )?(.{6,200})/i,
    /\b(?:we|i) (?:can't|cannot|don't) (?:see|tell|trust|predict|forecast|know) (.{6,200})/i,
    // A pain said as a complaint: "our forecasts are always wrong", "nobody trusts the numbers".
    /\b(?:our|the|my) [\w -]{3,40}? (?:is|are|keeps? being|gets?) (?:always |constantly |often |completely |totally |so |really |still )?(?:wrong|off|broken|a mess|inaccurate|unreliable|slow|painful|manual|outdated|a nightmare|useless|terrible|awful|bad|poor|a guessing game|guesswork|chaos|chaotic|messy|unpredictable|a pain|a disaster|all over the place)\b.{0,200}/i,
    /\b(?:deals|forecasts?|numbers|pipeline|reps) (?:keep|keeps) (?:slipping|missing|falling|changing|getting)\b.{0,200}/i,
    /\b(?:guessing game|flying blind|no visibility|zero visibility|lack of visibility|no insight)\b.{0,200}/i,
    /\b(?:nobody|no one) (?:trusts|believes|uses|updates) .{3,200}/i,
    /\b(?:we|i) (?:keep|kept) (?:losing|missing|wasting|guessing) .{3,200}/i,
    /\b(?:takes|take) (?:forever|ages|hours|days)\b.{0,200}/i,
    /\bcosts? us (?:deals|money|revenue|hours|time)\b.{0,200}/i,
  ];
  for (const sentence of statements) {
    for (const pattern of patterns) {
      const match = pattern.exec(sentence);
      if (!match) continue;
      // The whole sentence, not the words after the verb: "I need to fix" alone says nothing.
      const summary = clause(
        sentence.slice(match.index).length >= 25 ? sentence.slice(match.index) : sentence,
      );
      // "I need my CFO to sign off", "we need it by March", "I want to talk to a person" are other items.
      if (
        /\b(sign[- ]?off|approv|to talk|to speak|a person|a human|someone|by (january|february|march|april|may|june|july|august|september|october|november|december|next|the end)|budget)\b/i.test(
          summary,
        )
      )
        continue;
      if (/^(?:we|i) (?:need|want) (?:it|this|that|one)\b/i.test(summary)) continue;
      return { identified: true, summary };
    }
  }
  // An answer to "what are you hoping to fix?" is the need, whatever its words.
  if (askedNeed) {
    const answer = statements.find(
      (sentence) =>
        sentence.split(/\s+/).length >= 2 &&
        !/^(thanks|thank you|ok|okay|sure|hi|hello|hey|yes|no|nope|not sure|idk|i don't know)\b/i.test(
          sentence,
        ),
    );
    // A tool named in the answer ("HubSpot forecasting") still answers the need question.
    const onlyOtherItems = Boolean(found.budget || found.timeline || found.authority || found.fit);
    if (answer && !onlyOtherItems) return { identified: true, summary: clause(answer) };
  }
  return undefined;
}

function clause(text: string): string {
  const trimmed = text.trim().replace(/[.!;,]+$/, '');
  return trimmed.length > 200 ? `${trimmed.slice(0, 197)}...` : trimmed;
}
