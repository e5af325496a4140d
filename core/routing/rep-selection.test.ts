import { describe, expect, it } from 'vitest';
import { expertiseMatch, type LeadProfile, type RepCandidate, selectRep } from './rep-selection.ts';
import { defaultRoutingSettings } from './routing-settings.ts';
import { leadLocationOf, territoryFit } from './territory.ts';

const weights = defaultRoutingSettings.repSelection;

let counter = 0;
const rep = (fields: Partial<RepCandidate> & { name: string }): RepCandidate => ({
  id: `00000000-0000-4000-8000-${(++counter).toString().padStart(12, '0')}`,
  email: `${fields.name.toLowerCase()}@acme.example`,
  phone: null,
  territory: null,
  expertise: [],
  capacity: 10,
  winRate: 0.3,
  load: 0,
  lastAssignedAt: null,
  ...fields,
});

const leadIn = (
  country: string | null,
  options: { timezone?: string; phone?: string; industry?: string } = {},
): LeadProfile => ({
  location: leadLocationOf({
    country,
    phone: options.phone ?? null,
    timezone: options.timezone ?? null,
    enrichment: {},
  }),
  industries: options.industry ? [options.industry] : [],
});

const chosenName = (lead: LeadProfile, reps: RepCandidate[]) =>
  selectRep(lead, reps, weights).chosen?.rep.name;

describe('territory', () => {
  it('reads regions, countries and parts of a country the way teams write them', () => {
    const sanFrancisco = leadIn('United States', { timezone: 'America/Los_Angeles' });
    expect(territoryFit('US-West', sanFrancisco.location).fit).toBe(1);
    expect(territoryFit('US East', sanFrancisco.location).fit).toBe(0);
    expect(territoryFit('North America', sanFrancisco.location).fit).toBe(1);
    expect(territoryFit('EMEA', sanFrancisco.location).fit).toBe(0);
    expect(territoryFit('Global', sanFrancisco.location).fit).toBe(0.25);
    expect(territoryFit(null, sanFrancisco.location).fit).toBe(0.25);
    expect(territoryFit('EMEA, US-West', sanFrancisco.location).fit).toBe(1);
    // Same country, the part of it unknown: probably.
    expect(territoryFit('US-West', leadIn('US').location).fit).toBe(0.5);
    expect(territoryFit('EMEA', leadIn('Germany').location).fit).toBe(1);
    expect(territoryFit('DE', leadIn('Germany').location).fit).toBe(1);
    // A +1 number is North America without a country.
    expect(territoryFit('NA', leadIn(null, { phone: '+14155550123' }).location).fit).toBe(1);
    expect(territoryFit('US-West', leadIn(null).location).reason).toBe("the lead's location is unknown");
    expect(territoryFit('Narnia', leadIn('US').location).fit).toBe(0);
  });

  it('matches expertise to industry by words', () => {
    expect(expertiseMatch(['saas'], ['B2B SaaS'])).toBe('saas ↔ B2B SaaS');
    expect(expertiseMatch(['financial services'], ['Financial Services'])).not.toBeNull();
    expect(expertiseMatch(['fintech'], ['Healthcare'])).toBeNull();
  });
});

describe('selectRep', () => {
  it('honours territory: the rep whose territory covers the lead wins over a better closer elsewhere', () => {
    const west = rep({ name: 'West', territory: 'US-West', winRate: 0.2 });
    const emea = rep({ name: 'Emea', territory: 'EMEA', winRate: 0.6 });
    expect(chosenName(leadIn('US', { timezone: 'America/Los_Angeles' }), [emea, west])).toBe('West');
    expect(chosenName(leadIn('France'), [emea, west])).toBe('Emea');
  });

  it('honours expertise: in the same territory, the rep who knows the industry wins', () => {
    const generalist = rep({ name: 'Generalist', territory: 'EMEA', expertise: ['retail'], winRate: 0.4 });
    const fintech = rep({ name: 'Fintech', territory: 'EMEA', expertise: ['fintech'], winRate: 0.3 });
    const selection = selectRep(leadIn('Germany', { industry: 'Fintech' }), [generalist, fintech], weights);
    expect(selection.chosen?.rep.name).toBe('Fintech');
    expect(selection.reasons).toContain('expertise matches (fintech ↔ Fintech)');
  });

  it('honours capacity: a rep at capacity is skipped however well they fit', () => {
    const best = rep({
      name: 'Best',
      territory: 'EMEA',
      expertise: ['saas'],
      winRate: 0.9,
      capacity: 5,
      load: 5,
    });
    const other = rep({ name: 'Other', territory: 'APAC', winRate: 0.1 });
    const selection = selectRep(leadIn('Germany', { industry: 'SaaS' }), [best, other], weights);
    expect(selection.chosen?.rep.name).toBe('Other');
    expect(selection.ranked.find((r) => r.rep.name === 'Best')).toMatchObject({ available: false });
  });

  it('honours win rate: otherwise equal, the better closer wins', () => {
    const a = rep({ name: 'Steady', territory: 'EMEA', winRate: 0.25 });
    const b = rep({ name: 'Closer', territory: 'EMEA', winRate: 0.45 });
    expect(chosenName(leadIn('Spain'), [a, b])).toBe('Closer');
  });

  it('weighs load against capacity: a much busier rep loses to one with room', () => {
    const busy = rep({ name: 'Busy', territory: 'EMEA', winRate: 0.3, capacity: 10, load: 9 });
    const free = rep({ name: 'Free', territory: 'EMEA', winRate: 0.3, capacity: 10, load: 1 });
    expect(chosenName(leadIn('Italy'), [busy, free])).toBe('Free');
  });

  it('breaks ties so load spreads: fewest leads, then least recently assigned, then id', () => {
    // Equal points: the same spare share (2/4 and 5/10) and everything else equal.
    const fewer = rep({ name: 'Fewer', capacity: 4, load: 2 });
    const more = rep({ name: 'More', capacity: 10, load: 5 });
    const lead = leadIn('Japan');
    const byLoad = selectRep(lead, [more, fewer], weights);
    expect(byLoad.chosen?.rep.name).toBe('Fewer');
    expect(byLoad.reasons.at(-1)).toBe('tied with More: fewer leads (2 vs 5)');

    const recent = rep({ name: 'Recent', lastAssignedAt: new Date('2026-11-24T10:00:00Z') });
    const earlier = rep({ name: 'Earlier', lastAssignedAt: new Date('2026-11-24T09:00:00Z') });
    const byRecency = selectRep(lead, [recent, earlier], weights);
    expect(byRecency.chosen?.rep.name).toBe('Earlier');
    expect(byRecency.reasons.at(-1)).toBe('tied with Recent: assigned a lead less recently');

    const first = rep({ name: 'First' });
    const second = rep({ name: 'Second' });
    expect(chosenName(lead, [second, first])).toBe('First');
  });

  it('spreads a run of identical leads over identical reps', () => {
    const team = [rep({ name: 'A' }), rep({ name: 'B' }), rep({ name: 'C' })];
    const picks: string[] = [];
    let clock = Date.parse('2026-11-24T09:00:00Z');
    for (let i = 0; i < 6; i++) {
      const chosen = selectRep(leadIn('Brazil'), team, weights).chosen!.rep;
      picks.push(chosen.name!);
      chosen.load += 1;
      clock += 60_000;
      chosen.lastAssignedAt = new Date(clock);
    }
    expect(picks).toEqual(['A', 'B', 'C', 'A', 'B', 'C']);
  });

  it('chooses nobody when every rep is full, and says so', () => {
    const full = [rep({ name: 'X', capacity: 1, load: 1 }), rep({ name: 'Y', capacity: 2, load: 2 })];
    expect(selectRep(leadIn('US'), full, weights)).toMatchObject({
      chosen: null,
      reasons: ['every rep is at capacity'],
    });
    expect(selectRep(leadIn('US'), [], weights).reasons).toEqual([
      'the organization has no rep taking leads',
    ]);
  });
});
