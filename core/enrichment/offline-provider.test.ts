import { describe, expect, it } from 'vitest';
import { classifySeniority } from '../scoring/seniority.ts';
import type { EnrichmentSubject } from './enrichment-provider.ts';
import {
  companyDomainOf,
  isFreeMailDomain,
  isRoleAddress,
  offlineEnrichment,
  offlineEnrichmentProvider,
  websiteDomain,
} from './offline-provider.ts';

const contact = (fields: Partial<EnrichmentSubject>): EnrichmentSubject => ({
  email: null,
  phone: null,
  firstName: null,
  lastName: null,
  title: null,
  company: null,
  website: null,
  country: null,
  ...fields,
});

describe('company domain', () => {
  it.each([
    ['https://www.Acme.com/pricing', 'acme.com'],
    ['acme.io', 'acme.io'],
    ['http://shop.acme.co.uk:8080/x', 'shop.acme.co.uk'],
    ['not a website', null],
    ['mailto:jo@acme.com', null],
    ['', null],
  ])('website %s → %s', (website, domain) => {
    expect(websiteDomain(website)).toBe(domain);
  });

  it('takes the website, else a work email domain, never a free-mail domain', () => {
    expect(companyDomainOf({ email: 'jo@acme.com', website: 'https://globex.com' })).toEqual({
      domain: 'globex.com',
      basis: 'website',
    });
    expect(companyDomainOf({ email: 'jo@acme.com', website: null })).toEqual({
      domain: 'acme.com',
      basis: 'email address',
    });
    expect(companyDomainOf({ email: 'jo@gmail.com', website: null })).toBeNull();
  });
});

describe('free-mail and role addresses', () => {
  it.each([
    ['gmail.com', true],
    ['googlemail.com', true],
    ['yahoo.co.uk', true],
    ['hotmail.fr', true],
    ['outlook.com', true],
    ['proton.me', true],
    ['icloud.com', true],
    ['gmx.de', true],
    ['acme.com', false],
    ['mail.acme.com', false],
  ])('%s free-mail: %s', (domain, expected) => {
    expect(isFreeMailDomain(domain)).toBe(expected);
  });

  it.each([
    ['info@acme.com', true],
    ['Sales@acme.com', true],
    ['support+eu@acme.com', true],
    ['no-reply@acme.com', true],
    ['jo@acme.com', false],
    ['information.officer@acme.com', false],
  ])('%s role address: %s', (email, expected) => {
    expect(isRoleAddress(email)).toBe(expected);
  });
});

describe('seniority from title', () => {
  it.each([
    ['CEO', 'c_level'],
    ['Chief Revenue Officer', 'c_level'],
    ['Founder & CEO', 'c_level'],
    ['Co-founder', 'c_level'],
    ['Owner', 'c_level'],
    ['President', 'c_level'],
    ['Managing Director', 'c_level'],
    ['VP Sales', 'vp'],
    ['SVP, Marketing', 'vp'],
    ['Vice President of Operations', 'vp'],
    ['Head of Sales', 'head'],
    ['Director of Engineering', 'director'],
    ['Sr. Director, Demand Gen', 'director'],
    ['Sales Manager', 'manager'],
    ['Team Lead', 'manager'],
    ['Account Executive', 'individual'],
    ['Software Engineer', 'individual'],
    ['Product Owner', 'individual'],
    ['Executive Assistant to the CEO', 'individual'],
    ['', null],
    [null, null],
  ])('%s → %s', (title, seniority) => {
    expect(classifySeniority(title)).toBe(seniority);
  });
});

describe('offline provider', () => {
  it('derives every field it can, each with its source and basis', async () => {
    const result = await offlineEnrichmentProvider.enrich(
      contact({ email: 'pat@acme.com', phone: '+4930123456789', title: 'VP Sales' }),
    );
    expect(result.fields).toEqual({
      companyDomain: { value: 'acme.com', source: 'offline', basis: 'email address' },
      freeMail: { value: false, source: 'offline', basis: 'email domain acme.com' },
      roleAddress: { value: false, source: 'offline', basis: 'email address' },
      seniority: { value: 'vp', source: 'offline', basis: 'title "VP Sales"' },
      decisionMaker: { value: true, source: 'offline', basis: 'title "VP Sales"' },
      country: { value: 'DE', source: 'offline', basis: 'phone prefix +49' },
      region: { value: 'EMEA', source: 'offline', basis: 'phone prefix +49' },
    });
  });

  it('flags free-mail and role addresses and finds no company domain in them', () => {
    const fields = offlineEnrichment(contact({ email: 'info@gmail.com' }));
    expect(fields.freeMail?.value).toBe(true);
    expect(fields.roleAddress?.value).toBe(true);
    expect(fields.companyDomain).toBeUndefined();
  });

  it('reads a managerial title as not a decision maker', () => {
    const fields = offlineEnrichment(contact({ title: 'Marketing Manager' }));
    expect(fields.seniority?.value).toBe('manager');
    expect(fields.decisionMaker?.value).toBe(false);
  });

  it.each([
    ['+447700900123', 'GB', 'EMEA', '+44'],
    ['+33612345678', 'FR', 'EMEA', '+33'],
    ['+353861234567', 'IE', 'EMEA', '+353'],
    ['+61412345678', 'AU', 'APAC', '+61'],
    ['+5511987654321', 'BR', 'LATAM', '+55'],
  ])('locates %s in %s (%s)', (phone, country, region, prefix) => {
    const fields = offlineEnrichment(contact({ phone }));
    expect(fields.country).toEqual({ value: country, source: 'offline', basis: `phone prefix ${prefix}` });
    expect(fields.region?.value).toBe(region);
  });

  it('puts +1 in North America without naming a country', () => {
    const fields = offlineEnrichment(contact({ phone: '+14155550100' }));
    expect(fields.country).toBeUndefined();
    expect(fields.region).toEqual({ value: 'NA', source: 'offline', basis: 'phone prefix +1' });
  });

  it('prefers the country field over the phone prefix', () => {
    const fields = offlineEnrichment(contact({ phone: '+14155550100', country: 'Germany' }));
    expect(fields.country).toEqual({ value: 'DE', source: 'offline', basis: 'country field' });
    expect(fields.region?.value).toBe('EMEA');
  });

  it('derives nothing from nothing, and ignores an unknown prefix', () => {
    expect(offlineEnrichment(contact({}))).toEqual({});
    expect(offlineEnrichment(contact({ phone: '+79161234567' }))).toEqual({});
  });
});
