import { describe, expect, it } from 'vitest';
import { extractSignals } from './extract-signals.ts';

const now = new Date('2026-11-24T12:00:00Z');
const extract = (text: string, lastAsked?: Parameters<typeof extractSignals>[1]['lastAsked']) =>
  extractSignals(text, { now, lastAsked });

describe('budget', () => {
  it.each([
    ['Our budget is $50k.', 50_000, undefined],
    ['We have about 50,000 dollars for this', 50_000, undefined],
    ['around 20k a year', 20_000, 'year'],
    ['We can spend $1.5M annually', 1_500_000, 'year'],
    ['Maybe $2,000 per month', 2_000, 'month'],
    ['Somewhere between 20 and 30k', 20_000, undefined],
    ['$40-60k', 40_000, undefined],
  ])('reads %j as %d dollars', (text, amount, period) => {
    const { budget } = extract(text, null);
    expect(budget?.amountUsd).toBe(amount);
    expect(budget?.stated).toBe(true);
    expect(budget?.period).toBe(period);
  });

  it('reads a bare "20k" only when the agent asked about budget', () => {
    expect(extract('probably 20k', 'budget').budget?.amountUsd).toBe(20_000);
    expect(extract('we have 20k users', null).budget).toBeUndefined();
  });

  it('does not take a price question for a budget', () => {
    expect(extract('Is Growth really $99 per user?').budget).toBeUndefined();
  });

  it.each([
    "We don't have a budget for this",
    'There is no budget',
    "Honestly we can't afford anything right now",
  ])('reads %j as no budget', (text) => {
    expect(extract(text).budget).toEqual({ stated: false });
  });

  it('reads a stated budget without an amount', () => {
    expect(extract('The budget has been approved already.').budget).toEqual({ stated: true });
  });
});

describe('authority', () => {
  it('reads a title and infers the decision from it', () => {
    expect(extract("I'm the VP of Sales at Acme.").authority).toEqual({
      role: 'VP of Sales',
      isDecisionMaker: true,
    });
    expect(extract("I'm a sales operations manager.").authority).toEqual({
      role: 'sales operations manager',
    });
  });

  it('reads who signs off', () => {
    expect(extract('I need my CFO to sign off.').authority).toEqual({
      isDecisionMaker: false,
      hasAccess: true,
      decisionMaker: 'CFO',
    });
    expect(extract('Our head of finance approves anything like this').authority).toMatchObject({
      isDecisionMaker: false,
      hasAccess: true,
      decisionMaker: 'Head of Finance',
    });
  });

  it('reads "my call" and a short yes to the authority question', () => {
    expect(extract("It's my call in the end.").authority).toEqual({ isDecisionMaker: true });
    expect(extract("Yes, that's me", 'authority').authority).toEqual({ isDecisionMaker: true });
  });

  it('reads no access to the decision maker', () => {
    expect(extract("Honestly I don't know who decides these things.").authority).toEqual({
      isDecisionMaker: false,
      hasAccess: false,
    });
  });
});

describe('timeline', () => {
  it.each([
    ['We want this within 30 days', 30],
    ['in the next 2 weeks', 14],
    ['in three months', 90],
    ['ASAP please', 14],
    ['next quarter', 38],
    ['by March', 127],
    ['by March 15th', 111],
    ['this quarter', 37],
    ['no rush at all', 365],
  ])('reads %j as %d days', (text, days) => {
    expect(extract(text).timeline?.withinDays).toBe(days);
  });

  it('gives a date for a named month', () => {
    expect(extract('We need it live by March').timeline?.date).toBe('2027-03-31');
  });
});

describe('competition', () => {
  it('reads what they use and what they compare', () => {
    expect(extract('We use Clari today but we are also looking at Gong.').competition).toEqual({
      current: ['Clari'],
      evaluating: ['Gong'],
    });
    const stack = extract("We're using HubSpot reports and a lot of spreadsheets.").competition;
    expect(stack?.current?.sort()).toEqual(['HubSpot', 'spreadsheets']);
  });

  it('reads "nothing" only as an answer to the competition question', () => {
    expect(extract('Nothing yet', 'competition').competition).toEqual({ none: true });
    expect(extract('Nothing yet').competition).toBeUndefined();
  });
});

describe('need', () => {
  it('reads a stated problem', () => {
    expect(extract('Our biggest problem is that forecasts are always wrong.').need).toEqual({
      identified: true,
      summary: 'Our biggest problem is that forecasts are always wrong',
    });
    expect(extract('We need better visibility into which deals will slip.').need?.identified).toBe(true);
  });

  it('does not take approvals or timelines for a need', () => {
    expect(extract('I need my CFO to sign off').need).toBeUndefined();
    expect(extract('We need it by March').need).toBeUndefined();
  });

  it('takes the answer to the need question as the need', () => {
    expect(extract('Deals keep slipping and leadership is blindsided every quarter', 'need').need).toEqual({
      identified: true,
      summary: 'Deals keep slipping and leadership is blindsided every quarter',
    });
  });

  it('reads no need', () => {
    expect(extract("We're not interested, thanks.").need).toEqual({ identified: false });
  });
});

describe('understanding beyond keywords', () => {
  it.each([
    ['€3-4k a month', 3_000, 'EUR', 'month'],
    ['We have £25,000 a year for tooling', 25_000, 'GBP', 'year'],
    ['budget is around 40k euros', 40_000, 'EUR', undefined],
  ])('keeps %j with its currency', (text, amount, currency, period) => {
    const { budget } = extract(text, 'budget');
    expect(budget).toMatchObject({ amount, currency, stated: true });
    expect(budget?.period).toBe(period);
  });

  it('reads a bare number as the answer to the budget question only', () => {
    expect(extract('about 8000', 'budget').budget?.amountUsd).toBe(8_000);
    expect(extract('We have about 300 employees and spend a lot on tools', null).budget).toBeUndefined();
  });

  it.each([
    'No budget yet, it opens in January',
    "We're waiting on budget approval",
    "It would come out of next year's budget",
  ])('reads %j as a budget not allocated yet', (text) => {
    expect(extract(text, 'budget').budget).toMatchObject({ allocated: false });
  });

  it.each([
    ["We're locked into a contract with Clari for now", 'contract'],
    ['There is a hiring freeze until Q2', 'freeze'],
    ["Honestly we're just researching options", 'researching'],
  ])('reads %j as held back by a %s', (text, blocker) => {
    expect(extract(text, 'timeline').timeline?.blocker).toBe(blocker);
  });

  it('reads a contract that ends on a known date as the timeline, not a blocker', () => {
    const ends = extract('Our contract with Gong ends in March', 'timeline').timeline;
    expect(ends?.blocker).toBeUndefined();
    expect(ends?.date).toBe('2027-03-31');
  });

  it('resolves "next year" and fiscal years against today, beyond a 90-day horizon', () => {
    const nextYear = extract('Probably next year', 'timeline').timeline;
    expect(nextYear?.date).toBe('2027-07-01');
    expect(extract('Sometime in FY28', 'timeline').timeline?.date).toBe('2028-01-01');
    expect(extract('Six weeks from now', 'timeline').timeline?.withinDays).toBe(42);
  });

  it.each([
    ["It's a committee decision, but I sit on it", { isDecisionMaker: false, hasAccess: true }],
    ['I can bring our CFO in once we know it works', { isDecisionMaker: false, hasAccess: true }],
    [
      "I don't really talk to leadership, I just do the research",
      { isDecisionMaker: false, hasAccess: false },
    ],
    ['yup thats me', { isDecisionMaker: true }],
  ])('reads %j as the right authority', (text, authority) => {
    expect(extract(text, 'authority').authority).toMatchObject(authority);
  });

  it('reads through common typos', () => {
    expect(extract('our budjet is 30k a year', null).budget?.amountUsd).toBe(30_000);
    expect(extract("I'm the final decison maker", null).authority?.isDecisionMaker).toBe(true);
  });

  it.each([
    ["I'm a student writing my thesis on sales tools", 'student'],
    ['Are you hiring? I would love to send my resume', 'job_seeker'],
    ["We're building a similar product and wanted to see your pricing", 'competitor'],
    ['We offer lead generation services at great rates', 'spam'],
  ])('knows %j is no buyer (%s)', (text, disqualifier) => {
    expect(extract(text, null).fit?.disqualifier).toBe(disqualifier);
  });

  it('summarizes the need as the sentence, not a fragment', () => {
    expect(extract('I need to fix our forecasting, it is always off by 30%', null).need?.summary).toBe(
      'I need to fix our forecasting, it is always off by 30%',
    );
  });

  it('takes an answer to the competition question that names nothing as asked', () => {
    expect(extract('not sure, a mix of things', 'competition').competition).toEqual({ asked: true });
    expect(extract('We built our own scripts', 'competition').competition?.current).toEqual([
      'an in-house tool',
    ]);
  });
});
