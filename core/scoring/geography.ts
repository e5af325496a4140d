/**
 * Countries and sales regions. The table covers the markets B2B software is commonly sold in;
 * a country it does not know is "unknown" to scoring rather than guessed.
 */
export const regions = ['NA', 'LATAM', 'EMEA', 'APAC'] as const;
export type Region = (typeof regions)[number];

export const regionLabel: Record<Region, string> = {
  NA: 'North America',
  LATAM: 'Latin America',
  EMEA: 'Europe, Middle East and Africa',
  APAC: 'Asia-Pacific',
};

interface Country {
  code: string;
  region: Region;
  /** International dialling code without "+"; NANP (+1) is handled apart. */
  dial?: string;
  names: string[];
}

const countries: Country[] = [
  { code: 'US', region: 'NA', names: ['united states', 'united states of america', 'usa', 'america'] },
  { code: 'CA', region: 'NA', names: ['canada'] },
  { code: 'MX', region: 'LATAM', dial: '52', names: ['mexico', 'méxico'] },
  { code: 'BR', region: 'LATAM', dial: '55', names: ['brazil', 'brasil'] },
  { code: 'AR', region: 'LATAM', dial: '54', names: ['argentina'] },
  { code: 'CL', region: 'LATAM', dial: '56', names: ['chile'] },
  { code: 'CO', region: 'LATAM', dial: '57', names: ['colombia'] },
  { code: 'PE', region: 'LATAM', dial: '51', names: ['peru', 'perú'] },
  {
    code: 'GB',
    region: 'EMEA',
    dial: '44',
    names: ['united kingdom', 'uk', 'great britain', 'britain', 'england', 'scotland', 'wales'],
  },
  { code: 'IE', region: 'EMEA', dial: '353', names: ['ireland'] },
  { code: 'DE', region: 'EMEA', dial: '49', names: ['germany', 'deutschland'] },
  { code: 'FR', region: 'EMEA', dial: '33', names: ['france'] },
  { code: 'ES', region: 'EMEA', dial: '34', names: ['spain', 'españa', 'espana'] },
  { code: 'IT', region: 'EMEA', dial: '39', names: ['italy', 'italia'] },
  { code: 'PT', region: 'EMEA', dial: '351', names: ['portugal'] },
  { code: 'NL', region: 'EMEA', dial: '31', names: ['netherlands', 'the netherlands', 'holland'] },
  { code: 'BE', region: 'EMEA', dial: '32', names: ['belgium', 'belgië', 'belgique'] },
  { code: 'LU', region: 'EMEA', dial: '352', names: ['luxembourg'] },
  { code: 'CH', region: 'EMEA', dial: '41', names: ['switzerland', 'schweiz', 'suisse'] },
  { code: 'AT', region: 'EMEA', dial: '43', names: ['austria', 'österreich', 'osterreich'] },
  { code: 'DK', region: 'EMEA', dial: '45', names: ['denmark', 'danmark'] },
  { code: 'SE', region: 'EMEA', dial: '46', names: ['sweden', 'sverige'] },
  { code: 'NO', region: 'EMEA', dial: '47', names: ['norway', 'norge'] },
  { code: 'FI', region: 'EMEA', dial: '358', names: ['finland', 'suomi'] },
  { code: 'IS', region: 'EMEA', dial: '354', names: ['iceland'] },
  { code: 'PL', region: 'EMEA', dial: '48', names: ['poland', 'polska'] },
  { code: 'CZ', region: 'EMEA', dial: '420', names: ['czech republic', 'czechia'] },
  { code: 'HU', region: 'EMEA', dial: '36', names: ['hungary'] },
  { code: 'RO', region: 'EMEA', dial: '40', names: ['romania'] },
  { code: 'GR', region: 'EMEA', dial: '30', names: ['greece'] },
  { code: 'EE', region: 'EMEA', dial: '372', names: ['estonia'] },
  { code: 'UA', region: 'EMEA', dial: '380', names: ['ukraine'] },
  { code: 'TR', region: 'EMEA', dial: '90', names: ['turkey', 'türkiye', 'turkiye'] },
  { code: 'IL', region: 'EMEA', dial: '972', names: ['israel'] },
  { code: 'AE', region: 'EMEA', dial: '971', names: ['united arab emirates', 'uae'] },
  { code: 'SA', region: 'EMEA', dial: '966', names: ['saudi arabia'] },
  { code: 'EG', region: 'EMEA', dial: '20', names: ['egypt'] },
  { code: 'MA', region: 'EMEA', dial: '212', names: ['morocco'] },
  { code: 'NG', region: 'EMEA', dial: '234', names: ['nigeria'] },
  { code: 'KE', region: 'EMEA', dial: '254', names: ['kenya'] },
  { code: 'ZA', region: 'EMEA', dial: '27', names: ['south africa'] },
  { code: 'AU', region: 'APAC', dial: '61', names: ['australia'] },
  { code: 'NZ', region: 'APAC', dial: '64', names: ['new zealand'] },
  { code: 'JP', region: 'APAC', dial: '81', names: ['japan'] },
  { code: 'KR', region: 'APAC', dial: '82', names: ['south korea', 'korea', 'republic of korea'] },
  { code: 'CN', region: 'APAC', dial: '86', names: ['china'] },
  { code: 'HK', region: 'APAC', dial: '852', names: ['hong kong'] },
  { code: 'TW', region: 'APAC', dial: '886', names: ['taiwan'] },
  { code: 'SG', region: 'APAC', dial: '65', names: ['singapore'] },
  { code: 'IN', region: 'APAC', dial: '91', names: ['india'] },
  { code: 'ID', region: 'APAC', dial: '62', names: ['indonesia'] },
  { code: 'MY', region: 'APAC', dial: '60', names: ['malaysia'] },
  { code: 'PH', region: 'APAC', dial: '63', names: ['philippines'] },
  { code: 'TH', region: 'APAC', dial: '66', names: ['thailand'] },
  { code: 'VN', region: 'APAC', dial: '84', names: ['vietnam', 'viet nam'] },
];

const byCode = new Map(countries.map((country) => [country.code, country]));
const byName = new Map(countries.flatMap((country) => country.names.map((name) => [name, country])));
const byDial = new Map(
  countries.filter((country) => country.dial).map((country) => [country.dial!, country] as const),
);

/** ISO 3166-1 alpha-2 code for a country name or code ("Germany", "de", "U.S.A."), or null. */
export function countryCode(text: string | null | undefined): string | null {
  if (!text) return null;
  const trimmed = text.trim();
  if (/^[a-z]{2}$/i.test(trimmed)) return byCode.get(trimmed.toUpperCase())?.code ?? null;
  const name = trimmed.toLowerCase().replace(/\./g, '').replace(/\s+/g, ' ').replace(/^the /, '');
  return (byName.get(name) ?? byName.get(`the ${name}`))?.code ?? null;
}

export function regionOf(code: string): Region | null {
  return byCode.get(code.toUpperCase())?.region ?? null;
}

export function isKnownCountry(code: string): boolean {
  return byCode.has(code.toUpperCase());
}

/** The countries the table puts in a region (used to tell "outside" from "cannot tell"). */
export function countriesIn(region: Region): string[] {
  return countries.filter((country) => country.region === region).map((country) => country.code);
}

/**
 * Where an E.164 number is registered. +1 (NANP) is North America without a country: the US,
 * Canada and parts of the Caribbean share it, and area codes are not worth a table here.
 */
export function locatePhone(
  e164: string | null | undefined,
): { country: string | null; region: Region; dialCode: string } | null {
  if (!e164 || !/^\+\d{8,15}$/.test(e164)) return null;
  const digits = e164.slice(1);
  if (digits.startsWith('1')) return { country: null, region: 'NA', dialCode: '1' };
  // Dialling codes are prefix-free, so the longest match is the only match.
  for (const length of [3, 2]) {
    const dialCode = digits.slice(0, length);
    const country = byDial.get(dialCode);
    if (country) return { country: country.code, region: country.region, dialCode };
  }
  return null;
}
