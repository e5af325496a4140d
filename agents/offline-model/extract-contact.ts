import type { ConversationTurn } from '../../core/qualification/qualifier-model.ts';
import type { RecordContactDetailsArgs } from '../../core/qualification/qualifier-tools.ts';
import { countryCode } from '../../core/scoring/geography.ts';
import { isQuestion, splitSentences } from './extract-signals.ts';

/**
 * The offline model's ears for who the prospect is: name, title, company, company size,
 * industry, country, website, email, phone and the tools they use, from one message, in the shape
 * Claude passes to `record_contact_details`. Patterns only, so it keeps to what is plainly said:
 * a name must look like one ("I'm Sam", not "I'm interested"), a phone needs a "+" or a word
 * saying it is one, a domain a word saying it is their site. The question the agent just asked
 * reads terse answers ("Dana Reyes", "Acme Corp", "about 300").
 */

/** What the agent's last question asked about the prospect's identity. */
export type ContactTopic = 'name' | 'company' | 'title' | 'size' | 'reach' | 'website';

export interface ExtractContactOptions {
  lastAsked?: ContactTopic | null;
  /** Product names to recognize as tools in use (the loadout's competitor list adds to these). */
  tools?: readonly string[];
}

/** The details, and the size of the sales team when that is what was said. */
export type ExtractedContact = RecordContactDetailsArgs & { salesTeamSize?: number };

export const commonTools = [
  'Salesforce',
  'HubSpot',
  'Pipedrive',
  'Zoho',
  'Microsoft Dynamics',
  'Dynamics 365',
  'Freshsales',
  'Copper',
  'Outreach',
  'Salesloft',
  'Apollo',
  'ZoomInfo',
  'LinkedIn Sales Navigator',
  'Gong',
  'Chorus',
  'Clari',
  'Aviso',
  'BoostUp',
  'InsightSquared',
  'People.ai',
  'Slack',
  'Zendesk',
  'Intercom',
  'Marketo',
  'Pardot',
  'Mailchimp',
  'Tableau',
  'Looker',
  'Power BI',
  'Excel',
  'Google Sheets',
  'Notion',
  'Jira',
  'Snowflake',
] as const;

export function contactTopicOfQuestion(text: string): ContactTopic | null {
  const lower = text.toLowerCase();
  const email = /\be-?mail\b/.test(lower);
  const phone = /\b(phone|number|call you|text you|mobile|cell)\b/.test(lower);
  if (email || phone) return 'reach';
  if (
    /\b(your name|who am i (speaking|chatting|talking) (with|to)|who do i have the pleasure|what should i call you|who is this|who's this)\b/.test(
      lower,
    )
  )
    return 'name';
  if (/\b(your (role|title|job title|position)|what do you do (at|there|for))\b/.test(lower)) return 'title';
  if (/\bhow (many|big|large)\b.*\b(employees|people|staff|company|organi[sz]ation|headcount)\b/.test(lower))
    return 'size';
  if (
    /\b(your (company|website|site)|which company|what company|where do you work|company are you (with|from|at)|organi[sz]ation are you)\b/.test(
      lower,
    )
  )
    return /\b(website|site)\b/.test(lower) ? 'website' : 'company';
  return null;
}

/**
 * The details to record for the last prospect message of `history`, with the agent's question
 * before it as context. Company size is employees; a sales team's size stands in for it only when
 * the prospect has named no headcount in this conversation.
 */
export function contactDetailsFor(
  history: readonly ConversationTurn[],
  options: { tools?: readonly string[] } = {},
): RecordContactDetailsArgs {
  const message = history.at(-1)?.text ?? '';
  const earlier = history.slice(0, -1);
  const previousAgent = [...earlier].reverse().find((turn) => turn.role === 'agent');
  const question = previousAgent
    ? splitSentences(previousAgent.text)
        .filter((sentence) => sentence.trim().endsWith('?'))
        .at(-1)
    : undefined;
  const { salesTeamSize, ...details } = extractContact(message, {
    lastAsked: question ? contactTopicOfQuestion(question) : null,
    ...options,
  });
  if (details.companySize === undefined && salesTeamSize !== undefined) {
    const headcountSaid = earlier.some(
      (turn) => turn.role === 'prospect' && extractContact(turn.text).companySize !== undefined,
    );
    if (!headcountSaid) details.companySize = salesTeamSize;
  }
  return details;
}

/** Misspellings of the words the patterns below look for, fixed before reading. */
const typos: [RegExp, string][] = [
  [/\bi m\b/gi, "I'm"],
  [/\bim\b/g, "I'm"],
  [/\bi'm\b/g, "I'm"],
  [/\bwe re\b/gi, "we're"],
  [/\bwere (a|an|based|about|around|in)\b/gi, "we're $1"],
  [/\b(compnay|comapny|compny|copmany|compamy)\b/gi, 'company'],
  [/\b(employes|employess|emplyees|employies|empolyees|employess|employee's|emploees)\b/gi, 'employees'],
  [/\b(ppl|peple|poeple|peeps)\b/gi, 'people'],
  [/\b(wrok|wokr|workk)\b/gi, 'work'],
  [/\b(nmae|naem)\b/gi, 'name'],
  [/\b(bsaed|basd|baesd)\b/gi, 'based'],
  [/\b(webiste|webste|websit|wesbite)\b/gi, 'website'],
  [/\b(numbr|nubmer|numer|nummber)\b/gi, 'number'],
  [/\b(phnoe|phoen)\b/gi, 'phone'],
  [/\b(emial|emal|emaill)\b/gi, 'email'],
  [/\b(curently|currenty|currentely)\b/gi, 'currently'],
  [/\b(evaluting|evaulating|evalutating)\b/gi, 'evaluating'],
  [/\b(salesforse|salesfroce|saleforce)\b/gi, 'Salesforce'],
  [/\b(hubspto|hubsopt|hub spot)\b/gi, 'HubSpot'],
];

const fixTypos = (text: string) => typos.reduce((fixed, [pattern, to]) => fixed.replace(pattern, to), text);

/** Sentences, and the clauses a dash sets apart ("... at Northwind — we're about 300 people"). */
function clausesOf(text: string): string[] {
  return splitSentences(text)
    .flatMap((sentence) => sentence.split(/\s+[—–-]\s+|\s*—\s*/))
    .map((clause) => clause.trim())
    .filter(Boolean);
}

const greeting =
  /^(?:(?:hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening)|morning|sure|yes|yeah|yep|ok|okay|of course|thanks|thank you)(?: there)?[,!.:]*\s+)+/i;

// ---- numbers -----------------------------------------------------------------------------

const num = String.raw`(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?(k|thousand)?`;
function toCount(value: string, unit?: string): number {
  const base = Number.parseFloat(value.replace(/,/g, ''));
  return Math.round(unit ? base * 1000 : base);
}

// ---- the extractor -----------------------------------------------------------------------

export function extractContact(message: string, options: ExtractContactOptions = {}): ExtractedContact {
  const text = fixTypos(message.normalize('NFKC').replace(/[\u2018\u2019\u02bc]/g, "'"));
  // A prospect who writes all in lower case still names themselves ("hi im dana reyes").
  const lowercaseOnly = !/\p{Lu}/u.test(text.replace(/\bI'm\b|\bI\b/g, ''));
  const clauses = clausesOf(text);
  const statements = clauses.filter((clause) => !isQuestion(clause));
  const details: ExtractedContact = {};
  const { lastAsked } = options;

  // An address is theirs even inside a question ("can you email me at dana@x.io?").
  const email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/.exec(text)?.[0];
  if (email) details.email = email.toLowerCase();
  const phone = findPhone(clauses, lastAsked === 'reach');
  if (phone) details.phone = phone;

  const person = findPerson(statements, { lowercaseOnly, askedName: lastAsked === 'name' });
  if (person.firstName) details.firstName = person.firstName;
  if (person.lastName) details.lastName = person.lastName;
  const titled = person.title ? {} : findTitle(statements, { lowercaseOnly, asked: lastAsked === 'title' });
  const title = person.title ?? titled.title;
  if (title) details.title = title;
  const company =
    person.company ??
    titled.company ??
    findCompany(statements, { lowercaseOnly, askedCompany: lastAsked === 'company' });
  if (company && !(email && company.includes('@'))) details.company = company;

  const size = findSize(statements, lastAsked === 'size');
  if (size.employees !== undefined) details.companySize = size.employees;
  if (size.salesTeam !== undefined) details.salesTeamSize = size.salesTeam;

  const industry = findIndustry(statements);
  if (industry) details.industry = industry;
  const country = findCountry(statements);
  if (country) details.country = country;
  const website = findWebsite(statements, text, lastAsked === 'website');
  if (website) details.website = website;
  const tools = findTools(statements, [...commonTools, ...(options.tools ?? [])]);
  if (tools.length > 0) details.tools = tools;
  return details;
}

// ---- phone -------------------------------------------------------------------------------

const phoneCue =
  /\b(call|text|phone|cell|mobile|number|reach me|whatsapp|tel|ring me|sms|contact me|dial)\b/i;

function findPhone(clauses: string[], asked: boolean): string | undefined {
  for (const clause of clauses) {
    for (const match of clause.matchAll(/(?<![\w$€£.,])(?:\+|00)?\(?\d[\d\s().-]{5,20}\d(?![\w%])/g)) {
      const raw = match[0].trim();
      const digits = raw.replace(/\D/g, '');
      if (digits.length < 7 || digits.length > 15) continue;
      // Dates and ranges ("2026-12-01", "200-300") are not numbers to call.
      if (/^\d{4}-\d{2}-\d{2}$/.test(raw) || /^\d{1,6}\s?-\s?\d{1,6}$/.test(raw)) continue;
      const international = raw.startsWith('+') || raw.startsWith('00');
      if (international || phoneCue.test(clause) || asked) return raw;
    }
  }
  return undefined;
}

// ---- name, title, company ----------------------------------------------------------------

const roleWords =
  /\b(vp|svp|evp|avp|vice president|head|director|manager|chief|ceo|cfo|cto|coo|cro|cmo|cio|cpo|founder|co-founder|cofounder|owner|president|lead|leader|analyst|engineer|rep|representative|associate|coordinator|specialist|consultant|administrator|admin|partner|officer|executive|intern|sdr|bdr|ae|controller|architect|developer|designer|marketer|recruiter|strategist|principal|revops|operations|ops)\b/i;
const acronyms =
  /^(vp|svp|evp|avp|ceo|cfo|cto|coo|cro|cmo|cio|cpo|sdr|bdr|ae|hr|it|gtm|b2b|saas|ai|emea|apac|us|uk)$/i;

/** Words that follow "I'm" without being a name. */
const notNames = new Set(
  [
    'a',
    'an',
    'the',
    'not',
    'just',
    'so',
    'very',
    'really',
    'here',
    'interested',
    'looking',
    'based',
    'from',
    'with',
    'in',
    'at',
    'on',
    'new',
    'happy',
    'glad',
    'good',
    'great',
    'fine',
    'ok',
    'okay',
    'sorry',
    'curious',
    'sure',
    'afraid',
    'also',
    'still',
    'only',
    'actually',
    'currently',
    'responsible',
    'part',
    'one',
    'back',
    'ready',
    'busy',
    'free',
    'available',
    'done',
    'out',
    'over',
    'about',
    'around',
    'hoping',
    'planning',
    'going',
    'open',
    'keen',
    'aware',
    'unsure',
    'new',
    'more',
    'our',
    'your',
    'this',
    'that',
    'it',
    'there',
    'they',
    'we',
    'me',
    'my',
    'no',
    'yes',
    'hi',
    'hello',
    'hey',
    'thanks',
    'tired',
    'frustrated',
    'fed',
    'up',
    'well',
    'american',
    'canadian',
    'german',
    'french',
    'british',
    'english',
    'spanish',
    'italian',
    'dutch',
    'swiss',
    'swedish',
    'danish',
    'irish',
    'australian',
    'indian',
    'brazilian',
    'mexican',
    'polish',
    'monday',
    'tuesday',
    'wednesday',
    'thursday',
    'friday',
  ].map((word) => word.toLowerCase()),
);

const nameWord = String.raw`[\p{L}][\p{L}'-]*`;

function looksLikeName(word: string, lowercaseOnly: boolean): boolean {
  if (notNames.has(word.toLowerCase()) || roleWords.test(word)) return false;
  if (/^i$|'(?:m|re|ll|ve|d)$/i.test(word)) return false; // I, I'm, we're
  if (/'s$/i.test(word) || word.length < 2) return false;
  if (/^\p{Lu}{2,}$/u.test(word)) return false; // an acronym: VP, CEO, NYC
  if (/^\p{Lu}/u.test(word)) return true;
  // Lower case only from someone who writes everything so, and not a word ending like a verb.
  return lowercaseOnly && !/(ing|ed|ly)$/.test(word);
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** The leading words of `phrase` that look like a name, at most three. */
function nameAt(phrase: string, lowercaseOnly: boolean): string[] {
  const words = phrase.split(/\s+/);
  const name: string[] = [];
  for (const raw of words) {
    const word = raw.replace(/[,.;:!]+$/, '');
    if (!new RegExp(`^${nameWord}$`, 'u').test(word) || !looksLikeName(word, lowercaseOnly)) break;
    name.push(word);
    if (raw !== word || name.length === 3) break; // a comma ends the name
  }
  return name;
}

interface Person {
  firstName?: string;
  lastName?: string;
  title?: string;
  company?: string;
}

function splitName(words: string[]): Pick<Person, 'firstName' | 'lastName'> {
  const [first, ...rest] = words.map((word) => (/^\p{Ll}/u.test(word) ? capitalize(word) : word));
  return rest.length > 0 ? { firstName: first, lastName: rest.join(' ') } : { firstName: first };
}

function findPerson(statements: string[], options: { lowercaseOnly: boolean; askedName: boolean }): Person {
  for (const statement of statements) {
    const clause = statement.replace(greeting, '');
    const explicit = /\b(?:my name is|my name's|name's|the name is|i go by|call me)\s+(.+)/i.exec(clause);
    // "my name is" is unambiguous: its words are a name in whatever case.
    if (explicit && !/^(at|on)\b/i.test(explicit[1]!)) {
      const words = nameAt(explicit[1]!, true);
      if (words.length > 0)
        return { ...splitName(words), ...rest(explicit[1]!, words, options.lowercaseOnly) };
    }
    const intro = /\b(?:I'm|I am|this is)\s+(.+)/i.exec(clause);
    if (intro) {
      const words = nameAt(intro[1]!, options.lowercaseOnly);
      if (words.length > 0) return { ...splitName(words), ...rest(intro[1]!, words, options.lowercaseOnly) };
    }
    // "Priya Natarajan, Head of Revenue Operations at Cobalt Health": a name, then a title.
    const byline = new RegExp(
      String.raw`^(\p{Lu}${nameWord}(?:\s+\p{Lu}${nameWord}){1,2}),\s+(.+)`,
      'u',
    ).exec(clause);
    if (byline) {
      const words = nameAt(byline[1]!, false);
      const found = titleAndCompany(byline[2]!, options.lowercaseOnly);
      if (words.length > 1 && words.join(' ') === byline[1] && found.title)
        return { ...splitName(words), ...found };
    }
    // "Dana here", "Dana from Northwind here", "Dana Reyes from Northwind": capitalized only.
    const signed = new RegExp(String.raw`^(${nameWord}(?:\s+${nameWord})?)\s+(here\b|from\s+)`, 'u').exec(
      clause,
    );
    if (signed) {
      const words = nameAt(signed[1]!, false);
      if (words.length > 0 && words.join(' ') === signed[1]) {
        return { ...splitName(words), ...rest(clause.slice(signed[1]!.length), [], options.lowercaseOnly) };
      }
    }
  }
  if (options.askedName) {
    // A terse answer to "who am I chatting with?": "Dana Reyes", "it's dana", "Sam, from Acme".
    const answer = statements[0]
      ?.replace(greeting, '')
      .replace(/^(?:it's|it is|i'm|i am|this is|my name is)\s+/i, '');
    if (answer) {
      const [head = ''] = answer.split(/,|\s+from\s+|\s+at\s+/i);
      const words = head
        .trim()
        .replace(/[.!]+$/, '')
        .split(/\s+/);
      if (
        words.length <= 3 &&
        words.every((word) => new RegExp(`^${nameWord}$`, 'u').test(word) && looksLikeName(word, true))
      ) {
        return { ...splitName(words), ...rest(answer.slice(head.length), [], options.lowercaseOnly) };
      }
    }
  }
  return {};
}

/** What follows a name: ", VP of Sales at Northwind Logistics", " from Acme". */
function rest(
  phrase: string,
  nameWords: string[],
  lowercaseOnly: boolean,
): Pick<Person, 'title' | 'company'> {
  let after = phrase;
  for (const word of nameWords) after = after.slice(after.indexOf(word) + word.length);
  after = after.replace(/^\s*(?:here\b)?[,.]?\s*/i, '');
  const from = /^(?:from|with|of)\s+(.+)/i.exec(after);
  if (from) {
    const company = companyAt(from[1]!, lowercaseOnly);
    return company ? { company } : {};
  }
  return titleAndCompany(after.replace(/^(?:and\s+)?(?:i'm\s+|i am\s+)?/i, ''), lowercaseOnly);
}

// Where a title ends: punctuation, or a word that starts another thought.
const titleEnd =
  /[,;!?()]|\s+[—–-]\s+|\.(?:\s|$)|\s+(?:so|but|here|who|where|which|since|because|looking|trying|and (?!(?:ceo|cto|coo|cfo|cro|cmo|founder|co-founder|cofounder|owner|president|marketing|sales|operations|partnerships|growth|revenue|head|vp|director)\b)|(?:on|in|within) (?:the|our|my)\b)/i;
// "VP of Sales" is a title; "CEO of Lumen Robotics" names the company.
const functions =
  /^(?:sales|marketing|revenue|operations|ops|growth|engineering|product|finance|people|hr|it|technology|strategy|partnerships|business|customer|client|account|accounts|enterprise|commercial|global|north|emea|apac|the americas|americas|europe|international|demand|digital|field|inside|channel|sales ops|revops|gtm)\b/i;

/** A title at the start of `phrase`, and the company it names ("… at Northwind", "CEO of Lumen"). */
function titleAndCompany(phrase: string, lowercaseOnly: boolean): Pick<Person, 'title' | 'company'> {
  const end = titleEnd.exec(phrase);
  const head = end ? phrase.slice(0, end.index) : phrase;
  const at = /^(.+?)\s+(?:at|with|for)\s+(.+)$/i.exec(head);
  let titlePart = at ? at[1]! : head;
  let company = at
    ? companyAt(phrase.slice(at[1]!.length).replace(/^\s+(?:at|with|for)\s+/i, ''), lowercaseOnly)
    : undefined;
  const of = /^(.+?)\s+of\s+(.+)$/i.exec(titlePart);
  if (of && !functions.test(of[2]!)) {
    if (/^(?:the |our |my )?(?:company|business|firm|team|startup|organi[sz]ation|group)$/i.test(of[2]!)) {
      titlePart = of[1]!;
    } else if (!company) {
      const named = companyAt(of[2]!, lowercaseOnly);
      if (named) {
        company = named;
        titlePart = of[1]!;
      }
    }
  }
  const title = tidyTitle(titlePart);
  if (!title) return {};
  return company ? { title, company } : { title };
}

/** A job title, tidied ("vp of sales" → "VP of Sales"), or undefined when the phrase is none. */
function tidyTitle(phrase: string): string | undefined {
  const words = phrase.trim().replace(/[.]+$/, '').split(/\s+/).filter(Boolean);
  if (/^(?:the|a|an|our|my)$/i.test(words[0] ?? '')) words.shift();
  if (words.length === 0 || words.length > 7 || !roleWords.test(words.join(' '))) return undefined;
  return words
    .map((word, i) =>
      acronyms.test(word)
        ? word.toUpperCase()
        : i > 0 && /^(of|and|the|for|in|on|&)$/i.test(word)
          ? word.toLowerCase()
          : /^\p{Ll}/u.test(word)
            ? capitalize(word)
            : word,
    )
    .join(' ');
}

function findTitle(
  statements: string[],
  options: { lowercaseOnly: boolean; asked: boolean },
): Pick<Person, 'title' | 'company'> {
  for (const statement of statements) {
    const clause = statement.replace(greeting, '');
    const said =
      /\b(?:I'm|I am|I work as|I serve as|my (?:title|role|position|job title|job) is|as (?:the|a|an))\s+(?:the |a |an |our )?(.+)/i.exec(
        clause,
      );
    if (said) {
      const found = titleAndCompany(said[1]!, options.lowercaseOnly);
      if (found.title) return found;
    }
    const runs =
      /\bI (?:run|lead|head(?: up)?|manage)\s+(?:the |our )?(sales operations|sales ops|sales development|sales|marketing|revenue operations|revops|operations|growth|partnerships|business development|customer success)(?:\s+(?:team|department|org))?\b/i.exec(
        clause,
      );
    if (runs) return { title: tidyTitle(`Head of ${runs[1]!}`) };
  }
  if (options.asked && statements[0])
    return titleAndCompany(statements[0].replace(greeting, ''), options.lowercaseOnly);
  return {};
}

const companyWord = String.raw`[\p{Lu}\d][\p{L}\d&'.-]*`;
const notCompanies =
  /^(?:I|We|The|A|An|It|You|They|Our|My|This|That|Monday|Tuesday|Wednesday|Thursday|Friday|Home|Work|Night|Least|Most|Times|All)$/;

/** The company name at the start of `phrase`: capitalized words ("Northwind Logistics", "Bank of America"). */
function companyAt(phrase: string, lowercaseOnly: boolean): string | undefined {
  const trimmed = phrase.trim();
  const capital = new RegExp(
    String.raw`^(${companyWord}(?:\s+(?:of|and|&|for|de|la)?\s*${companyWord}){0,4})`,
    'u',
  ).exec(trimmed);
  let name: string | undefined;
  if (capital) {
    const words = capital[1]!.split(/\s+/);
    const cut = words.findIndex(
      (word, i) => i > 0 && /^(?:We|I|Our|My|It|They|And|But|So)$|^(?:I|We|You|They)'/.test(word),
    );
    name = (cut > 0 ? words.slice(0, cut) : words).join(' ').replace(/\s+(?:of|and|&|for|de|la)$/, '');
  } else if (lowercaseOnly || /\b(?:inc|corp|llc|ltd|gmbh|co)\b/i.test(trimmed.split(/[,.;!]/)[0]!)) {
    // "i work for acme corp": lower case, but plainly a company.
    const words = trimmed
      .split(/[,;!?]|\.(?:\s|$)|\s+(?:and|but|so|where|in|as|since|because|we|i)\s+/i)[0]!
      .trim()
      .split(/\s+/);
    if (words.length <= 4 && !/^(?:a|an|the|home|work|night|least|most|times|all)$/i.test(words[0] ?? ''))
      name = words.map((word) => (acronyms.test(word) ? word.toUpperCase() : capitalize(word))).join(' ');
  }
  name = name?.replace(/[.,]+$/, '').replace(/^The$/, '');
  if (!name || notCompanies.test(name) || /^[\d,.]+$/.test(name)) return undefined;
  return name;
}

function findCompany(
  statements: string[],
  options: { lowercaseOnly: boolean; askedCompany: boolean },
): string | undefined {
  for (const statement of statements) {
    const clause = statement.replace(greeting, '');
    const cues = [
      /\b(?:I|we)\s+(?:work|am working|'m working|are working)\s+(?:at|for)\s+(.+)/i,
      /\b(?:I'm|I am)\s+(?:at|with)\s+(.+)/i,
      /\b(?:our|my|the) company(?: name)? is(?: called)?\s+(.+)/i,
      /\b(?:company|we're|we are)\s+called\s+(.+)/i,
      /\bI(?:'m| am)? (?:the )?(?:founder|co-founder|cofounder|owner|ceo) of\s+(.+)/i,
      /\bI (?:run|own|founded|co-founded|started)\s+(?=\p{Lu})(.+)/iu,
      new RegExp(
        String.raw`${roleWords.source}(?:\s+(?:of|for)\s+[\w&/ -]{2,40}?)?\s+(?:at|with)\s+(.+)`,
        'i',
      ),
      /\bI (?:run|lead|head(?: up)?|manage)\s+[\w &-]{2,40}?\s+(?:at|for)\s+(.+)/i,
      /\b(?:team|department|group|office)\s+(?:at|of)\s+(.+)/i,
    ];
    for (const cue of cues) {
      const match = cue.exec(clause);
      const phrase = match?.at(-1);
      if (!phrase) continue;
      const company = companyAt(phrase, options.lowercaseOnly);
      if (company && !countryOf(company)) return company;
    }
  }
  if (options.askedCompany && statements[0]) {
    // A terse answer to "which company are you with?": "Acme Corp", "initech".
    const answer = statements[0]
      .replace(greeting, '')
      .replace(
        /^(?:(?:it's|it is|we're|we are|I'm|I am)(?:\s+(?:with|at))?|I work (?:at|for)|at|with)\s+/i,
        '',
      );
    if (answer.split(/\s+/).length <= 5 && !/^(?:i|we|no|not|none|n\/a|rather|prefer|why)\b/i.test(answer))
      return companyAt(answer, true);
  }
  return undefined;
}

// ---- company size ------------------------------------------------------------------------

const about = String.raw`(?:about|around|roughly|approximately|approx\.?|~|nearly|almost|over|more than|just over|just under|under|close to|some)?\s*`;
const salesPeople =
  "(?:sales ?)?(?:reps|representatives|sellers|salespeople|sales people|aes|ae's|sdrs|bdrs|account executives|agents)";

function findSize(statements: string[], asked: boolean): { employees?: number; salesTeam?: number } {
  const found: { employees?: number; salesTeam?: number } = {};
  for (const statement of statements) {
    const lower = statement.toLowerCase();
    const employees =
      // "a 300-person company", "300 person firm"
      new RegExp(
        String.raw`\b${num}\s?\+?[\s-]*(?:person|people|employee|staff|man)[\s-]+(?:[a-z&/-]+\s+){0,3}?(?:company|business|firm|org|organi[sz]ation|startup|start-up|shop|agency|team|outfit|operation|group)\b`,
      ).exec(lower) ??
      // "between 200 and 300 employees", "200-300 employees": the low end
      new RegExp(
        String.raw`\bbetween\s+${num}\s+and\s+\d[\d,.]*\s?(?:k|thousand)?\s+(?:employees|people|staff)\b`,
      ).exec(lower) ??
      new RegExp(
        String.raw`\b${num}\s?(?:-|–|to)\s?\d[\d,.]*\s?(?:k|thousand)?\s+(?:employees|staff|ftes?|people)\b`,
      ).exec(lower) ??
      new RegExp(
        String.raw`\b${num}\s?\+?\s+(?:employees|staff|ftes?|full[- ]time employees|headcount)\b`,
      ).exec(lower) ??
      new RegExp(
        String.raw`\b(?:we're|we are|we have|we've got|we employ|company of|org of|there are|team of|total of|headcount of|headcount is)\s+(?:a (?:team|company) of\s+)?${about}${num}\s?\+?\s*(?:people|persons|folks|employees|staff)\b`,
      ).exec(lower) ??
      new RegExp(String.raw`\b(?:we're|we are)\s+${about}${num}\s+strong\b`).exec(lower) ??
      // An aside in an introduction: "(about 40 people, industrial automation)", "— about 300 people".
      new RegExp(
        String.raw`(?:^|\()\s*${about}${num}\s?\+?\s+(?:people|persons|folks)\b(?!\s+(?:use|using|need|will|would|who|on|in our))`,
      ).exec(lower) ??
      new RegExp(String.raw`\bheadcount\s+(?:is|of)\s+${about}${num}\b`).exec(lower);
    const salesTeam =
      new RegExp(String.raw`\b${num}\s?\+?\s+${salesPeople}\b`).exec(lower) ??
      new RegExp(String.raw`\bsales (?:team|org)\s+(?:of|is|has)\s+${about}${num}\b`).exec(lower);
    // "our sales team is 20 people" names the sales team, not the company.
    const aboutSalesTeam =
      /\bsales (?:team|org)\b/.test(lower) && !/\b(company|employees|headcount)\b/.test(lower);
    if (employees && !aboutSalesTeam) found.employees ??= toCount(employees[1]!, employees[2]);
    const team = salesTeam ?? (aboutSalesTeam ? employees : null);
    if (team) found.salesTeam ??= toCount(team[1]!, team[2]);
  }
  if (asked && found.employees === undefined && found.salesTeam === undefined && statements[0]) {
    const bare = new RegExp(String.raw`^${about}${num}\s*\+?\s*(?:people|employees|staff)?\.?$`).exec(
      statements[0].toLowerCase().replace(greeting, '').trim(),
    );
    if (bare) found.employees = toCount(bare[1]!, bare[2]);
  }
  for (const key of ['employees', 'salesTeam'] as const) {
    const value = found[key];
    if (value !== undefined && (value < 1 || value > 10_000_000)) delete found[key];
  }
  return found;
}

// ---- industry, country -------------------------------------------------------------------

const knownIndustries =
  /^(?:logistics|healthcare|health care|fintech|finance|financial services|insurance|insurtech|retail|e-?commerce|manufacturing|education|edtech|real estate|proptech|hospitality|telecom|telecommunications|media|construction|energy|automotive|banking|pharma|pharmaceuticals|biotech|saas|software|consulting|legal|legaltech|government|nonprofit|non-profit|travel|gaming|marketing|advertising|adtech|cybersecurity|security|transportation|freight|agriculture|aerospace|defense|publishing|staffing|recruiting|hr tech|martech)$/i;

const demonyms: Record<string, string> = {
  american: 'United States',
  canadian: 'Canada',
  german: 'Germany',
  french: 'France',
  british: 'United Kingdom',
  uk: 'United Kingdom',
  dutch: 'Netherlands',
  swiss: 'Switzerland',
  swedish: 'Sweden',
  danish: 'Denmark',
  norwegian: 'Norway',
  finnish: 'Finland',
  irish: 'Ireland',
  spanish: 'Spain',
  italian: 'Italy',
  portuguese: 'Portugal',
  austrian: 'Austria',
  belgian: 'Belgium',
  polish: 'Poland',
  australian: 'Australia',
  indian: 'India',
  brazilian: 'Brazil',
  mexican: 'Mexico',
  japanese: 'Japan',
  singaporean: 'Singapore',
  israeli: 'Israel',
};

const notIndustry =
  /^(?:small|smaller|tiny|mid-?sized?|midsize|medium|medium-sized|large|big|bigger|huge|growing|fast-growing|young|new|established|leading|local|global|international|national|regional|private|public|publicly traded|family|family-owned|remote|remote-first|venture-backed|vc-backed|bootstrapped|profitable|series|seed|stage|early-stage|late-stage|b2b|b2c|\d[\w,.+-]*|person|people|employee|staff|man|strong|pretty|very|really|fairly|quite|competing|rival|similar|another)$/i;

function tidyIndustry(words: string[]): string | undefined {
  const kept = words.filter((word) => !notIndustry.test(word) && !(word.toLowerCase() in demonyms));
  // "B2B" alone says how they sell, but "B2B SaaS" is an industry.
  const b2b = words.find((word) => /^b2[bc]$/i.test(word));
  if (kept.length === 0 || kept.length > 3) return undefined;
  const named = (b2b && kept.length > 0 ? [b2b, ...kept] : kept).map((word) =>
    /^saas$/i.test(word) ? 'SaaS' : acronyms.test(word) ? word.toUpperCase() : word.toLowerCase(),
  );
  const joined = named.join(' ');
  return joined.charAt(0).toUpperCase() + joined.slice(1);
}

const businessIndustry: Record<string, string> = {
  consultancy: 'Consulting',
  retailer: 'Retail',
  manufacturer: 'Manufacturing',
  distributor: 'Distribution',
  'law firm': 'Legal',
  bank: 'Banking',
  insurer: 'Insurance',
};

function findIndustry(statements: string[]): string | undefined {
  for (const statement of statements) {
    const lower = statement.toLowerCase();
    const kind =
      /\b(?:we're|we are|we're basically|it's|it is|i work for|i work at|i'm at|i run|at)\s+(?:a|an)\s+((?:[\w&/+.,-]+\s+){0,5}?)(?:company|business|firm|startup|start-up|shop|agency|provider|platform|brand|retailer|manufacturer|distributor|organi[sz]ation|org|outfit|player|vendor|marketplace|consultancy|practice|group)\b/.exec(
        lower,
      );
    if (kind) {
      const industry = tidyIndustry(kind[1]!.trim().split(/\s+/).filter(Boolean));
      if (industry) return industry;
    }
    // The kind of business names its industry: "a small consultancy".
    const business =
      /\b(?:a|an)\s+(?:[\w-]+\s+){0,3}?(consultancy|retailer|manufacturer|distributor|law firm|bank|insurer)\b/.exec(
        lower,
      );
    if (business) return businessIndustry[business[1]!];
    const space =
      /\b(?:we're|we are|i'm|i am|we work|we operate)\s+in\s+(?:the\s+)?([\w&/ -]{3,40}?)\s+(?:industry|space|sector|business|market|vertical)\b/.exec(
        lower,
      ) ?? /\b(?:our|the) (?:industry|sector|vertical) is\s+([\w&/ -]{3,40}?)(?:[,.;!]|$)/.exec(lower);
    if (space) {
      const industry = tidyIndustry(space[1]!.trim().split(/\s+/));
      if (industry) return industry;
    }
    const plain =
      /\b(?:we're|we are|we work|we operate|i work)\s+in\s+([a-z][a-z -]{2,30}?)(?:[,.;!]|\s+(?:and|but|so)\b|$)/.exec(
        lower,
      );
    if (plain && knownIndustries.test(plain[1]!.trim())) return tidyIndustry(plain[1]!.trim().split(/\s+/));
  }
  return undefined;
}

/**
 * The country a phrase starts with, as the prospect named it ("germany and …" → "Germany"), if
 * the geography table knows it. Two letters count only in capitals: "we're in it" is no Italy.
 */
// "UK" is a name in the table, not a code (GB): read two capitals both ways.
const knownCountry = (text: string) => countryCode(text) ?? countryCode(`the ${text.toLowerCase()}`);

function countryOf(phrase: string): string | undefined {
  const words = phrase
    .replace(/[.,;:!]+(\s|$)/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  if (words[0]?.toLowerCase() === 'the') words.shift();
  for (let n = Math.min(4, words.length); n >= 1; n--) {
    const candidate = words.slice(0, n).join(' ');
    if (candidate.length === 2 && candidate !== candidate.toUpperCase()) continue;
    if (candidate.length < 2 || !knownCountry(candidate)) continue;
    return candidate.length <= 3
      ? candidate.toUpperCase()
      : candidate.replace(/(^|\s)\p{Ll}/gu, (c) => c.toUpperCase());
  }
  return undefined;
}

function findCountry(statements: string[]): string | undefined {
  for (const statement of statements) {
    const lower = statement.toLowerCase();
    // The place is read ahead, not consumed: "we're a fintech company based in Germany" has two cues.
    const places = [
      ...statement.matchAll(
        /\b(?:based|located|headquartered|hq'?d|hq is|hq|operating|incorporated|offices?|we're|we are|i'm|i am|i live|we live|from|out of)\s+(?:(?:out of|in|from)\s+)?(?=((?:the\s+)?\p{L}[\p{L} .,'-]{1,40}))/giu,
      ),
    ].map((match) => match[1]!);
    for (const place of places) {
      // "Berlin, Germany": the country follows the city.
      for (const part of [place, ...place.split(/,\s*/).slice(1)]) {
        const country = countryOf(part.trim());
        if (country) return country;
      }
    }
    // "Munich, Germany": a place and its country.
    for (const match of statement.matchAll(/\b\p{Lu}\p{L}+,\s*(?=(\p{Lu}[\p{L} ]{1,30}))/gu)) {
      const country = countryOf(match[1]!);
      if (country) return country;
    }
    const demonym =
      /\b(?:a|an)\s+([a-z]+)\s+(?:[\w-]+\s+){0,3}(?:company|business|firm|startup|team|brand)\b/.exec(lower);
    if (demonym && demonyms[demonym[1]!]) return demonyms[demonym[1]!];
  }
  return undefined;
}

// ---- website -----------------------------------------------------------------------------

const siteCue =
  /\b(site|website|web site|url|domain|homepage|home page|web address|find us|check us out|look us up|we're at|we are at|online at)\b/i;
const domain =
  /(?<![@\w.-])((?:https?:\/\/)?(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.(?:com|io|co|ai|net|org|app|dev|tech|so|xyz|biz|us|uk|de|fr|es|it|nl|eu|ca|au|in|ch|se|no|dk|fi|be|at|ie|pl|pt|br|mx|jp|sg|nz|cloud|software|agency|studio|health)(?:\.[a-z]{2})?)(?:\/[^\s,;)]*)?(?![\w@-])/i;

function findWebsite(statements: string[], text: string, asked: boolean): string | undefined {
  const explicit = /\b(?:https?:\/\/|www\.)[^\s,;)]+/i.exec(text);
  const candidates = explicit ? [explicit[0]] : [];
  // "Pinecrest Software (pinecrest.io)": a domain beside the company is its site.
  const aside = /\(\s*([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\s*\)/i.exec(text);
  if (aside && domain.test(aside[1]!)) candidates.push(aside[1]!);
  for (const statement of statements) {
    if (siteCue.test(statement) || asked) {
      const match = domain.exec(statement);
      if (match) candidates.push(match[1]!);
    }
  }
  const found = candidates[0];
  if (!found) return undefined;
  const host = found
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/^www\./, '')
    .split(/[/?#:]/)[0]!
    .replace(/[.]+$/, '');
  // A host name, not an address or a placeholder.
  return host && /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(host) ? host : undefined;
}

// ---- tools -------------------------------------------------------------------------------

const usingCue =
  /\b(use|uses|using|used by|we're on|we are on|currently on|(?:run|runs|running|built|living) on|rely on|relying on|our (?:crm|stack|tools?|tech stack) (?:is|are|includes?)|live in|lives in|switched to|moved to|switching from|moving (?:off|away from)|stuck (?:on|with)|(?:a|our) contract with)\b/i;
const notUsingCue =
  /\b(looking at|evaluating|considering|comparing|thinking about|trialing|trialling|demoing|used to|instead of|replaced|cancel+ed|dropped|integrate|integration|integrates|connect)\b/i;

function findTools(statements: string[], known: readonly string[]): string[] {
  const tools: string[] = [];
  const add = (tool: string) => {
    if (!tools.some((have) => have.toLowerCase() === tool.toLowerCase())) tools.push(tool);
  };
  for (const statement of statements) {
    const clauses = statement.split(
      /,?\s+(?:but|while|whereas|although|though)\s+|,\s+(?:also|and also|plus)\s+/i,
    );
    for (const clause of clauses) {
      if (!usingCue.test(clause) || notUsingCue.test(clause)) continue;
      const lower = clause.toLowerCase();
      for (const name of known) {
        if (new RegExp(String.raw`\b${name.toLowerCase().replace(/[.]/g, '\\.')}\b`).test(lower)) add(name);
      }
      if (/\b(spreadsheets?)\b/.test(lower) && !tools.includes('Excel') && !tools.includes('Google Sheets'))
        add('spreadsheets');
      // An unknown product named after "we use": "we use Attio and Slack".
      const named =
        /\b(?:[Ww]e|I)\s+(?:currently\s+)?(?:use|are using|'re using)\s+((?:[A-Z][\w.]*)(?:(?:,\s*|\s+and\s+|\s*&\s*)[A-Z][\w.]*)*)/.exec(
          clause,
        );
      if (named) {
        for (const name of named[1]!.split(/,\s*|\s+and\s+|\s*&\s*/)) {
          const tool = name.replace(/[.]+$/, '');
          // "Google" of "Google Sheets" is already known.
          const part = tools.some((have) => have.toLowerCase().split(' ').includes(tool.toLowerCase()));
          if (!part && !/^(?:I|We|A|The|It|You|Our|My)$/.test(tool)) add(tool);
        }
      }
    }
  }
  return tools.slice(0, 20);
}
