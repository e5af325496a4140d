import { describe, expect, it } from 'vitest';
import { bantItems } from './bant-state.ts';
import { openingMessage, pick, question, topicOfQuestion } from './qualifier-script.ts';

describe('qualifier script', () => {
  it('knows what each of its own questions asks about, in every phrasing', () => {
    for (const item of bantItems) {
      const phrasings = new Set<string>();
      for (let turn = 0; turn < 40; turn++) phrasings.add(question(item, 'Brightwave', `seed-${turn}`, turn));
      expect(phrasings.size).toBeGreaterThan(1);
      for (const phrasing of phrasings) expect(topicOfQuestion(phrasing), phrasing).toBe(item);
    }
  });

  it('picks the same phrasing for the same conversation and turn', () => {
    expect(pick(['a', 'b', 'c'], 'conversation-1', 3)).toBe(pick(['a', 'b', 'c'], 'conversation-1', 3));
  });

  it('opens with the disclosure, then one question', () => {
    const text = openingMessage({
      disclosure: 'I am an AI.',
      organization: 'Brightwave',
      firstName: 'Pat',
      seed: 's',
    });
    expect(text.startsWith('I am an AI.\n\nHi Pat')).toBe(true);
    expect(text.match(/\?/g)).toHaveLength(1);
  });
});
