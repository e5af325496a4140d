import { z } from 'zod';
import type { Actor } from '../actor.ts';
import type { Db } from '../db.ts';
import { getOrganization, updateOrganizationSettings } from '../organizations.ts';
import { outcomes } from '../qualification/bant-state.ts';

/**
 * An organization's routing settings, stored in `organizations.settings.routing`:
 *
 * - `enabledModes`: which of A (autonomous closer agent), B (hybrid: a human rep) and C
 *   (self-service payment link) may be chosen. Default B and C: the closer agent acts on its own
 *   only when the organization turns A on.
 * - `rules`: tried in order; the first rule whose conditions all hold and whose mode is enabled
 *   decides. A condition left out always holds; a deal-size bound needs a known deal size (the
 *   budget the prospect named, per year). The defaults, in order:
 *   1. `large-deal` → B: a deal of $10,000 a year or more goes to a person.
 *   2. `autonomous` → A: score ≥ 80 and high intent (only when A is enabled).
 *   3. `self-serve` → C: qualified, high intent and a deal under $10,000.
 *   Nothing matched → `fallbackMode` (B), or the first enabled mode when that is disabled.
 * - `payment`: what the mode C link sells (amount in cents, currency, product name).
 * - `queue.whenAllRepsBusy`: `queue` (default) keeps a mode B lead waiting, first in first out,
 *   until a rep has capacity; `C` or `A` sends it that way instead, when that mode is enabled.
 * - `repSelection`: how many points each fit criterion is worth when picking a rep.
 * - `notify.channels`: how a rep hears about a lead: email always, SMS/WhatsApp when the rep
 *   has a phone on file and the channel is listed.
 */
export const routingModes = ['A', 'B', 'C'] as const;
export type RoutingMode = (typeof routingModes)[number];

export const intentLevels = ['low', 'medium', 'high'] as const;
export type IntentLevel = (typeof intentLevels)[number];

const cents = z.number().int('amounts are whole cents').min(0);

export const routingRuleSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  mode: z.enum(routingModes),
  when: z
    .strictObject({
      minScore: z.number().int().min(0).max(100).optional(),
      maxScore: z.number().int().min(0).max(100).optional(),
      /** The qualifier's outcome; `NONE` for a lead it has not decided yet. */
      outcomes: z
        .array(z.enum([...outcomes, 'NONE']))
        .min(1)
        .optional(),
      /** Deal size: the budget the prospect named, per year, in cents. */
      minDealCents: cents.optional(),
      /** Exclusive upper bound. */
      maxDealCents: cents.optional(),
      intent: z.array(z.enum(intentLevels)).min(1).optional(),
    })
    .default({}),
});
export type RoutingRule = z.infer<typeof routingRuleSchema>;

export const defaultRoutingRules: RoutingRule[] = [
  { name: 'large-deal', mode: 'B', when: { minDealCents: 1_000_000 } },
  { name: 'autonomous', mode: 'A', when: { minScore: 80, intent: ['high'] } },
  {
    name: 'self-serve',
    mode: 'C',
    when: { outcomes: ['QUALIFIED'], intent: ['high'], maxDealCents: 1_000_000 },
  },
];

const weight = z.number().min(0).max(100);

export const routingSettingsSchema = z.strictObject({
  enabledModes: z
    .array(z.enum(routingModes))
    .min(1, 'enable at least one routing mode')
    .refine((modes) => new Set(modes).size === modes.length, 'a mode is listed twice')
    .default(['B', 'C']),
  rules: z.array(routingRuleSchema).max(50).default(defaultRoutingRules),
  fallbackMode: z.enum(routingModes).default('B'),
  payment: z
    .strictObject({
      amountCents: z
        .number()
        .int()
        .min(50, 'Stripe charges at least 50 cents')
        .max(99_999_999)
        .default(4_900),
      currency: z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z]{3}$/, 'currency must be an ISO 4217 code such as usd')
        .default('usd'),
      productName: z.string().trim().min(1).max(200).default('Starter plan'),
    })
    .default({ amountCents: 4_900, currency: 'usd', productName: 'Starter plan' }),
  /**
   * Mode A: the most a deal may be worth over a year (in the deal currency's cents) for the
   * closer agent to close it alone; a proposal above it goes to a rep with a briefing.
   */
  autonomousDealLimitCents: cents.max(10_000_000_000).default(5_000_000),
  queue: z
    .strictObject({ whenAllRepsBusy: z.enum(['queue', 'A', 'C']).default('queue') })
    .default({ whenAllRepsBusy: 'queue' }),
  repSelection: z
    .strictObject({
      territory: weight.default(40),
      expertise: weight.default(30),
      winRate: weight.default(20),
      /** Free capacity: a rep with more room scores higher. */
      capacity: weight.default(10),
    })
    .default({ territory: 40, expertise: 30, winRate: 20, capacity: 10 }),
  notify: z
    .strictObject({
      channels: z
        .array(z.enum(['email', 'sms', 'whatsapp']))
        .default(['email', 'sms'])
        .transform((channels) => [...new Set<'email' | 'sms' | 'whatsapp'>(['email', ...channels])]),
    })
    .default({ channels: ['email', 'sms'] }),
});
export type RoutingSettings = z.infer<typeof routingSettingsSchema>;
export type RoutingSettingsInput = z.input<typeof routingSettingsSchema>;

export const defaultRoutingSettings: RoutingSettings = routingSettingsSchema.parse({});

/** The stored settings (`settings.routing`) with defaults for what is not set. */
export function readRoutingSettings(settings: unknown): RoutingSettings {
  const stored =
    settings && typeof settings === 'object' ? (settings as { routing?: unknown }).routing : undefined;
  if (stored === undefined || stored === null) return defaultRoutingSettings;
  const parsed = routingSettingsSchema.safeParse(stored);
  // Saved settings are validated on the way in; this fails only on a hand-edited row. Routing on
  // the defaults instead could send payment links nobody configured, so fail loudly.
  if (!parsed.success)
    throw new Error(`the stored routing settings are invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export async function getRoutingSettings(db: Db, orgId: string): Promise<RoutingSettings> {
  return readRoutingSettings((await getOrganization(db, orgId)).settings);
}

/** Validates and replaces the organization's routing settings (defaults filled in). */
export async function updateRoutingSettings(
  db: Db,
  orgId: string,
  input: unknown,
  actor: Actor,
): Promise<RoutingSettings> {
  // A ZodError: the HTTP layer answers 400 with the path of each bad field.
  const settings = routingSettingsSchema.parse(input ?? {});
  await updateOrganizationSettings(db, orgId, { routing: settings }, actor);
  return settings;
}
