import { z } from 'zod';

/**
 * The part of `contacts.qualification` that scoring reads. The qualifier writes this JSON; these
 * are the exact paths and types scoring relies on (every one optional; absent or null means
 * "not learned yet"):
 *
 * | path                                   | type                 | meaning                                          |
 * |----------------------------------------|----------------------|--------------------------------------------------|
 * | `bant.budget.amountCents`              | integer ≥ 0          | budget the prospect named, in cents              |
 * | `bant.budget.stated`                   | boolean              | true: has a budget; false: said there is none    |
 * | `bant.authority.isDecisionMaker`       | boolean              | signs the purchase (true) or does not (false)    |
 * | `bant.authority.role`                  | string               | role as said in conversation, read like a title  |
 * | `bant.timeline.withinDays`             | integer ≥ 0          | expects to buy within this many days             |
 * | `bant.timeline.date`                   | `YYYY-MM-DD` or ISO  | expects to buy by this date                      |
 * | `engagement.messages`                  | integer ≥ 0          | messages the prospect has sent                   |
 *
 * A value of the wrong type is read as unknown (and scores 0 for its signal) instead of failing
 * the lead, so a qualifier bug cannot stop scoring. Other keys are kept and ignored.
 */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);
const section = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape).nullish().catch(undefined);

export const qualificationSignalsSchema = z.looseObject({
  bant: section({
    budget: section({
      amountCents: optional(z.number().int().min(0)),
      stated: optional(z.boolean()),
    }),
    authority: section({
      role: optional(z.string().trim().min(1).max(200)),
      isDecisionMaker: optional(z.boolean()),
    }),
    timeline: section({
      withinDays: optional(z.number().int().min(0)),
      date: optional(z.union([z.iso.date(), z.iso.datetime({ offset: true })])),
    }),
  }),
  engagement: section({
    messages: optional(z.number().int().min(0)),
  }),
});
export type QualificationSignals = z.infer<typeof qualificationSignalsSchema>;

export function readQualificationSignals(qualification: unknown): QualificationSignals {
  const parsed = qualificationSignalsSchema.safeParse(qualification ?? {});
  return parsed.success ? parsed.data : {};
}
