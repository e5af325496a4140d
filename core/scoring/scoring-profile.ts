import { z } from 'zod';
import { countryCode, regions } from './geography.ts';
import { seniorityLevels } from './seniority.ts';

/** The eight signals of the scoring model, in breakdown order. */
export const signalNames = [
  'icpMatch',
  'companySize',
  'decisionMaker',
  'budgetSignals',
  'techFit',
  'growth',
  'geography',
  'intent',
] as const;
export type SignalName = (typeof signalNames)[number];

/** Maximum points per signal; an organization may move points between signals (sum 100). */
export const defaultSignalWeights: Record<SignalName, number> = {
  icpMatch: 20,
  companySize: 15,
  decisionMaker: 15,
  budgetSignals: 15,
  techFit: 10,
  growth: 10,
  geography: 5,
  intent: 10,
};

const weight = z.number().int('a signal weight must be a whole number of points').min(0).max(100);

export const signalWeightsSchema = z
  .object(Object.fromEntries(signalNames.map((name) => [name, weight])) as Record<SignalName, typeof weight>)
  .strict()
  .superRefine((weights, ctx) => {
    const total = signalNames.reduce((sum, name) => sum + weights[name], 0);
    if (total !== 100) {
      ctx.addIssue({
        code: 'custom',
        message: `signal weights must sum to 100, but ${signalNames.map((name) => `${name} ${weights[name]}`).join(' + ')} = ${total}`,
      });
    }
  });

const term = z.string().trim().min(1).max(100);
const terms = (defaults: string[]) => z.array(term).max(200).default(defaults);

const companySizeBandSchema = z
  .object({
    /** Employees, inclusive. */
    min: z.number().int().min(0),
    /** Employees, inclusive; null for "and more". */
    max: z.number().int().min(0).nullable().default(null),
    /** Share of the signal's points a company in this band earns, 0–1. */
    fit: z.number().min(0).max(1),
  })
  .strict()
  .refine((band) => band.max === null || band.max >= band.min, {
    message: 'a company size band needs max ≥ min',
  });
export type CompanySizeBand = z.infer<typeof companySizeBandSchema>;

const countrySchema = z.string().transform((value, ctx) => {
  const code = /^[a-z]{2}$/i.test(value.trim()) ? value.trim().toUpperCase() : countryCode(value);
  if (!code) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a country; use an ISO code such as US or DE`,
    });
    return z.NEVER;
  }
  return code;
});

/**
 * An organization's ideal customer profile and how much each signal counts. The defaults fit a
 * B2B SaaS seller: software and tech-adjacent buyers of 51–500 employees in North America and
 * EMEA, sold to revenue leaders with at least $5,000 a year to spend.
 */
export const scoringProfileSchema = z
  .object({
    /** Industries that are the ideal customer: full ICP points. Matched as whole words. */
    industries: terms([
      'software',
      'saas',
      'information technology',
      'it services',
      'internet',
      'fintech',
      'financial services',
      'e-commerce',
      'marketing and advertising',
      'professional services',
    ]),
    /** Industries that sometimes buy: half the ICP points. */
    adjacentIndustries: terms(['telecommunications', 'media', 'consulting', 'education', 'healthcare']),
    /** Industries never sold to: no ICP points whatever else matches. */
    excludedIndustries: terms([]),
    companySizeBands: z
      .array(companySizeBandSchema)
      .min(1)
      .max(20)
      .default([
        { min: 1, max: 10, fit: 0.2 },
        { min: 11, max: 50, fit: 0.6 },
        { min: 51, max: 500, fit: 1 },
        { min: 501, max: 5000, fit: 0.7 },
        { min: 5001, max: null, fit: 0.4 },
      ])
      .superRefine((bands, ctx) => {
        const sorted = [...bands].sort((a, b) => a.min - b.min);
        for (let i = 1; i < sorted.length; i++) {
          const previous = sorted[i - 1]!;
          if (previous.max === null || previous.max >= sorted[i]!.min) {
            ctx.addIssue({ code: 'custom', message: 'company size bands must not overlap' });
            return;
          }
        }
      }),
    /** Seniorities that sign the purchase. */
    targetSeniorities: z.array(z.enum(seniorityLevels)).min(1).default(['c_level', 'vp', 'head', 'director']),
    /** Functions the buyer works in, matched as words in the title; empty means any function. */
    targetTitles: terms([
      'sales',
      'revenue',
      'growth',
      'business development',
      'commercial',
      'marketing',
      'customer success',
      'operations',
    ]),
    /** Technologies that make the product fit (integrations, complements). */
    techStack: terms([
      'salesforce',
      'hubspot',
      'pipedrive',
      'zoho crm',
      'outreach',
      'salesloft',
      'gong',
      'intercom',
      'zendesk',
      'slack',
      'segment',
      'stripe',
    ]),
    /** Sales regions sold to; empty with no countries means anywhere. */
    regions: z.array(z.enum(regions)).default(['NA', 'EMEA']),
    /** Countries sold to in addition to the regions (ISO codes or English names). */
    countries: z.array(countrySchema).max(250).default([]),
    /** The smallest budget worth selling to, in cents. */
    minimumBudgetCents: z.number().int().min(0).default(500_000),
    /** Lead sources (`contacts.source`) that signal intent; matched case- and separator-insensitively. */
    intentSources: z
      .object({
        high: terms(['demo_request', 'demo', 'pricing', 'contact_sales', 'trial', 'free_trial', 'referral']),
        medium: terms([
          'web',
          'website',
          'widget',
          'chat',
          'inbound',
          'form',
          'email',
          'sms',
          'whatsapp',
          'voice',
          'webinar',
          'event',
          'content',
        ]),
      })
      .strict()
      .prefault({}),
    /** Maximum points per signal; must sum to 100. */
    weights: signalWeightsSchema.default(defaultSignalWeights),
  })
  .strict();

export type ScoringProfile = z.infer<typeof scoringProfileSchema>;
export type ScoringProfileInput = z.input<typeof scoringProfileSchema>;

export const defaultScoringProfile: ScoringProfile = scoringProfileSchema.parse({});

/** The profile stored in organization settings (`settings.scoringProfile`), or the defaults. */
export function readScoringProfile(settings: unknown): ScoringProfile {
  const stored =
    settings && typeof settings === 'object'
      ? (settings as { scoringProfile?: unknown }).scoringProfile
      : null;
  if (stored === undefined || stored === null) return defaultScoringProfile;
  const parsed = scoringProfileSchema.safeParse(stored);
  // Saved profiles are validated on the way in; this only fails on a hand-edited row. Scoring on
  // the defaults instead would silently change every score, so fail loudly (a server error).
  if (!parsed.success)
    throw new Error(`the stored scoring profile is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
