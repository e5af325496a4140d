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
    ['no rush, just researching', 365],
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
    expect(extract("We're using HubSpot reports and a lot of spreadsheets.").competition).toEqual({
      current: ['spreadsheets', 'HubSpot'],
    });
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
