/**
 * Finds the knowledge-base entries a prospect's message is about, by weighted term overlap: rare
 * terms count more than common ones (inverse document frequency) and a term in an entry's title
 * counts double. Small knowledge bases (tens of entries) need nothing heavier, and the same
 * entries go to every model, so what the agent may state as fact is decided here.
 */

export interface KnowledgeDocument {
  id?: string;
  kind: string;
  title: string;
  body: string;
}

export interface RetrievedKnowledge extends KnowledgeDocument {
  score: number;
}

const stopwords = new Set(
  (
    'a an and are as at be been but by can could did do does doing for from had has have how i if in into is it its ' +
    'me my of on or our so than that the their them then there these they this those to too us was we were what ' +
    'when where which while who why will with would you your yours about any also get got just like some tell ' +
    'know want need please thanks thank hi hello hey there sure okay ok yes no not really much more very well ' +
    "able let i'm it's we're you're don't doesn't work works offer support use using one per whats what's"
  ).split(/\s+/),
);

/** Words that mean the same thing to a buyer, folded to one term. */
const synonyms: Record<string, string> = {
  price: 'price',
  prices: 'price',
  pricing: 'price',
  priced: 'price',
  cost: 'price',
  costs: 'price',
  expensive: 'price',
  cheap: 'price',
  fee: 'price',
  fees: 'price',
  pay: 'price',
  plan: 'plan',
  plans: 'plan',
  tier: 'plan',
  tiers: 'plan',
  package: 'plan',
  packages: 'plan',
  integrate: 'integrat',
  integrates: 'integrat',
  integration: 'integrat',
  integrations: 'integrat',
  connect: 'integrat',
  connects: 'integrat',
  connector: 'integrat',
  connectors: 'integrat',
  sync: 'integrat',
  tools: 'integrat',
  secure: 'secur',
  security: 'secur',
  safe: 'secur',
  soc: 'secur',
  gdpr: 'secur',
  encryption: 'secur',
  encrypted: 'secur',
  encrypt: 'secur',
  privacy: 'secur',
  cancel: 'cancel',
  cancellation: 'cancel',
  cancelling: 'cancel',
  canceling: 'cancel',
  contract: 'cancel',
  onboard: 'onboard',
  onboarding: 'onboard',
  setup: 'onboard',
  implement: 'onboard',
  implementation: 'onboard',
  started: 'onboard',
  long: 'onboard',
  trial: 'trial',
  free: 'trial',
  users: 'user',
  seats: 'user',
  seat: 'user',
  licenses: 'user',
  license: 'user',
};

/** Lower-case terms without stop words, with synonyms folded and plurals trimmed. */
export function terms(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9][a-z0-9'.-]*[a-z0-9]|[a-z0-9]/g) ?? [];
  const out: string[] = [];
  for (const raw of words) {
    const word = raw.replace(/'s$/, '');
    if (stopwords.has(word)) continue;
    const folded = synonyms[word] ?? synonyms[word.replace(/s$/, '')];
    if (folded) {
      out.push(folded);
      continue;
    }
    out.push(word.length >= 4 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word);
  }
  return out;
}

/** The entries relevant to `query`, best first; none when nothing distinctive matches. */
export function retrieveKnowledge<D extends KnowledgeDocument>(
  documents: readonly D[],
  query: string,
  options: { limit?: number; minScore?: number } = {},
): (D & { score: number })[] {
  const limit = options.limit ?? 4;
  const minScore = options.minScore ?? 1.5;
  const queryTerms = [...new Set(terms(query))];
  if (queryTerms.length === 0 || documents.length === 0) return [];
  const indexed = documents.map((document) => ({
    document,
    title: new Set(terms(document.title)),
    body: new Set(terms(`${document.kind} ${document.body}`)),
  }));
  const documentFrequency = (term: string) =>
    indexed.filter((entry) => entry.title.has(term) || entry.body.has(term)).length;
  const idf = new Map(
    queryTerms.map((term) => [term, Math.log(1 + documents.length / Math.max(1, documentFrequency(term)))]),
  );
  return indexed
    .map(({ document, title, body }) => {
      let score = 0;
      for (const term of queryTerms) {
        const weight = idf.get(term)!;
        if (title.has(term)) score += 2 * weight;
        else if (body.has(term)) score += weight;
      }
      return { ...document, score: Math.round(score * 100) / 100 };
    })
    .filter((entry) => entry.score >= minScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}
