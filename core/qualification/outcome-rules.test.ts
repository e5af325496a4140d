import { describe, expect, it } from 'vitest';
import { type BantState, mergeBant, missingItems, readQualification } from './bant-state.ts';
import {
  evaluateOutcome,
  handoffByRules,
  qualificationRulesSchema,
  readOrganizationRules,
} from './outcome-rules.ts';

const now = new Date('2026-11-24T12:00:00Z');
const rules = qualificationRulesSchema.parse({});
const fit: BantState = {
  budget: { amountCents: 2_400_000, period: 'year', stated: true },
  authority: { role: 'VP of Sales', isDecisionMaker: true },
  need: { identified: true, summary: 'forecasts are wrong' },
  timeline: { withinDays: 30 },
};

describe('outcome rules', () => {
  it('waits while budget, authority, need or timeline is unknown', () => {
    for (const item of ['budget', 'authority', 'need', 'timeline'] as const) {
      const { [item]: _left, ...rest } = fit;
      expect(evaluateOutcome(rest, rules, now), item).toBeNull();
    }
  });

  it('qualifies when every criterion is met, with the reasons', () => {
    expect(evaluateOutcome(fit, rules, now)).toEqual({
      outcome: 'QUALIFIED',
      reasons: [
        'budget $24,000 a year meets the $5,000 minimum',
        'decision maker (VP of Sales)',
        'need: forecasts are wrong',
        'timeline within 30 days',
      ],
    });
  });

  it('counts a monthly budget per year, and a stated budget without an amount', () => {
    expect(
      evaluateOutcome({ ...fit, budget: { amountCents: 50_000, period: 'month' } }, rules, now)?.outcome,
    ).toBe('QUALIFIED');
    expect(evaluateOutcome({ ...fit, budget: { amountCents: 50_000 } }, rules, now)?.reasons[0]).toBe(
      'budget $500 a year is below the $5,000 minimum',
    );
    expect(evaluateOutcome({ ...fit, budget: { stated: true } }, rules, now)?.outcome).toBe('QUALIFIED');
  });

  it('qualifies a prospect who can bring in the decision maker', () => {
    const state = { ...fit, authority: { isDecisionMaker: false, hasAccess: true, decisionMaker: 'CFO' } };
    expect(evaluateOutcome(state, rules, now)?.reasons[1]).toBe('can bring in the decision maker (CFO)');
  });

  it('nurtures a fit that is late, small or without the decision maker', () => {
    expect(evaluateOutcome({ ...fit, timeline: { withinDays: 180 } }, rules, now)).toEqual({
      outcome: 'NURTURE',
      reasons: ['timeline of 180 days is beyond 90 days'],
    });
    expect(evaluateOutcome({ ...fit, authority: { isDecisionMaker: false } }, rules, now)).toEqual({
      outcome: 'NURTURE',
      reasons: ['the decision maker is not involved yet'],
    });
  });

  it('disqualifies on any hard no, even with other items unknown', () => {
    expect(evaluateOutcome({ budget: { stated: false } }, rules, now)).toEqual({
      outcome: 'DISQUALIFIED',
      reasons: ['no budget for this purchase'],
    });
    expect(evaluateOutcome({ need: { identified: false } }, rules, now)?.outcome).toBe('DISQUALIFIED');
    expect(
      evaluateOutcome({ authority: { isDecisionMaker: false, hasAccess: false } }, rules, now)?.outcome,
    ).toBe('DISQUALIFIED');
    const strict = qualificationRulesSchema.parse({ disqualifyBeyondDays: 365 });
    expect(evaluateOutcome({ ...fit, timeline: { withinDays: 400 } }, strict, now)?.outcome).toBe(
      'DISQUALIFIED',
    );
  });

  it('applies the organization’s own thresholds, and falls back to defaults for a broken setting', () => {
    const org = readOrganizationRules({
      qualificationRules: { minBudgetCents: 5_000_000, qualifyWithinDays: 14 },
    });
    expect(evaluateOutcome(fit, org.qualification, now)).toEqual({
      outcome: 'NURTURE',
      reasons: [
        'budget $24,000 a year is below the $50,000 minimum',
        'timeline of 30 days is beyond 14 days',
      ],
    });
    const broken = readOrganizationRules({ qualificationRules: { minBudgetCents: 'lots' } });
    expect(broken.qualification.minBudgetCents).toBe(500_000);
    expect(broken.invalid).toHaveLength(1);
  });

  it('reads a timeline given as a date', () => {
    expect(evaluateOutcome({ ...fit, timeline: { date: '2026-12-24' } }, rules, now)?.reasons.at(-1)).toBe(
      'timeline within 30 days',
    );
  });
});

describe('handoff rules', () => {
  const handoff = readOrganizationRules({
    handoffRules: { keywords: ['Contract'], budgetAtLeastCents: 10_000_000, onQualified: true },
  }).handoff;
  it('hands over on keywords, big budgets and, when set, qualified leads', () => {
    expect(handoffByRules(handoff, { state: {}, outcome: null, message: 'send the contract' })).toBe(
      'the prospect mentioned "Contract"',
    );
    expect(
      handoffByRules(handoff, { state: { budget: { amountCents: 12_000_000 } }, outcome: null, message: '' }),
    ).toMatch(/\$120,000 a year is at least \$100,000/);
    expect(handoffByRules(handoff, { state: {}, outcome: 'QUALIFIED', message: '' })).toBe('qualified lead');
    expect(handoffByRules(handoff, { state: {}, outcome: 'NURTURE', message: 'hi' })).toBeNull();
  });
});

describe('BANT+ state', () => {
  it('merges without erasing and keeps lists unique', () => {
    const state = mergeBant(
      { competition: { current: ['Clari'] }, budget: { amountCents: 100 } },
      { competition: { current: ['clari', 'Gong'] }, budget: { stated: true } },
    );
    expect(state).toEqual({
      competition: { current: ['Clari', 'Gong'], none: false },
      budget: { amountCents: 100, stated: true },
    });
    expect(missingItems(state)).toEqual(['need', 'timeline', 'authority']);
  });

  it('reads a stored document, dropping sections of the wrong shape', () => {
    const record = readQualification({
      bant: { budget: { amountCents: 'x' }, need: { identified: true } },
      outcome: 'MAYBE',
      custom: 1,
    });
    expect(record).toMatchObject({
      bant: { need: { identified: true } },
      outcome: null,
      custom: 1,
      engagement: { messages: 0 },
    });
    expect(record.bant.budget).toBeUndefined();
  });
});
