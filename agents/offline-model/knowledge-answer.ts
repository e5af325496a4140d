import { type RetrievedKnowledge, terms } from '../../core/qualification/knowledge-retrieval.ts';

/**
 * Answers a prospect's question with sentences copied from the organization's knowledge base, or
 * not at all. Copying (never paraphrasing numbers) is what keeps the offline model from inventing
 * a price or a feature; no match means "I'll find out".
 */
export function answerFromKnowledge(
  question: string,
  knowledge: readonly RetrievedKnowledge[],
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
