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
  competition: { current: ['spreadsheets'] },
};

describe('outcome rules', () => {
  it('waits while budget, authority, need, timeline or competition is unknown', () => {
    for (const item of ['budget', 'authority', 'need', 'timeline', 'competition'] as const) {
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
        'competition: spreadsheets',
      ],
    });
  });

  it('takes competition asked and answered without a name as known', () => {
    const state = { ...fit, competition: { asked: true } };
    expect(evaluateOutcome(state, rules, now)?.reasons.at(-1)).toBe('no competing tool named');
  });

  it('counts a monthly budget per year, and a stated budget without an amount', () => {
    expect(
      evaluateOutcome({ ...fit, budget: { amountCents: 50_000, period: 'month' } }, rules, now)?.outcome,
    ).toBe('QUALIFIED');
    expect(evaluateOutcome({ ...fit, budget: { stated: true } }, rules, now)?.outcome).toBe('QUALIFIED');
  });

  it('qualifies a champion who can bring in the decision maker', () => {
    const state = { ...fit, authority: { isDecisionMaker: false, hasAccess: true, decisionMaker: 'CFO' } };
    expect(evaluateOutcome(state, rules, now)?.reasons[1]).toBe('can bring in the decision maker (CFO)');
  });

  it.each([
    [
      'a budget not allocated yet',
      { budget: { stated: false, allocated: false } },
      'budget not allocated yet',
    ],
    ['no budget', { budget: { stated: false } }, 'budget not allocated yet'],
    [
      'a timeline beyond the horizon',
      { timeline: { withinDays: 180 } },
      'timeline of 180 days is beyond 90 days',
    ],
    ['a contract', { timeline: { blocker: 'contract' as const } }, 'locked into a contract for now'],
    [
      'a freeze',
      { timeline: { blocker: 'freeze' as const } },
      'a hiring or budget freeze holds the purchase',
    ],
    ['research only', { timeline: { blocker: 'researching' as const } }, 'only researching for now'],
    [
      'an influencer without access',
      { authority: { isDecisionMaker: false, hasAccess: false } },
      'no access to the decision maker yet',
    ],
    [
      'a budget too small today',
      { budget: { amountCents: 300_000, period: 'year' as const } },
      'budget $3,000 a year is below the $5,000 minimum',
    ],
  ])('nurtures a fitting buyer with %s, as soon as the need is known', (_what, change, reason) => {
    expect(evaluateOutcome({ need: fit.need, ...change }, rules, now)).toEqual({
      outcome: 'NURTURE',
      reasons: [reason],
    });
    // Without a known need it is too early to call.
    expect(evaluateOutcome(change as BantState, rules, now)).toBeNull();
  });

  it.each([
    ['a student', { fit: { disqualifier: 'student' as const } }, 'a student, not a buyer'],
    ['a job seeker', { fit: { disqualifier: 'job_seeker' as const } }, 'looking for a job, not a buyer'],
    ['a competitor', { fit: { disqualifier: 'competitor' as const } }, 'works for a competitor'],
    ['spam', { fit: { disqualifier: 'spam' as const } }, 'spam or abuse'],
    ['not interested', { need: { identified: false } }, 'not interested'],
    [
      'a budget far below any plan',
      { budget: { amountCents: 20_000, period: 'year' as const } },
      'budget $200 a year is far below any plan (under $1,000)',
    ],
  ])('disqualifies %s at once, whatever else is unknown', (_what, state, reason) => {
    expect(evaluateOutcome(state as BantState, rules, now)).toEqual({
      outcome: 'DISQUALIFIED',
      reasons: [reason],
    });
  });

  it('disqualifies a timeline beyond the organization’s limit when it sets one', () => {
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
    expect(evaluateOutcome({ ...fit, timeline: { date: '2026-12-24' } }, rules, now)?.reasons[3]).toBe(
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
