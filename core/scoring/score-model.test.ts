import { describe, expect, it } from 'vitest';
import type { EnrichedFields } from '../enrichment/enrichment-provider.ts';
import type { QualificationSignals } from './qualification-signals.ts';
import { readQualificationSignals } from './qualification-signals.ts';
import { computeLeadScore, type ScoreEntry, type ScoringInput } from './score-model.ts';
import {
  defaultScoringProfile,
  readScoringProfile,
  type ScoringProfile,
  type ScoringProfileInput,
  type SignalName,
  scoringProfileSchema,
} from './scoring-profile.ts';

const now = new Date('2026-11-24T12:00:00Z');

function lead(
  parts: {
    contact?: Partial<ScoringInput['contact']>;
    enrichment?: EnrichedFields;
    qualification?: QualificationSignals;
  } = {},
): ScoringInput {
  return {
    contact: {
      title: null,
      companySize: null,
      industry: null,
      country: null,
      source: null,
      ...parts.contact,
    },
    enrichment: parts.enrichment ?? {},
    qualification: parts.qualification ?? {},
  };
}

function signal(name: SignalName, input: ScoringInput, profile: ScoringProfile = defaultScoringProfile) {
  const entry = computeLeadScore(input, profile, now).breakdown.find((e) => e.signal === name);
  return entry as ScoreEntry;
}
const points = (name: SignalName, input: ScoringInput, profile?: ScoringProfile) =>
  signal(name, input, profile).points;

const profileWith = (input: ScoringProfileInput) => scoringProfileSchema.parse(input);

describe('the default model', () => {
  it('has eight signals whose maxima sum to 100', () => {
    const { breakdown } = computeLeadScore(lead(), defaultScoringProfile, now);
    expect(breakdown.map((e) => [e.signal, e.max])).toEqual([
      ['icpMatch', 20],
      ['companySize', 15],
      ['decisionMaker', 15],
      ['budgetSignals', 15],
      ['techFit', 10],
      ['growth', 10],
      ['geography', 5],
      ['intent', 10],
    ]);
    expect(breakdown.reduce((sum, e) => sum + e.max, 0)).toBe(100);
  });

  it('scores a lead it knows nothing about 0, every signal "unknown"', () => {
    const { score, breakdown } = computeLeadScore(lead(), defaultScoringProfile, now);
    expect(score).toBe(0);
    for (const entry of breakdown) {
      expect(entry).toEqual({ signal: entry.signal, points: 0, max: entry.max, reason: 'unknown' });
    }
  });

  it('scores a perfect lead 100 and explains each signal', () => {
    const { score, breakdown } = computeLeadScore(
      lead({
        contact: {
          title: 'VP Sales',
          companySize: 120,
          industry: 'Software',
          country: 'US',
          source: 'demo_request',
        },
        enrichment: {
          techStack: { value: ['Salesforce', 'Slack'], source: 'perplexity' },
          headcountGrowthPct: { value: 30, source: 'perplexity' },
          lastFundingAt: { value: '2026-06-01', source: 'perplexity' },
        },
        qualification: {
          bant: { budget: { amountCents: 2_000_000 }, timeline: { withinDays: 14 } },
          engagement: { messages: 6 },
        },
      }),
      defaultScoringProfile,
      now,
    );
    expect(score).toBe(100);
    expect(breakdown.map((e) => e.reason)).toEqual([
      'Software is a target industry',
      '120 employees is in the 51–500 band',
      'VP Sales is a decision maker',
      'budget of $20,000 meets the $5,000 minimum',
      'uses Salesforce and Slack (source: perplexity)',
      'headcount grew 30% in 12 months; raised funding on 2026-06-01, within 12 months (source: perplexity)',
      'US is in the target region North America',
      'demo_request is a high-intent source; plans to buy within 14 days; 6 messages from the prospect',
    ]);
  });
});

describe('ICP match', () => {
  it.each([
    ['Software', 20, 'Software is a target industry'],
    ['Computer Software', 20, 'Computer Software is a target industry'],
    ['Marketing & Advertising', 20, 'Marketing & Advertising is a target industry'],
    ['Healthcare', 10, 'Healthcare is an adjacent industry'],
    ['Retail', 0, 'Retail is not a target industry'],
  ])('%s → %i points', (industry, expected, reason) => {
    expect(signal('icpMatch', lead({ contact: { industry } }))).toMatchObject({ points: expected, reason });
  });

  it('does not match parts of words', () => {
    expect(points('icpMatch', lead({ contact: { industry: 'Softwarehouse Equipment' } }))).toBe(0);
  });

  it('gives excluded industries nothing even when they also match a target', () => {
    const profile = profileWith({ excludedIndustries: ['gambling'] });
    expect(signal('icpMatch', lead({ contact: { industry: 'Gambling Software' } }), profile)).toMatchObject({
      points: 0,
      reason: 'Gambling Software is an excluded industry',
    });
  });

  it('uses the enriched industry with its source when the contact gave none', () => {
    const input = lead({ enrichment: { industry: { value: 'SaaS', source: 'perplexity' } } });
    expect(signal('icpMatch', input)).toMatchObject({
      points: 20,
      reason: 'SaaS is a target industry (source: perplexity)',
    });
  });

  it('prefers what the prospect said over enrichment', () => {
    const input = lead({
      contact: { industry: 'Retail' },
      enrichment: { industry: { value: 'Software', source: 'perplexity' } },
    });
    expect(signal('icpMatch', input)).toMatchObject({ points: 0, reason: 'Retail is not a target industry' });
  });
});

describe('company size', () => {
  it.each([
    [0, 0],
    [1, 3],
    [10, 3],
    [11, 9],
    [50, 9],
    [51, 15],
    [500, 15],
    [501, 11],
    [5000, 11],
    [5001, 6],
    [2_000_000, 6],
  ])('%i employees → %i points', (companySize, expected) => {
    expect(points('companySize', lead({ contact: { companySize } }))).toBe(expected);
  });

  it('names the band', () => {
    expect(signal('companySize', lead({ contact: { companySize: 120 } })).reason).toBe(
      '120 employees is in the 51–500 band',
    );
    expect(signal('companySize', lead({ contact: { companySize: 1 } })).reason).toBe(
      '1 employee is in the 1–10 band',
    );
    expect(signal('companySize', lead({ contact: { companySize: 7500 } })).reason).toBe(
      '7,500 employees is in the 5,001+ band',
    );
    expect(signal('companySize', lead({ contact: { companySize: 0 } })).reason).toBe(
      '0 employees is outside the target bands',
    );
  });

  it('uses enriched size', () => {
    const input = lead({ enrichment: { companySize: { value: 60, source: 'perplexity' } } });
    expect(signal('companySize', input)).toMatchObject({
      points: 15,
      reason: '60 employees is in the 51–500 band (source: perplexity)',
    });
  });

  it('follows custom bands', () => {
    const profile = profileWith({ companySizeBands: [{ min: 1000, max: null, fit: 1 }] });
    expect(points('companySize', lead({ contact: { companySize: 999 } }), profile)).toBe(0);
    expect(points('companySize', lead({ contact: { companySize: 1000 } }), profile)).toBe(15);
  });
});

describe('decision maker', () => {
  it.each([
    ['VP Sales', 15, 'VP Sales is a decision maker'],
    ['Vice President of Revenue', 15, 'Vice President of Revenue is a decision maker'],
    ['CEO', 15, 'CEO is a decision maker'],
    ['Co-Founder', 15, 'Co-Founder is a decision maker'],
    ['Owner', 15, 'Owner is a decision maker'],
    ['CRO', 15, 'CRO is a decision maker'],
    ['Head of Growth', 15, 'Head of Growth is a decision maker'],
    ['Director of Marketing', 15, 'Director of Marketing is a decision maker'],
    ['CTO', 9, 'CTO is senior but outside the target functions'],
    ['VP Engineering', 9, 'VP Engineering is senior but outside the target functions'],
    ['Sales Manager', 5, 'Sales Manager is a Manager, not a target seniority'],
    ['Account Executive', 0, 'Account Executive is an individual contributor'],
    ['Product Owner', 0, 'Product Owner is an individual contributor'],
    ['Executive Assistant to the CEO', 0, 'Executive Assistant to the CEO is an individual contributor'],
  ])('%s → %i points', (title, expected, reason) => {
    expect(signal('decisionMaker', lead({ contact: { title } }))).toMatchObject({ points: expected, reason });
  });

  it('takes the conversation over the title', () => {
    const yes = lead({
      contact: { title: 'Analyst' },
      qualification: { bant: { authority: { isDecisionMaker: true } } },
    });
    expect(signal('decisionMaker', yes)).toMatchObject({
      points: 15,
      reason: 'confirmed as the decision maker in conversation',
    });
    const no = lead({
      contact: { title: 'CEO' },
      qualification: { bant: { authority: { isDecisionMaker: false } } },
    });
    expect(signal('decisionMaker', no)).toMatchObject({
      points: 3,
      reason: 'not the decision maker, per conversation',
    });
  });

  it('reads the role named in conversation when there is no title', () => {
    const input = lead({ qualification: { bant: { authority: { role: 'Head of Sales' } } } });
    expect(signal('decisionMaker', input)).toMatchObject({
      points: 15,
      reason: 'Head of Sales is a decision maker',
    });
  });

  it('falls back to enriched seniority', () => {
    const input = lead({ enrichment: { seniority: { value: 'vp', source: 'offline' } } });
    expect(signal('decisionMaker', input)).toMatchObject({
      points: 15,
      reason: 'VP seniority is a decision maker (source: offline)',
    });
  });

  it('accepts any function when the profile names none', () => {
    const profile = profileWith({ targetTitles: [] });
    expect(points('decisionMaker', lead({ contact: { title: 'CTO' } }), profile)).toBe(15);
  });
});

describe('budget signals', () => {
  const budget = (b: { amountCents?: number; stated?: boolean }) =>
    lead({ qualification: { bant: { budget: b } } });
  it.each([
    [500_000, 15],
    [10_000_000, 15],
    [499_999, 8],
    [250_000, 8],
    [249_999, 0],
    [0, 0],
  ])('%i cents against the $5,000 minimum → %i points', (amountCents, expected) => {
    expect(points('budgetSignals', budget({ amountCents }))).toBe(expected);
  });

  it('explains the comparison', () => {
    expect(signal('budgetSignals', budget({ amountCents: 300_000 })).reason).toBe(
      'budget of $3,000 is at least half of the $5,000 minimum',
    );
    expect(signal('budgetSignals', budget({ amountCents: 100_050 })).reason).toBe(
      'budget of $1,000.50 is less than half of the $5,000 minimum',
    );
  });

  it('scores a stated budget without an amount as half', () => {
    expect(signal('budgetSignals', budget({ stated: true }))).toMatchObject({
      points: 8,
      reason: 'has a budget, amount not stated',
    });
    expect(signal('budgetSignals', budget({ stated: false }))).toMatchObject({
      points: 0,
      reason: 'no budget, per conversation',
    });
  });

  it('with no minimum, any named budget meets it', () => {
    expect(points('budgetSignals', budget({ amountCents: 0 }), profileWith({ minimumBudgetCents: 0 }))).toBe(
      15,
    );
  });
});

describe('tech fit', () => {
  const stack = (value: string[]) => lead({ enrichment: { techStack: { value, source: 'perplexity' } } });
  it('gives full points for two or more target technologies, 6 for one, 0 for none', () => {
    expect(signal('techFit', stack(['HubSpot CRM', 'Stripe', 'AWS']))).toMatchObject({
      points: 10,
      reason: 'uses HubSpot CRM and Stripe (source: perplexity)',
    });
    expect(signal('techFit', stack(['Salesforce Sales Cloud', 'AWS']))).toMatchObject({
      points: 6,
      reason: 'uses Salesforce Sales Cloud (source: perplexity)',
    });
    expect(signal('techFit', stack(['AWS', 'Jira']))).toMatchObject({
      points: 0,
      reason: 'uses none of the target technologies (source: perplexity)',
    });
  });

  it('reads an empty stack as unknown', () => {
    expect(signal('techFit', stack([])).reason).toBe('unknown');
  });
});

describe('growth', () => {
  const headcount = (value: number) =>
    lead({ enrichment: { headcountGrowthPct: { value, source: 'perplexity' } } });
  it.each([
    [20, 6],
    [19.9, 3],
    [5, 3],
    [4.9, 0],
    [-10, 0],
  ])('headcount growth %d%% → %i points', (pct, expected) => {
    expect(points('growth', headcount(pct))).toBe(expected);
  });

  const fundedDaysAgo = (days: number) =>
    lead({
      enrichment: {
        lastFundingAt: {
          value: new Date(Date.parse('2026-11-24') - days * 86_400_000).toISOString().slice(0, 10),
          source: 'perplexity',
        },
      },
    });
  it.each([
    [0, 4],
    [365, 4],
    [366, 2],
    [730, 2],
    [731, 0],
  ])('funding %i days ago → %i points', (days, expected) => {
    expect(points('growth', fundedDaysAgo(days))).toBe(expected);
  });

  it('adds headcount and funding, up to the maximum', () => {
    const input = lead({
      enrichment: {
        headcountGrowthPct: { value: 8, source: 'perplexity' },
        lastFundingAt: { value: '2025-06-01', source: 'perplexity' },
      },
    });
    expect(signal('growth', input)).toMatchObject({
      points: 5,
      reason:
        'headcount grew 8% in 12 months; raised funding on 2025-06-01, 12–24 months ago (source: perplexity)',
    });
    expect(signal('growth', headcount(-12.5)).reason).toBe(
      'headcount shrank 12.5% in 12 months (source: perplexity)',
    );
  });
});

describe('geography', () => {
  it.each([
    ['US', 5, 'US is in the target region North America'],
    ['Germany', 5, 'DE is in the target region Europe, Middle East and Africa'],
    ['united kingdom', 5, 'GB is in the target region Europe, Middle East and Africa'],
    ['Brazil', 0, 'BR is outside the target regions and countries'],
    ['JP', 0, 'JP is outside the target regions and countries'],
  ])('%s → %i points', (country, expected, reason) => {
    expect(signal('geography', lead({ contact: { country } }))).toMatchObject({ points: expected, reason });
  });

  it('reads an unrecognisable country as unknown', () => {
    expect(signal('geography', lead({ contact: { country: 'Narnia' } })).reason).toBe('unknown');
  });

  it('uses target countries beyond the regions', () => {
    const profile = profileWith({ regions: ['NA'], countries: ['Japan'] });
    expect(signal('geography', lead({ contact: { country: 'JP' } }), profile)).toMatchObject({
      points: 5,
      reason: 'JP is a target country',
    });
  });

  it('uses the enriched country, then the region alone', () => {
    expect(
      signal(
        'geography',
        lead({ enrichment: { country: { value: 'FR', source: 'offline', basis: 'phone' } } }),
      ),
    ).toMatchObject({
      points: 5,
      reason: 'FR is in the target region Europe, Middle East and Africa (source: offline)',
    });
    const northAmerica = lead({ enrichment: { region: { value: 'NA', source: 'offline' } } });
    expect(signal('geography', northAmerica)).toMatchObject({
      points: 5,
      reason: 'North America is a target region (source: offline)',
    });
    const asia = lead({ enrichment: { region: { value: 'APAC', source: 'offline' } } });
    expect(signal('geography', asia).points).toBe(0);
    // The US might be it or not: the region alone cannot tell.
    expect(signal('geography', northAmerica, profileWith({ regions: [], countries: ['US'] })).reason).toBe(
      'unknown',
    );
  });

  it('with no restriction, any known location earns the points', () => {
    const profile = profileWith({ regions: [], countries: [] });
    expect(points('geography', lead({ contact: { country: 'Brazil' } }), profile)).toBe(5);
    expect(signal('geography', lead(), profile).reason).toBe('unknown');
  });
});

describe('intent', () => {
  it.each([
    ['demo_request', 4],
    ['Demo Request', 4],
    ['referral', 4],
    ['web', 2],
    ['widget', 2],
    ['import', 0],
  ])('source %s → %i points', (source, expected) => {
    expect(points('intent', lead({ contact: { source } }))).toBe(expected);
  });

  const timeline = (withinDays: number) => lead({ qualification: { bant: { timeline: { withinDays } } } });
  it.each([
    [0, 4],
    [30, 4],
    [31, 2],
    [90, 2],
    [91, 0],
  ])('buying within %i days → %i points', (days, expected) => {
    expect(points('intent', timeline(days))).toBe(expected);
  });

  it('reads a timeline date against today', () => {
    const input = lead({ qualification: { bant: { timeline: { date: '2026-12-20' } } } });
    expect(signal('intent', input)).toMatchObject({ points: 4, reason: 'plans to buy within 26 days' });
  });

  const engaged = (messages: number) => lead({ qualification: { engagement: { messages } } });
  it.each([
    [0, 0],
    [1, 0],
    [2, 1],
    [4, 1],
    [5, 2],
  ])('%i messages → %i points', (messages, expected) => {
    expect(points('intent', engaged(messages))).toBe(expected);
  });

  it('says why a low-intent source scores nothing', () => {
    expect(signal('intent', lead({ contact: { source: 'import' } }))).toMatchObject({
      points: 0,
      reason: 'import is a low-intent source',
    });
  });
});

describe('re-weighting', () => {
  const weights = {
    icpMatch: 30,
    companySize: 10,
    decisionMaker: 20,
    budgetSignals: 10,
    techFit: 5,
    growth: 5,
    geography: 10,
    intent: 10,
  };

  it('moves points between signals when the maxima sum to 100', () => {
    const profile = profileWith({ weights });
    const input = lead({
      contact: { industry: 'Healthcare', companySize: 600, title: 'CTO', country: 'US' },
    });
    const { breakdown, score } = computeLeadScore(input, profile, now);
    expect(breakdown.map((e) => e.max)).toEqual([30, 10, 20, 10, 5, 5, 10, 10]);
    expect(breakdown.map((e) => e.points)).toEqual([15, 7, 12, 0, 0, 0, 10, 0]);
    expect(score).toBe(44);
  });

  it('allows a signal to be switched off', () => {
    const profile = profileWith({ weights: { ...weights, icpMatch: 0, geography: 40 } });
    expect(signal('icpMatch', lead({ contact: { industry: 'Software' } }), profile)).toMatchObject({
      points: 0,
      max: 0,
    });
  });

  it('refuses weights that do not sum to 100', () => {
    const result = scoringProfileSchema.safeParse({ weights: { ...weights, intent: 5 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      'signal weights must sum to 100, but icpMatch 30 + companySize 10 + decisionMaker 20 + budgetSignals 10 + techFit 5 + growth 5 + geography 10 + intent 5 = 95',
    );
  });

  it('refuses missing, unknown, negative and fractional weights', () => {
    const { intent: _, ...seven } = weights;
    expect(scoringProfileSchema.safeParse({ weights: seven }).success).toBe(false);
    expect(scoringProfileSchema.safeParse({ weights: { ...weights, luck: 0 } }).success).toBe(false);
    expect(scoringProfileSchema.safeParse({ weights: { ...weights, intent: -10, growth: 25 } }).success).toBe(
      false,
    );
    expect(
      scoringProfileSchema.safeParse({ weights: { ...weights, intent: 9.5, growth: 5.5 } }).success,
    ).toBe(false);
  });
});

describe('the profile', () => {
  it('fills defaults for what an organization did not set', () => {
    const profile = profileWith({ industries: ['logistics'] });
    expect(profile.industries).toEqual(['logistics']);
    expect(profile.weights).toEqual(defaultScoringProfile.weights);
    expect(profile.intentSources.high).toContain('demo_request');
  });

  it('refuses overlapping size bands, unknown keys and unknown countries', () => {
    const overlap = scoringProfileSchema.safeParse({
      companySizeBands: [
        { min: 1, max: 100, fit: 1 },
        { min: 100, max: null, fit: 0.5 },
      ],
    });
    expect(overlap.error?.issues[0]?.message).toBe('company size bands must not overlap');
    expect(scoringProfileSchema.safeParse({ industrie: ['x'] }).success).toBe(false);
    expect(scoringProfileSchema.safeParse({ countries: ['Atlantis'] }).error?.issues[0]?.message).toContain(
      '"Atlantis" is not a country',
    );
    expect(profileWith({ countries: ['germany', 'us'] }).countries).toEqual(['DE', 'US']);
  });

  it('reads the profile from organization settings, or the defaults', () => {
    expect(readScoringProfile({})).toEqual(defaultScoringProfile);
    expect(readScoringProfile({ scoringProfile: { regions: ['APAC'] } }).regions).toEqual(['APAC']);
    expect(() => readScoringProfile({ scoringProfile: { weights: { icpMatch: 100 } } })).toThrow(
      /the stored scoring profile is invalid/,
    );
  });
});

describe('qualification data', () => {
  it('reads the documented fields and treats wrong types as unknown', () => {
    const signals = readQualificationSignals({
      outcome: 'QUALIFIED',
      bant: {
        budget: { amountCents: '5000', stated: true },
        authority: { role: 'CFO', isDecisionMaker: null },
        timeline: { withinDays: 30, date: 'next week' },
        need: { pain: 'manual follow-ups' },
      },
      engagement: { messages: 3 },
    });
    expect(signals.bant?.budget).toEqual({ stated: true });
    expect(signals.bant?.authority?.role).toBe('CFO');
    expect(signals.bant?.authority?.isDecisionMaker).toBeNull();
    expect(signals.bant?.timeline).toEqual({ withinDays: 30 });
    expect(signals.engagement?.messages).toBe(3);
    expect(readQualificationSignals({ bant: 'garbage' })).toEqual({});
    expect(readQualificationSignals(null)).toEqual({});
  });
});

describe('facts the prospect stated in conversation', () => {
  const stated = {
    title: 'conversation',
    companySize: 'conversation',
    industry: 'conversation',
    country: 'conversation',
    tools: 'conversation',
  };

  it('say so in their reasons, for the same points as any contact field', () => {
    const said = lead({
      contact: {
        title: 'VP of Sales',
        companySize: 300,
        industry: 'Software',
        country: 'DE',
        tools: ['Salesforce', 'HubSpot'],
        sources: stated,
      },
    });
    const entered = lead({
      contact: { title: 'VP of Sales', companySize: 300, industry: 'Software', country: 'DE' },
    });
    expect(signal('companySize', said).reason).toBe(
      '300 employees, stated in conversation, is in the 51–500 band',
    );
    expect(signal('decisionMaker', said).reason).toBe(
      'VP of Sales, stated in conversation, is a decision maker',
    );
    expect(signal('icpMatch', said).reason).toBe('Software, stated in conversation, is a target industry');
    expect(signal('geography', said).reason).toBe(
      'DE, stated in conversation, is in the target region Europe, Middle East and Africa',
    );
    const everywhere = profileWith({ regions: [], countries: [] });
    expect(signal('geography', said, everywhere).reason).toBe(
      'DE, stated in conversation: the profile sells everywhere',
    );
    expect(signal('techFit', said).reason).toBe('uses Salesforce and HubSpot, stated in conversation');
    for (const name of ['companySize', 'decisionMaker', 'icpMatch', 'geography'] as const) {
      expect(signal(name, said).points).toBe(signal(name, entered).points);
    }
    // A field from a form or the API needs no attribution.
    expect(signal('companySize', entered).reason).toBe('300 employees is in the 51–500 band');
  });

  it('count the tools list that fits better: the stated one or the enriched one', () => {
    const enrichment: EnrichedFields = {
      techStack: { value: ['Salesforce', 'HubSpot'], source: 'perplexity' },
    };
    const fewer = lead({ contact: { tools: ['spreadsheets'], sources: stated }, enrichment });
    expect(signal('techFit', fewer).reason).toBe('uses Salesforce and HubSpot (source: perplexity)');
    const only = lead({ contact: { tools: ['Salesforce'], sources: stated } });
    expect(signal('techFit', only).reason).toBe('uses Salesforce, stated in conversation');
  });
});
