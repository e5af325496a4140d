import { type RetrievedKnowledge, terms } from '../../core/qualification/knowledge-retrieval.ts';

/**
 * Answers a prospect's question with sentences copied from the organization's knowledge base, or
 * not at all. Copying (never paraphrasing numbers) is what keeps the offline model from inventing
 * a price or a feature; no match means "I'll find out".
 */
export function answerFromKnowledge(
  question: string,
  knowledge: readonly RetrievedKnowledge[],
  /** Users or people the prospect said their team has, if they did. */
  teamSize?: number,
): string | null {
  // The service retrieved these for the whole message; the question picks among them, and must
  // share a term with the entry it is answered from.
  const questionTerms = [...new Set(terms(question))];
  let best: RetrievedKnowledge | undefined;
  let bestOverlap = 0;
  for (const entry of knowledge) {
    const entryTerms = new Set(terms(`${entry.kind} ${entry.title} ${entry.body}`));
    const overlap = questionTerms.filter((term) => entryTerms.has(term)).length;
    if (overlap > bestOverlap) {
      best = entry;
      bestOverlap = overlap;
    }
  }
  if (!best) return null;
  const sentences = best.body.split(/(?<=[.!?])\s+(?=[A-Z0-9$])/).filter(Boolean);
  if (
    teamSize !== undefined &&
    /\b(plan|plans|price|prices|pricing|cost|costs|how much|tier)\b/i.test(question)
  ) {
    const plan = planFor(sentences, teamSize);
    if (plan) return `For a team of ${teamSize}: ${plan}`;
  }
  const titleTerms = new Set(terms(best.title));
  // Terms beyond the entry's topic pick the sentence ("Growth", "SSO", "HubSpot").
  const specific = [...new Set(terms(question))].filter((term) => !titleTerms.has(term));
  const scored = sentences.map((sentence) => {
    const words = new Set(terms(sentence));
    return specific.filter((term) => words.has(term)).length;
  });
  const top = Math.max(0, ...scored);
  if (top > 0) {
    return sentences
      .filter((_, i) => scored[i] === top)
      .slice(0, 2)
      .join(' ');
  }
  // A general question about the topic: its opening sentences.
  const opening: string[] = [];
  for (const sentence of sentences) {
    if (opening.length > 0 && opening.join(' ').length + sentence.length > 400) break;
    opening.push(sentence);
    if (opening.length === 3) break;
  }
  return opening.join(' ');
}

/**
 * The plan sentence whose user range fits the team ("up to 10 users", "from 50 users",
 * "unlimited users"), copied as written; a bounded range that fits beats an unlimited one.
 */
function planFor(sentences: string[], size: number): string | null {
  let best: { sentence: string; rank: number } | null = null;
  for (const sentence of sentences) {
    const upTo = /\bup to (\d[\d,]*) (?:users|seats|people|reps)\b/i.exec(sentence);
    const from = /\b(?:from|over|more than|at least) (\d[\d,]*) (?:users|seats|people|reps)\b/i.exec(
      sentence,
    );
    const unlimited = /\bunlimited (?:users|seats)\b/i.test(sentence);
    const bound = (match: RegExpExecArray) => Number(match[1]!.replace(/,/g, ''));
    let rank: number | null = null;
    if (upTo && size <= bound(upTo)) rank = 2 + 1 / bound(upTo);
    else if (from && size >= bound(from)) rank = 2 + bound(from) / 1_000_000;
    else if (unlimited && !upTo && !from) rank = 1;
    if (rank !== null && (!best || rank > best.rank)) best = { sentence, rank };
  }
  return best?.sentence ?? null;
}

/** The size of the prospect's team, from what they said ("we have 40 reps", "a team of 12"). */
export function statedTeamSize(texts: readonly string[]): number | undefined {
  for (const text of [...texts].reverse()) {
    const match =
      /\b(?:team of|we have|we've got|we are|we're|about|around|roughly)\s+(\d[\d,]*)\s+(?:sales ?)?(?:reps|users|seats|people|sellers|agents|ae'?s|employees|salespeople)\b/i.exec(
        text,
      ) ?? /\b(\d[\d,]*)[- ](?:person|people|rep|seat|user)\b/i.exec(text);
    if (match) return Number(match[1]!.replace(/,/g, ''));
  }
  return undefined;
}
