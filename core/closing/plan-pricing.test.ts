import { describe, expect, it } from 'vitest';
import { describeQuote, planForSeats, plansOf, quotePlan, readPlan } from './plan-pricing.ts';

const pricing = {
  kind: 'pricing' as const,
  title: 'Plans and prices',
  body:
    'Starter: $49 per user per month, up to 10 users, CRM sync and dashboards. ' +
    'Growth: $99 per user per month, unlimited users, forecasting, Slack alerts, API access and SSO. ' +
    'Enterprise: custom pricing from 50 users, with a dedicated success manager. ' +
    'Annual billing saves 20%.',
};

describe('plans read from the knowledge base', () => {
  const plans = plansOf([pricing, { kind: 'faq', title: 'x', body: 'Pro: $5 per month.' }]);

  it('reads each priced or custom plan and skips other sentences and entries', () => {
    expect(plans.map((plan) => plan.name)).toEqual(['Starter', 'Growth', 'Enterprise']);
    expect(plans[0]).toMatchObject({ unitAmountCents: 4_900, per: 'seat', period: 'month', maxSeats: 10 });
    expect(plans[2]).toMatchObject({ unitAmountCents: null, minSeats: 50 });
  });

  it('picks the tightest priced plan that fits the team', () => {
    expect(planForSeats(plans, 8)?.name).toBe('Starter');
    expect(planForSeats(plans, 25)?.name).toBe('Growth');
    expect(planForSeats(plans, 80)?.name).toBe('Growth');
  });

  it('quotes a team from the written price, never a custom one', () => {
    const quote = quotePlan(planForSeats(plans, 8)!, 8)!;
    expect(quote).toMatchObject({ periodAmountCents: 39_200, annualAmountCents: 470_400, currency: 'usd' });
    expect(describeQuote(quote)).toBe('Starter for 8 users: $392 a month ($4,704 a year)');
    expect(quotePlan(plans[2]!, 60)).toBeNull();
  });

  it('reads other currencies, flat and yearly prices', () => {
    expect(readPlan('Team: €1,200 a year for the whole company.')).toMatchObject({
      unitAmountCents: 120_000,
      currency: 'eur',
      per: 'flat',
      period: 'year',
    });
    expect(readPlan('Annual billing saves 20%.')).toBeNull();
  });
});
