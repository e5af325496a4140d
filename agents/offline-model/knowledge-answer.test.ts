import { describe, expect, it } from 'vitest';
import { answerFromKnowledge, statedTeamSize } from './knowledge-answer.ts';

const pricing = {
  kind: 'pricing',
  title: 'Plans and prices',
  body:
    'Starter: $49 per user per month, up to 10 users, CRM sync and dashboards. ' +
    'Growth: $99 per user per month, unlimited users, forecasting, Slack alerts, API access and SSO. ' +
    'Enterprise: custom pricing from 50 users, with a dedicated success manager. ' +
    'Annual billing saves 20%.',
  score: 1,
};

describe('answers from the knowledge base', () => {
  it.each([
    [8, 'Starter: $49 per user per month'],
    [40, 'Growth: $99 per user per month'],
    [300, 'Enterprise: custom pricing from 50 users'],
  ])('proposes the plan that fits a team of %d, copied as written', (size, plan) => {
    const answer = answerFromKnowledge('Which plan would fit us, and what does it cost?', [pricing], size);
    expect(answer).toBe(
      `For a team of ${size}: ${pricing.body.split(/(?<=\.)\s+/).find((s) => s.startsWith(plan.split(':')[0]!))}`,
    );
  });

  it('answers a pricing question without a team size from the entry, never inventing one', () => {
    expect(answerFromKnowledge('How much does Growth cost?', [pricing])).toContain(
      'Growth: $99 per user per month',
    );
    expect(answerFromKnowledge('Do you have an on-premise version?', [pricing])).toBeNull();
  });

  it('reads the team size the prospect stated', () => {
    expect(statedTeamSize(['Hi', 'We have 40 reps across two regions'])).toBe(40);
    expect(statedTeamSize(["We're a 300-person company"])).toBe(300);
    expect(statedTeamSize(['Hello there'])).toBeUndefined();
  });
});
