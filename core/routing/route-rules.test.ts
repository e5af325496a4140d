import { describe, expect, it } from 'vitest';
import { chooseMode, type RoutingFacts, routingFactsOf } from './route-rules.ts';
import { defaultRoutingSettings, routingSettingsSchema } from './routing-settings.ts';

const now = new Date('2026-11-24T12:00:00Z');

const lead = (fields: {
  score?: number | null;
  outcome?: string | null;
  budgetCents?: number;
  period?: 'month' | 'year';
  withinDays?: number;
  intentPoints?: number;
}) => ({
  leadScore: fields.score ?? 60,
  scoreBreakdown:
    fields.intentPoints === undefined
      ? []
      : [{ signal: 'intent', points: fields.intentPoints, max: 10, reason: 'x' }],
  qualification: {
    outcome: fields.outcome === undefined ? 'QUALIFIED' : fields.outcome,
    bant: {
      ...(fields.budgetCents !== undefined
        ? { budget: { amountCents: fields.budgetCents, ...(fields.period ? { period: fields.period } : {}) } }
        : {}),
      ...(fields.withinDays !== undefined ? { timeline: { withinDays: fields.withinDays } } : {}),
    },
  },
});

const facts = (fields: Parameters<typeof lead>[0]): RoutingFacts => routingFactsOf(lead(fields), now);

describe('routingFactsOf', () => {
  it('reads deal size per year and intent from the timeline, else from the intent signal', () => {
    expect(facts({ budgetCents: 50_000, period: 'month', withinDays: 10 })).toMatchObject({
      dealCents: 600_000,
      intent: 'high',
      intentReason: 'plans to buy within 10 days',
    });
    expect(facts({ withinDays: 60 }).intent).toBe('medium');
    expect(facts({ withinDays: 200 }).intent).toBe('low');
    expect(facts({ intentPoints: 8 })).toMatchObject({ intent: 'high', intentReason: 'intent signal 8/10' });
    expect(facts({ intentPoints: 4 }).intent).toBe('medium');
    expect(facts({}).intent).toBe('low');
    expect(facts({}).dealCents).toBeNull();
  });
});

describe('chooseMode with the default rules', () => {
  it('sends a small deal with high intent to self-service (C)', () => {
    const choice = chooseMode(facts({ budgetCents: 300_000, withinDays: 14 }), defaultRoutingSettings);
    expect(choice.mode).toBe('C');
    expect(choice.rule).toBe('self-serve');
    expect(choice.reasons.at(-1)).toBe(
      'rule self-serve: outcome QUALIFIED, deal $3,000 < $10,000, high intent (plans to buy within 14 days) → mode C',
    );
  });

  it('sends a large deal to a rep (B), whatever the intent', () => {
    const choice = chooseMode(
      facts({ budgetCents: 5_000_000, withinDays: 7, score: 95 }),
      defaultRoutingSettings,
    );
    expect(choice).toMatchObject({ mode: 'B', rule: 'large-deal' });
  });

  it('never chooses the autonomous closer (A) unless the organization enabled it', () => {
    const hot = facts({ score: 90, withinDays: 5, budgetCents: 200_000 });
    const byDefault = chooseMode(hot, defaultRoutingSettings);
    expect(byDefault.mode).toBe('C');
    expect(byDefault.reasons).toContainEqual(
      expect.stringMatching(/rule autonomous .* but mode A is disabled/),
    );
    const withA = routingSettingsSchema.parse({ enabledModes: ['A', 'B', 'C'] });
    expect(chooseMode(hot, withA)).toMatchObject({ mode: 'A', rule: 'autonomous' });
  });

  it('falls back to a rep (B) when the deal size is unknown or the intent is not high', () => {
    expect(chooseMode(facts({ withinDays: 5 }), defaultRoutingSettings)).toMatchObject({
      mode: 'B',
      rule: null,
    });
    expect(chooseMode(facts({ budgetCents: 300_000, withinDays: 60 }), defaultRoutingSettings).mode).toBe(
      'B',
    );
    // Self-service needs a qualified lead.
    expect(
      chooseMode(facts({ budgetCents: 300_000, withinDays: 5, outcome: 'NURTURE' }), defaultRoutingSettings)
        .mode,
    ).toBe('B');
  });

  it('uses the first enabled mode when the fallback is disabled', () => {
    const onlyC = routingSettingsSchema.parse({ enabledModes: ['C'] });
    const choice = chooseMode(facts({ budgetCents: 5_000_000 }), onlyC);
    expect(choice.mode).toBe('C');
    expect(choice.reasons).toContainEqual(
      'rule large-deal (deal $50,000 ≥ $10,000) would choose B, but mode B is disabled',
    );
    expect(choice.reasons.at(-1)).toBe('no rule matched; fallback mode B is disabled → mode C');
  });

  it("follows an organization's own rules in order", () => {
    const settings = routingSettingsSchema.parse({
      enabledModes: ['A', 'B', 'C'],
      rules: [
        { name: 'nurture-self-serve', mode: 'C', when: { outcomes: ['NURTURE'], maxScore: 50 } },
        { name: 'hot', mode: 'A', when: { minScore: 70 } },
      ],
      fallbackMode: 'B',
    });
    expect(chooseMode(facts({ outcome: 'NURTURE', score: 40 }), settings)).toMatchObject({ mode: 'C' });
    expect(chooseMode(facts({ score: 75 }), settings)).toMatchObject({ mode: 'A', rule: 'hot' });
    expect(chooseMode(facts({ score: 60 }), settings)).toMatchObject({ mode: 'B', rule: null });
  });
});

describe('routingSettingsSchema', () => {
  it('documents its defaults and refuses nonsense', () => {
    expect(defaultRoutingSettings).toMatchObject({
      enabledModes: ['B', 'C'],
      fallbackMode: 'B',
      payment: { amountCents: 4_900, currency: 'usd', productName: 'Starter plan' },
      queue: { whenAllRepsBusy: 'queue' },
      notify: { channels: ['email', 'sms'] },
    });
    expect(routingSettingsSchema.safeParse({ enabledModes: [] }).success).toBe(false);
    expect(routingSettingsSchema.safeParse({ enabledModes: ['B', 'B'] }).success).toBe(false);
    expect(routingSettingsSchema.safeParse({ payment: { amountCents: 10 } }).success).toBe(false);
    expect(routingSettingsSchema.safeParse({ payment: { currency: 'dollars' } }).success).toBe(false);
    expect(routingSettingsSchema.safeParse({ rules: [{ name: 'x', mode: 'D' }] }).success).toBe(false);
    expect(routingSettingsSchema.parse({ notify: { channels: ['whatsapp'] } }).notify.channels).toEqual([
      'email',
      'whatsapp',
    ]);
  });
});
