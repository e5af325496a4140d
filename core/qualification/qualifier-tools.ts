import { z } from 'zod';
import { type BantPatch, disqualifiers, timelineBlockers } from './bant-state.ts';
import { budgetCurrencies, toUsdCents } from './budget-currency.ts';

/**
 * The qualifier's tools. None takes an id: each acts on the conversation and contact of the turn
 * it is called in, so a prospect cannot talk the agent into touching anyone else's data. Their
 * arguments come from a model, so they are parsed like any outside input; a call that does not
 * parse is ignored (and logged) and the turn goes on.
 */
const text = (max: number) => z.string().trim().min(1).max(max);

export const updateQualificationArgsSchema = z
  .strictObject({
    budget: z
      .strictObject({
        amountUsd: z
          .number()
          .min(0)
          .max(10_000_000_000)
          .optional()
          .describe(
            'Budget the prospect named, in US dollars (50k → 50000). Other currencies: amount + currency.',
          ),
        amount: z
          .number()
          .min(0)
          .max(10_000_000_000)
          .optional()
          .describe('Budget the prospect named, in `currency` (€40k → 40000 with currency EUR).'),
        currency: z
          .enum(budgetCurrencies)
          .optional()
          .describe('ISO code of the currency named; default USD.'),
        period: z.enum(['month', 'year', 'one_time']).optional().describe('What the amount covers.'),
        stated: z.boolean().optional().describe('true: they have a budget; false: they said there is none.'),
        allocated: z
          .boolean()
          .optional()
          .describe(
            'false: a budget is not allocated or approved yet ("no budget yet", "next year\'s budget").',
          ),
        note: text(300).optional(),
      })
      .optional(),
    authority: z
      .strictObject({
        role: text(200).optional().describe("The prospect's role or title, as they said it."),
        isDecisionMaker: z.boolean().optional().describe('They sign off on the purchase themselves.'),
        hasAccess: z.boolean().optional().describe('Not the decision maker but can bring them in.'),
        decisionMaker: text(200).optional().describe('Who signs off, e.g. "CFO".'),
      })
      .optional(),
    need: z
      .strictObject({
        identified: z.boolean().optional().describe('true: a real need; false: they said they have none.'),
        summary: text(500).optional().describe('The need in one sentence, in their words.'),
        painPoints: z.array(text(200)).max(10).optional(),
      })
      .optional(),
    timeline: z
      .strictObject({
        withinDays: z
          .number()
          .int()
          .min(0)
          .max(3650)
          .optional()
          .describe('Expect to buy within this many days.'),
        date: z.iso.date().optional().describe('Expect to buy by this date, YYYY-MM-DD.'),
        blocker: z
          .enum(timelineBlockers)
          .optional()
          .describe('What holds the purchase: a running contract, a hiring/budget freeze, only researching.'),
        note: text(200).optional(),
      })
      .optional(),
    competition: z
      .strictObject({
        current: z.array(text(100)).max(10).optional().describe('Tools or vendors they use today.'),
        evaluating: z.array(text(100)).max(10).optional().describe('Alternatives they are considering.'),
        none: z.boolean().optional().describe('They use nothing for this today.'),
        asked: z.boolean().optional().describe('You asked and they answered without naming any tool.'),
      })
      .optional(),
    fit: z
      .strictObject({
        disqualifier: z
          .enum(disqualifiers)
          .optional()
          .describe('They are no buyer at all: a student, a job seeker, a competitor, spam, not interested.'),
        note: text(300).optional(),
      })
      .optional(),
  })
  .describe('Record what the prospect just told you about Budget, Authority, Need, Timeline or Competition.');
export type UpdateQualificationArgs = z.infer<typeof updateQualificationArgsSchema>;

export const requestHandoffArgsSchema = z.strictObject({
  reason: text(300).describe('Why a person should take over.'),
});

export const recordOptOutArgsSchema = z.strictObject({
  reason: text(300).optional(),
});

// Email, phone and website are taken as written: `core/contact-facts.ts` checks each on its own,
// so one mistyped value does not lose the others of the call.
export const recordContactDetailsArgsSchema = z
  .strictObject({
    firstName: text(100).optional().describe("The prospect's first name, as they gave it."),
    lastName: text(100).optional().describe("The prospect's last (family) name."),
    email: text(320).optional().describe('Their email address.'),
    phone: text(40)
      .optional()
      .describe('Their phone number, with the country code when they gave one (+1 415 555 0199).'),
    company: text(200).optional().describe('The company they work for, e.g. "Northwind Logistics".'),
    title: text(200).optional().describe('Their job title, e.g. "VP of Sales".'),
    companySize: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .optional()
      .describe(
        "Employees of the whole company (a 300-person company → 300); the sales team's size only if that is all they said.",
      ),
    industry: text(100).optional().describe("Their company's industry, e.g. fintech, logistics, healthcare."),
    country: text(100).optional().describe('The country they or their company are based in, e.g. Germany.'),
    website: text(500).optional().describe("Their company's website or domain, e.g. northwind.io."),
    tools: z
      .array(text(100))
      .max(20)
      .optional()
      .describe('Software they say they use today, e.g. ["Salesforce", "spreadsheets"].'),
  })
  .describe('Record what the prospect just said about who they are and their company.');
export type RecordContactDetailsArgs = z.infer<typeof recordContactDetailsArgsSchema>;

export const qualifierTools = {
  update_qualification: {
    description:
      'Record what the prospect said about their budget, authority, need, timeline or competition. ' +
      'Call it whenever they share any of these; only include what they actually said. It returns ' +
      'what is still missing and, once enough is known, the qualification outcome.',
    schema: updateQualificationArgsSchema,
  },
  record_contact_details: {
    description:
      'Record facts the prospect states about themselves or their company: name, email, phone, company, ' +
      'job title, company size, industry, country, website, tools they use. Call it whenever they state ' +
      'any of these; only include what they actually said. A fact that disagrees with what the team ' +
      'already has is kept for the team to check, so never argue about it.',
    schema: recordContactDetailsArgsSchema,
  },
  request_handoff: {
    description:
      'Bring a person from the team into this conversation, when the prospect asks for one or needs ' +
      'something only a person can give (a custom contract, a discount, a commitment).',
    schema: requestHandoffArgsSchema,
  },
  record_opt_out: {
    description:
      'The prospect asked not to be contacted again. Records the opt-out; the conversation then ends.',
    schema: recordOptOutArgsSchema,
  },
} as const;
export type QualifierToolName = keyof typeof qualifierTools;
export const qualifierToolNames = Object.keys(qualifierTools) as QualifierToolName[];

/** A tool as a model provider sees it: a name, a description and a JSON Schema for its input. */
export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/**
 * Specs of a set of tools by name (an agent's loadout picks some), each schema converted to JSON
 * Schema once: the schemas never change, and every turn sends them. Unknown names are skipped.
 */
export function toolSpecSelector<Name extends string>(
  tools: Record<Name, { description: string; schema: z.ZodType }>,
): (names: readonly string[]) => ToolSpec[] {
  const specs = new Map<string, ToolSpec>(
    (Object.keys(tools) as Name[]).map((name) => {
      const { $schema: _schema, ...inputSchema } = z.toJSONSchema(tools[name].schema) as Record<
        string,
        unknown
      >;
      return [name, { name, description: tools[name].description, inputSchema }];
    }),
  );
  return (names) => names.flatMap((name) => specs.get(name) ?? []);
}

const qualifierSpecs = toolSpecSelector(qualifierTools);

export function toolSpecs(names: readonly string[] = qualifierToolNames): ToolSpec[] {
  return qualifierSpecs(names);
}

/** Tool arguments → a change to the stored state (dollars to cents, dates to days). */
export function toBantPatch(args: UpdateQualificationArgs, now: Date): BantPatch {
  const patch: BantPatch = {};
  if (args.budget) {
    const { amountUsd, amount, currency = 'USD', ...rest } = args.budget;
    patch.budget = { ...rest };
    const named = amount ?? amountUsd;
    if (named !== undefined) {
      const inCurrency = amount !== undefined ? currency : 'USD';
      patch.budget.amountCents = toUsdCents(named, inCurrency);
      if (inCurrency !== 'USD') {
        patch.budget.currency = inCurrency;
        patch.budget.originalAmountCents = Math.round(named * 100);
      }
      // Naming an amount is stating a budget.
      patch.budget.stated ??= true;
    }
  }
  if (args.fit) patch.fit = { ...args.fit };
  if (args.authority) patch.authority = { ...args.authority };
  if (args.need) {
    patch.need = { ...args.need };
    if (args.need.summary && args.need.identified === undefined) patch.need.identified = true;
  }
  if (args.timeline) {
    patch.timeline = { ...args.timeline };
    if (args.timeline.date && args.timeline.withinDays === undefined) {
      const target = Date.parse(`${args.timeline.date}T00:00:00Z`);
      const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
      patch.timeline.withinDays = Math.max(0, Math.round((target - today) / 86_400_000));
    }
  }
  if (args.competition) patch.competition = { ...args.competition };
  return patch;
}
