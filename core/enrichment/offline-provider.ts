import { countryCode, locatePhone, regionOf } from '../scoring/geography.ts';
import { classifySeniority, decisionMakerSeniorities } from '../scoring/seniority.ts';
import type { EnrichedFields, EnrichmentProvider, EnrichmentSubject } from './enrichment-provider.ts';

/**
 * What can be known about a contact without the network: the company domain, whether the
 * address is free-mail or a shared inbox, seniority from the title, and where the contact is
 * from the country field or the phone prefix. Deterministic, instant, never fails.
 */
const freeMailDomains = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'ymail.com',
  'rocketmail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'aol.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  't-online.de',
  'mail.com',
  'email.com',
  'yandex.com',
  'yandex.ru',
  'mail.ru',
  'qq.com',
  '163.com',
  '126.com',
  'naver.com',
  'hey.com',
  'fastmail.com',
  'tutanota.com',
  'tuta.io',
  'zohomail.com',
  'orange.fr',
  'free.fr',
  'laposte.net',
  'libero.it',
  'virgilio.it',
  'wp.pl',
  'o2.pl',
  'seznam.cz',
  'btinternet.com',
  'comcast.net',
  'verizon.net',
  'att.net',
  'sbcglobal.net',
  'rediffmail.com',
]);
// Country variants: yahoo.co.uk, hotmail.fr, outlook.de, live.com.au, ...
const freeMailFamilies = /^(yahoo|hotmail|outlook|live|msn|aol|gmx)\.[a-z]{2,3}(\.[a-z]{2})?$/;

const roleLocalParts = new Set([
  'info',
  'sales',
  'contact',
  'contactus',
  'hello',
  'hi',
  'support',
  'help',
  'helpdesk',
  'admin',
  'administrator',
  'office',
  'team',
  'marketing',
  'billing',
  'accounts',
  'accounting',
  'finance',
  'hr',
  'jobs',
  'careers',
  'recruiting',
  'noreply',
  'no-reply',
  'donotreply',
  'do-not-reply',
  'enquiries',
  'enquiry',
  'inquiries',
  'inquiry',
  'service',
  'customerservice',
  'webmaster',
  'postmaster',
  'hostmaster',
  'press',
  'media',
  'partners',
  'legal',
  'privacy',
  'security',
  'abuse',
  'orders',
  'bookings',
  'reception',
  'general',
  'mail',
]);

export function emailDomain(email: string | null | undefined): string | null {
  const at = email?.lastIndexOf('@') ?? -1;
  if (!email || at < 1) return null;
  const domain = email
    .slice(at + 1)
    .trim()
    .toLowerCase();
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain) ? domain : null;
}

export function isFreeMailDomain(domain: string): boolean {
  const d = domain.toLowerCase();
  return freeMailDomains.has(d) || freeMailFamilies.test(d);
}

/** info@, sales@, support+eu@ ...: a shared inbox rather than a person. */
export function isRoleAddress(email: string): boolean {
  const local = email.slice(0, email.lastIndexOf('@')).toLowerCase().split('+')[0]!;
  return roleLocalParts.has(local);
}

/** "https://www.Acme.com/pricing" → "acme.com"; null when it is not a web address. */
export function websiteDomain(website: string | null | undefined): string | null {
  if (!website?.trim()) return null;
  const text = website.trim();
  // "mailto:x@y", "tel:..." and addresses with credentials are not websites.
  if (/^(mailto|tel|sms|ftp|file):/i.test(text) || text.includes('@')) return null;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    const host = url.hostname.toLowerCase().replace(/^www\./, '');
    return /^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/.test(host) ? host : null;
  } catch {
    return null;
  }
}

/** The company's domain: the website's, else the email's unless that is a free-mail provider. */
export function companyDomainOf(
  contact: Pick<EnrichmentSubject, 'email' | 'website'>,
): { domain: string; basis: string } | null {
  const fromWebsite = websiteDomain(contact.website);
  if (fromWebsite) return { domain: fromWebsite, basis: 'website' };
  const fromEmail = emailDomain(contact.email);
  if (fromEmail && !isFreeMailDomain(fromEmail)) return { domain: fromEmail, basis: 'email address' };
  return null;
}

export function offlineEnrichment(contact: EnrichmentSubject): EnrichedFields {
  const source = 'offline';
  const fields: EnrichedFields = {};
  const company = companyDomainOf(contact);
  if (company) fields.companyDomain = { value: company.domain, source, basis: company.basis };
  const domain = emailDomain(contact.email);
  if (contact.email && domain) {
    fields.freeMail = { value: isFreeMailDomain(domain), source, basis: `email domain ${domain}` };
    fields.roleAddress = { value: isRoleAddress(contact.email), source, basis: 'email address' };
  }
  const seniority = classifySeniority(contact.title);
  if (seniority) {
    const basis = `title "${contact.title}"`;
    fields.seniority = { value: seniority, source, basis };
    fields.decisionMaker = { value: decisionMakerSeniorities.includes(seniority), source, basis };
  }
  const fromField = countryCode(contact.country);
  const region = fromField ? regionOf(fromField) : null;
  if (fromField) {
    fields.country = { value: fromField, source, basis: 'country field' };
    if (region) fields.region = { value: region, source, basis: 'country field' };
  } else {
    const located = locatePhone(contact.phone);
    if (located) {
      const basis = `phone prefix +${located.dialCode}`;
      if (located.country) fields.country = { value: located.country, source, basis };
      fields.region = { value: located.region, source, basis };
    }
  }
  return fields;
}

export const offlineEnrichmentProvider: EnrichmentProvider = {
  name: 'offline',
  enrich: async (contact) => ({ fields: offlineEnrichment(contact) }),
};
