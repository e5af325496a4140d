import { describe, expect, it } from 'vitest';
import {
  fieldSourceOf,
  mergeContactFacts,
  readFactConflicts,
  trustOf,
  websiteHost,
} from './contact-facts.ts';

describe('provenance and trust', () => {
  it('names the source of a form or API write after who wrote it', () => {
    expect(fieldSourceOf({ type: 'api_key', id: 'k' })).toBe('api');
    expect(fieldSourceOf({ type: 'rep', id: 'r' })).toBe('operator');
    expect(fieldSourceOf({ type: 'prospect' }, 'web_prechat')).toBe('prechat');
    expect(fieldSourceOf({ type: 'prospect' }, 'email_inbound')).toBe('inbound:email');
    expect(fieldSourceOf({ type: 'system' })).toBe('system');
  });

  it('ranks the conversation below enrichment, and enrichment below everything entered or unrecorded', () => {
    expect(trustOf('conversation')).toBeLessThan(trustOf('enrichment:perplexity'));
    for (const source of ['api', 'prechat', 'operator', 'inbound:sms', undefined])
      expect(trustOf('enrichment:perplexity')).toBeLessThan(trustOf(source));
  });
});

describe('stated facts', () => {
  it('merge one turn’s statements: later ones win, tools add up', () => {
    expect(
      mergeContactFacts([
        { firstName: 'Dana', companySize: 300, tools: ['Salesforce'] },
        { companySize: 350, tools: ['salesforce', 'Gong'] },
      ]),
    ).toEqual({ firstName: 'Dana', companySize: 350, tools: ['Salesforce', 'Gong'] });
  });

  it('reads a website as its host', () => {
    expect(websiteHost('https://www.Northwind.io/about?x=1')).toBe('northwind.io');
    expect(websiteHost('initech.co.uk.')).toBe('initech.co.uk');
    expect(websiteHost('not a site')).toBeNull();
    expect(websiteHost('http://127.0.0.1:3000')).toBeNull();
  });

  it('reads stored conflicts leniently', () => {
    expect(readFactConflicts('garbage')).toEqual([]);
    expect(
      readFactConflicts([
        { field: 'nope' },
        { field: 'company', value: 'Initech', source: 'conversation', at: 'x', reason: 'trusted_value' },
      ]),
    ).toHaveLength(1);
  });
});
