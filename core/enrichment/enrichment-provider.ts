import { z } from 'zod';
import { regions } from '../scoring/geography.ts';
import { seniorityLevels } from '../scoring/seniority.ts';

/**
 * What enrichment may learn about a contact and its company. Every value is stored with the
 * provider it came from (`source`) and, where useful, what it was derived from (`basis`), so the
 * lead page and the score breakdown can say where a fact came from.
 */
export const enrichmentValueSchemas = {
  /** The company's web domain, never a free-mail domain. */
  companyDomain: z.string().min(1).max(253),
  companyName: z.string().min(1).max(200),
  /** The email address is at a free-mail provider (gmail.com, outlook.com, ...). */
  freeMail: z.boolean(),
  /** The email address is a shared inbox (info@, sales@, ...), not a person. */
  roleAddress: z.boolean(),
  seniority: z.enum(seniorityLevels),
  decisionMaker: z.boolean(),
  /** ISO 3166-1 alpha-2 code of where the contact is. */
  country: z.string().regex(/^[A-Z]{2}$/),
  region: z.enum(regions),
  industry: z.string().min(1).max(100),
  /** Employees. */
  companySize: z.number().int().min(0),
  annualRevenueCents: z.number().int().min(0),
  /** Headcount change over the last 12 months, in percent. */
  headcountGrowthPct: z.number().min(-100).max(10_000),
  /** Date of the last funding round, YYYY-MM-DD. */
  lastFundingAt: z.iso.date(),
  fundingStage: z.string().min(1).max(100),
  techStack: z.array(z.string().min(1).max(100)).max(200),
  /** ISO 3166-1 alpha-2 code of the company's headquarters. */
  companyCountry: z.string().regex(/^[A-Z]{2}$/),
} as const;

export type EnrichmentFieldName = keyof typeof enrichmentValueSchemas;
export type EnrichmentValues = { [K in EnrichmentFieldName]: z.infer<(typeof enrichmentValueSchemas)[K]> };
export const enrichmentFieldNames = Object.keys(enrichmentValueSchemas) as EnrichmentFieldName[];

/** Company-level fields: these also go to the company row shared by its contacts. */
export const companyFieldNames: readonly EnrichmentFieldName[] = [
  'companyDomain',
  'companyName',
  'industry',
  'companySize',
  'annualRevenueCents',
  'headcountGrowthPct',
  'lastFundingAt',
  'fundingStage',
  'techStack',
  'companyCountry',
];

export interface EnrichedValue<T> {
  value: T;
  /** The provider that supplied the value ("offline", "perplexity"). */
  source: string;
  /** What the value was derived from, e.g. "email domain" or "phone prefix +49". */
  basis?: string;
}

export type EnrichedFields = { [K in EnrichmentFieldName]?: EnrichedValue<EnrichmentValues[K]> };

/** What a provider learned; each field carries its source. */
export interface EnrichmentResult {
  fields: EnrichedFields;
  /** Provider-specific context worth keeping, e.g. the web pages an answer cites. */
  citations?: string[];
}

/** The contact as a provider sees it: only what it needs to look the prospect up. */
export interface EnrichmentSubject {
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  title: string | null;
  company: string | null;
  website: string | null;
  country: string | null;
}

/** One source of enrichment. Providers do not touch the database; `enrichLead` merges. */
export interface EnrichmentProvider {
  readonly name: string;
  enrich(contact: EnrichmentSubject, options?: { signal?: AbortSignal }): Promise<EnrichmentResult>;
}

/** A provider's answer could not be used (HTTP error, malformed answer). */
export class EnrichmentProviderError extends Error {
  constructor(
    readonly provider: string,
    message: string,
  ) {
    super(message);
    this.name = 'EnrichmentProviderError';
  }
}

/**
 * `contacts.enrichment` as stored: the merged fields, each `{value, source, basis?, at}`, and the
 * outcome of the last run of each provider.
 */
export interface StoredEnrichment {
  fields: { [K in EnrichmentFieldName]?: EnrichedValue<EnrichmentValues[K]> & { at: string } };
  providers: Record<
    string,
    { status: 'ok' | 'failed'; at: string; fields?: string[]; error?: string; citations?: string[] }
  >;
}

const storedValue = <T extends z.ZodType>(value: T) =>
  z.object({ value, source: z.string(), basis: z.string().optional(), at: z.string().optional() });
const storedValueSchemas = Object.fromEntries(
  enrichmentFieldNames.map((name) => [name, storedValue(enrichmentValueSchemas[name])]),
) as Partial<Record<string, z.ZodType<{ value: unknown; source: string; basis?: string }>>>;

/**
 * Reads the `fields` of stored enrichment leniently: a field that does not match its schema (older
 * data, a hand edit) is dropped and so counts as unknown, instead of failing the whole lead.
 */
export function readEnrichedFields(fields: unknown): EnrichedFields {
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return {};
  const result: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(fields)) {
    const schema = storedValueSchemas[name];
    if (!schema) continue;
    const parsed = schema.safeParse(raw);
    if (parsed.success) {
      const { value, source, basis } = parsed.data;
      result[name] = basis === undefined ? { value, source } : { value, source, basis };
    }
  }
  return result as EnrichedFields;
}
