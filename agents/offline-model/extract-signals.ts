import type { BantItem } from '../../core/qualification/bant-state.ts';
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

export function extractSignals(message: string, options: ExtractOptions): UpdateQualificationArgs {
  const sentences = splitSentences(message);
  const statements = sentences.filter((sentence) => !isQuestion(sentence));
  const text = statements.join(' ');
  const lower = normalize(text);
  const args: UpdateQualificationArgs = {};

  const budget = extractBudget(statements, options.lastAsked === 'budget');
  if (budget) args.budget = budget;
  const authority = extractAuthority(text, lower, options.lastAsked === 'authority');
  if (authority) args.authority = authority;
  const timeline = extractTimeline(lower, options.now);
  if (timeline) args.timeline = timeline;
  const competition = extractCompetition(statements, lower, options);
  if (competition) args.competition = competition;
  const need = extractNeed(statements, lower, options.lastAsked === 'need', args);
  if (need) args.need = need;
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
    if (
      /\b(no |zero |don't have (a |any )?|do not have (a |any )?|haven't got (a |any )?|without (a |any )?)budget\b|\bnothing (budgeted|set aside|allocated)\b|\bcan't afford\b|\bcannot afford\b|\bbudget is (zero|nil|\$?0)\b|\bno money\b/.test(
        lower,
      )
    ) {
      return { stated: false };
    }
    const amount = findAmount(lower, askedBudget || budgetContext.test(lower));
    if (amount !== undefined) {
      const period = /\b(a|per|each|every) (year|yr|annum)\b|\bannual(ly)?\b|\byearly\b|\/ ?(yr|year)\b/.test(
        lower,
      )
        ? 'year'
        : /\b(a|per|each|every) month\b|\bmonthly\b|\/ ?mo(nth)?\b/.test(lower)
          ? 'month'
          : /\bone[- ](time|off)\b/.test(lower)
            ? 'one_time'
            : undefined;
      return { amountUsd: amount, stated: true, ...(period ? { period } : {}) };
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

function findAmount(lower: string, contextual: boolean): number | undefined {
  const between = new RegExp(
    String.raw`\bbetween\s+\$?\s?${number}\s?${multiplier}\s+and\s+\$?\s?${number}\s?${multiplier}\b`,
  ).exec(lower);
  if (between) return scale(between[1]!, between[2] ?? between[4]);
  const range = new RegExp(
    String.raw`\$?\s?${number}\s?${multiplier}\s?(?:-|–|to)\s?\$?\s?${number}\s?${multiplier}\b`,
  ).exec(lower);
  if (
    range &&
    (lower.includes('$') || /dollars|usd|bucks/.test(lower) || contextual || range[2] || range[4])
  ) {
    // A range counts at its low end: a floor the prospect is sure of.
    return scale(range[1]!, range[2] ?? range[4]);
  }
  const dollars = new RegExp(String.raw`\$\s?${number}\s?${multiplier}\b`).exec(lower);
  if (dollars) return scale(dollars[1]!, dollars[2]);
  const worded = new RegExp(String.raw`\b${number}\s?${multiplier}\s?(?:dollars|usd|bucks)\b`).exec(lower);
  if (worded) return scale(worded[1]!, worded[2]);
  if (contextual) {
    const bare = new RegExp(String.raw`\b${number}\s?(k|m|thousand|million|grand)\b`).exec(lower);
    if (bare) return scale(bare[1]!, bare[2]);
  }
  return undefined;
}

// ---- authority ---------------------------------------------------------------------------

const roleWord =
  /\b(vp|svp|evp|vice president|head|director|manager|chief|ceo|cfo|cto|coo|cro|cmo|cio|founder|co-founder|cofounder|owner|president|lead|leader|analyst|engineer|rep|representative|associate|coordinator|specialist|consultant|administrator|admin|partner|officer|executive|intern|ops|operations)\b/i;
const decisionRole =
  /\b(ceo|cfo|coo|cro|cmo|cto|cio|chief|founder|co-founder|cofounder|owner|president|vp|svp|evp|vice president|head of)\b/i;

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
    /\b(?:my|our)\s+(boss|manager|cfo|ceo|coo|cto|cro|cmo|vp(?: of [a-z]+)?|director(?: of [a-z]+)?|founder|head of [a-z]+|procurement(?: team)?|finance(?: team)?|board|leadership(?: team)?)\s+(?:decides|makes the (?:call|decision)|signs(?: off)?|approves|has the final say|has to (?:approve|sign)|needs to (?:approve|sign)|will decide|would decide|is the decision)/.exec(
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
    /\b(?:don't|do not) know who (?:decides|makes|signs|approves)\b|\bno (?:say|influence) (?:in|over)\b|\bcan't (?:get|reach) (?:to )?(?:the )?decision[- ]?maker/.test(
      lower,
    );
  const me =
    /\b(?:i'?m|i am) (?:the )?(?:final |key |main |ultimate )?decision[- ]?maker\b|\bi (?:make|have) the (?:final )?(?:call|decision|say)\b|\bit'?s my (?:call|decision)\b|\bi own the budget\b|\bi (?:sign|approve) (?:off|it|the|purchases)\b|\bi'?(?:ll| will)? ?be (?:the one )?signing\b|\bi can sign\b|\bmy decision\b|\bi decide\b/.test(
      lower,
    );

  if (noAccess) {
    authority.isDecisionMaker = false;
    authority.hasAccess = false;
  } else if (approver) {
    authority.isDecisionMaker = false;
    authority.hasAccess = true;
    authority.decisionMaker = titleCase(approver[1]!.trim());
  } else if (me) {
    authority.isDecisionMaker = true;
  } else if (notMe) {
    authority.isDecisionMaker = false;
  } else if (
    askedAuthority &&
    /^(yes|yep|yeah|that's me|that is me|i am|i do|me|just me|it's me|correct)\b/.test(lower.trim())
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
      .split(/[,.;!?]| at | for | with | in charge| and i | and we | so | but | here| who /i)[0]!
      .trim();
    if (roleWord.test(phrase) && phrase.split(/\s+/).length <= 7) return tidyRole(phrase);
  }
  const runs =
    /\bi (?:run|lead|head(?: up)?|manage|own)\s+(?:the |our |a )?([a-z][\w &-]{1,30}?)(?:\s+(?:team|department|org|function))?(?=[,.;!?]|$| at | for | and )/i.exec(
      text,
    );
  if (runs) return `Head of ${titleCase(runs[1]!.trim())}`;
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

function extractTimeline(lower: string, now: Date): UpdateQualificationArgs['timeline'] | undefined {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const quarter = Math.floor(month / 3);

  if (
    /\b(no (rush|timeline|timeframe|time frame|plans?)|not (a priority|urgent|any ?time soon)|just (exploring|researching|looking|browsing)|sometime next year|next year or later|no hurry)\b/.test(
      lower,
    )
  ) {
    return { withinDays: 365, note: 'no near-term timeline' };
  }
  if (/\b(asap|as soon as possible|right away|immediately|urgent(ly)?|yesterday)\b/.test(lower)) {
    return { withinDays: 14, note: 'as soon as possible' };
  }
  const relative =
    /\b(?:within|in|in the next|over the next|the next|next|inside of|under)\s+(\d+|a couple of|a couple|a few|couple|few|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(day|week|month|quarter|year)s?\b/.exec(
      lower,
    );
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
  if (/\bnext year\b/.test(lower)) return { withinDays: 365, note: 'next year' };
  const named = new RegExp(
    String.raw`\b(by|in|before|around|until|for|end of|early|mid|late)?\s*(${months.join('|')})(?:\s+(\d{1,2})(?:st|nd|rd|th)?)?\b`,
  ).exec(lower);
  if (named && (named[1] || named[3])) {
    const monthIndex = months.indexOf(named[2]!);
    const day = named[3] ? Number(named[3]) : undefined;
    let targetYear = year;
    if (monthIndex < month || (monthIndex === month && day !== undefined && day < now.getUTCDate()))
      targetYear++;
    const target = day ? utcDay(targetYear, monthIndex, day) : utcDay(targetYear, monthIndex + 1, 0);
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
  const known = options.competitors ?? defaultCompetitors;
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
  if (current.size === 0 && evaluating.size === 0 && !none) return undefined;
  return {
    ...(current.size > 0 ? { current: [...current] } : {}),
    ...(evaluating.size > 0 ? { evaluating: [...evaluating] } : {}),
    ...(none ? { none: true } : {}),
  };
}

// ---- need --------------------------------------------------------------------------------

function extractNeed(
  statements: string[],
  lower: string,
  askedNeed: boolean,
  found: UpdateQualificationArgs,
): UpdateQualificationArgs['need'] | undefined {
  if (
    /\b(not interested|no need|don't need (it|this|that|anything|a tool|one)|do not need (it|this|that|anything|a tool|one)|we're all set|we are all set|happy with what we have)\b/.test(
      lower,
    )
  ) {
    return { identified: false };
  }
  const patterns = [
    /\b(?:our|the|my) (?:biggest |main |real |key )?(?:problem|challenge|issue|pain|pain point|struggle|goal|priority) (?:is|are) (?:that )?(.{6,200})/i,
    /\b(?:we|i)(?:'re| are| am)? (?:struggling|struggle|having trouble|have trouble|fighting) (?:with |to )?(.{6,200})/i,
    /\b(?:we|i)(?:'re| are| am) (?:looking|hoping|trying) (?:for|to) (.{6,200})/i,
    /\b(?:we|i) (?:need|want|would like|'d like) (?:to |a |an |better |more )?(.{6,200})/i,
    /\b(?:we|i) (?:can't|cannot|don't) (?:see|tell|trust|predict|forecast|know) (.{6,200})/i,
  ];
  for (const sentence of statements) {
    for (const pattern of patterns) {
      const match = pattern.exec(sentence);
      if (!match) continue;
      const summary = clause(match[0]!);
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
        sentence.split(/\s+/).length >= 4 && !/^(thanks|thank you|ok|okay|sure)\b/i.test(sentence),
    );
    const onlyOtherItems = Boolean(
      found.budget || found.timeline || found.authority?.isDecisionMaker !== undefined,
    );
    if (answer && !onlyOtherItems) return { identified: true, summary: clause(answer) };
  }
  return undefined;
}

function clause(text: string): string {
  const trimmed = text.trim().replace(/[.!;,]+$/, '');
  return trimmed.length > 200 ? `${trimmed.slice(0, 197)}...` : trimmed;
}
