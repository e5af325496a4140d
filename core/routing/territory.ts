import type { EnrichedFields } from '../enrichment/enrichment-provider.ts';
import { countryCode, locatePhone, type Region, regionOf, regions } from '../scoring/geography.ts';

/**
 * Whether a lead is in a rep's territory. A territory is written the way sales teams write them:
 * a region ("EMEA", "APAC", "NA", "LATAM"), a country ("DE", "Germany"), a country and a part of
 * it ("US-West", "US East", "CA-Central"), "Global", or several of these separated by commas.
 */
export type SubRegion = 'west' | 'central' | 'east';

export interface LeadLocation {
  /** ISO 3166-1 alpha-2, when known. */
  country: string | null;
  region: Region | null;
  /** For the US and Canada, from the lead's time zone. */
  subRegion: SubRegion | null;
  /** What the location was read from, for the reasons. */
  basis: string;
}

const subRegionByTimeZone: Record<string, SubRegion> = {
  'America/Los_Angeles': 'west',
  'America/Vancouver': 'west',
  'America/Phoenix': 'west',
  'America/Denver': 'west',
  'America/Boise': 'west',
  'America/Edmonton': 'west',
  'America/Anchorage': 'west',
  'America/Juneau': 'west',
  'Pacific/Honolulu': 'west',
  'US/Pacific': 'west',
  'US/Mountain': 'west',
  'US/Arizona': 'west',
  'US/Alaska': 'west',
  'US/Hawaii': 'west',
  'America/Chicago': 'central',
  'America/Winnipeg': 'central',
  'America/Regina': 'central',
  'America/Menominee': 'central',
  'America/Indiana/Knox': 'central',
  'America/Indiana/Tell_City': 'central',
  'US/Central': 'central',
  'America/New_York': 'east',
  'America/Detroit': 'east',
  'America/Toronto': 'east',
  'America/Montreal': 'east',
  'America/Halifax': 'east',
  'America/St_Johns': 'east',
  'US/Eastern': 'east',
};

function subRegionOf(timezone: string | null): SubRegion | null {
  if (!timezone) return null;
  const known = subRegionByTimeZone[timezone];
  if (known) return known;
  if (timezone.startsWith('America/North_Dakota/')) return 'central';
  if (timezone.startsWith('America/Indiana/') || timezone.startsWith('America/Kentucky/')) return 'east';
  return null;
}

export function leadLocationOf(contact: {
  country: string | null;
  phone: string | null;
  timezone: string | null;
  enrichment: EnrichedFields;
}): LeadLocation {
  const subRegion = subRegionOf(contact.timezone);
  const sub = subRegion ? `, ${subRegion} by time zone ${contact.timezone}` : '';
  const given = countryCode(contact.country);
  if (given) return { country: given, region: regionOf(given), subRegion, basis: `country ${given}${sub}` };
  const enriched = contact.enrichment.country?.value ?? null;
  if (enriched) {
    return {
      country: enriched,
      region: regionOf(enriched),
      subRegion,
      basis: `country ${enriched} (enrichment)${sub}`,
    };
  }
  const phone = locatePhone(contact.phone);
  if (phone) {
    const basis = phone.country ? `phone +${phone.dialCode} (${phone.country})` : `phone +${phone.dialCode}`;
    return { country: phone.country, region: phone.region, subRegion, basis: `${basis}${sub}` };
  }
  const region = contact.enrichment.region?.value ?? null;
  if (region) return { country: null, region, subRegion, basis: `region ${region} (enrichment)${sub}` };
  return { country: null, region: null, subRegion, basis: 'location unknown' };
}

type Territory =
  | { kind: 'anywhere' }
  | { kind: 'region'; region: Region }
  | { kind: 'country'; country: string; subRegion: SubRegion | null }
  | { kind: 'unrecognised' };

const regionAliases: Record<string, Region> = {
  na: 'NA',
  'north america': 'NA',
  amer: 'NA',
  latam: 'LATAM',
  'latin america': 'LATAM',
  'south america': 'LATAM',
  emea: 'EMEA',
  europe: 'EMEA',
  eu: 'EMEA',
  apac: 'APAC',
  asia: 'APAC',
  'asia pacific': 'APAC',
  'asia-pacific': 'APAC',
};
const anywhere = new Set(['global', 'worldwide', 'world', 'any', 'all', '*']);
const subRegionAliases: Record<string, SubRegion> = {
  west: 'west',
  western: 'west',
  pacific: 'west',
  mountain: 'west',
  northwest: 'west',
  southwest: 'west',
  central: 'central',
  midwest: 'central',
  east: 'east',
  eastern: 'east',
  northeast: 'east',
  southeast: 'east',
};

function parseOne(text: string): Territory {
  const value = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (anywhere.has(value)) return { kind: 'anywhere' };
  const region = regionAliases[value] ?? regions.find((r) => r.toLowerCase() === value);
  if (region) return { kind: 'region', region };
  const whole = countryCode(value);
  if (whole) return { kind: 'country', country: whole, subRegion: null };
  // "US-West", "United States - West", "EMEA North": try each split into place and part.
  for (const separator of value.matchAll(/[\s\-/]+/g)) {
    const head = value.slice(0, separator.index);
    const tail = value.slice(separator.index + separator[0].length).replace(/[\s-]+/g, '');
    const headRegion = regionAliases[head] ?? regions.find((r) => r.toLowerCase() === head);
    if (headRegion) return { kind: 'region', region: headRegion };
    const country = countryCode(head);
    if (country) return { kind: 'country', country, subRegion: subRegionAliases[tail] ?? null };
  }
  return { kind: 'unrecognised' };
}

export interface TerritoryFit {
  /** 1 in the territory, 0.5 probably in it, 0.25 a rep who covers everywhere, 0 outside. */
  fit: number;
  reason: string;
}

function fitOne(territory: Territory, text: string, lead: LeadLocation): TerritoryFit {
  switch (territory.kind) {
    case 'anywhere':
      return { fit: 0.25, reason: `territory ${text} covers everywhere` };
    case 'unrecognised':
      return { fit: 0, reason: `territory ${text} is not a region or country QuotaHit knows` };
    case 'region':
      if (!lead.region) return { fit: 0, reason: `territory ${text}: the lead's region is unknown` };
      return lead.region === territory.region
        ? { fit: 1, reason: `territory ${text} matches the lead (${lead.basis})` }
        : { fit: 0, reason: `territory ${text} does not cover the lead (${lead.basis})` };
    case 'country': {
      if (!lead.country) {
        if (lead.region && lead.region === regionOf(territory.country)) {
          return { fit: 0.5, reason: `territory ${text} may cover the lead (${lead.basis})` };
        }
        return { fit: 0, reason: `territory ${text} does not cover the lead (${lead.basis})` };
      }
      if (lead.country !== territory.country) {
        return { fit: 0, reason: `territory ${text} does not cover the lead (${lead.basis})` };
      }
      if (!territory.subRegion || lead.subRegion === territory.subRegion) {
        return { fit: 1, reason: `territory ${text} matches the lead (${lead.basis})` };
      }
      if (!lead.subRegion) {
        return {
          fit: 0.5,
          reason: `territory ${text}: same country, part of the country unknown (${lead.basis})`,
        };
      }
      return { fit: 0, reason: `territory ${text} does not cover the lead (${lead.basis})` };
    }
  }
}

/** How well a rep's territory covers the lead; a rep without a territory covers everywhere. */
export function territoryFit(territory: string | null, lead: LeadLocation): TerritoryFit {
  if (!lead.country && !lead.region) return { fit: 0, reason: "the lead's location is unknown" };
  if (!territory?.trim()) return { fit: 0.25, reason: 'no territory: covers everywhere' };
  const parts = territory
    .split(/[,;]/)
    .map((part) => part.trim())
    .filter(Boolean);
  return parts
    .map((part) => fitOne(parseOne(part), part, lead))
    .reduce((best, next) => (next.fit > best.fit ? next : best));
}
