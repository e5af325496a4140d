import { z } from 'zod';
import { type ToolSpec, toolSpecSelector } from '../qualification/qualifier-tools.ts';

/**
 * The closer's tools. None takes an id: they act on this conversation's prospect and deal only.
 * The tool computes every price from the knowledge base; the model only names the plan and seats.
 */
const text = (max: number) => z.string().trim().min(1).max(max);

export const proposePlanArgsSchema = z.strictObject({
  seats: z.number().int().min(1).max(1_000_000).describe('Users (seats) the prospect needs, as they said.'),
  plan: text(100)
    .optional()
    .describe(
      'The plan to propose, by its name in the knowledge base; omit it to propose the plan that fits.',
    ),
});

export const sendPaymentLinkArgsSchema = z.strictObject({});

export const offerDemoSlotsArgsSchema = z.strictObject({});

export const bookDemoArgsSchema = z.strictObject({
  slot: z.number().int().min(1).max(10).describe('The number of the offered time the prospect chose.'),
});

export const answerObjectionArgsSchema = z.strictObject({
  topic: z
    .enum(['price', 'security', 'integrations', 'competitor', 'contract', 'other'])
    .describe('What the objection is about.'),
});

export const requestHandoffArgsSchema = z.strictObject({
  reason: text(300).describe('Why a person should take over.'),
});

export const closerTools = {
  propose_plan: {
    description:
      'Propose the plan that fits the team size. Returns the plan, its price for that many seats, copied ' +
      'from the knowledge base, and moves the deal to proposal. State the returned summary as written; ' +
      'never compute or change a price yourself. A plan without a price, or a deal above what the AI may ' +
      'close alone, is handed to a person instead (the result says so).',
    schema: proposePlanArgsSchema,
  },
  send_payment_link: {
    description:
      'The prospect agreed to buy the proposed plan: creates a secure payment link for it and returns the ' +
      'URL to include in your reply. Only after a proposal and an explicit yes.',
    schema: sendPaymentLinkArgsSchema,
  },
  offer_demo_slots: {
    description:
      "The prospect wants a demo: returns free times of the team's calendars, numbered, in the prospect's " +
      'time zone. List them and ask which one suits.',
    schema: offerDemoSlotsArgsSchema,
  },
  book_demo: {
    description: 'Books the offered time the prospect chose; invitations go out by email.',
    schema: bookDemoArgsSchema,
  },
  answer_objection: {
    description:
      'Records an objection (price, security, integrations, a competitor, contract terms), moves the deal to ' +
      'negotiation and returns what the knowledge base says about it. Answer only from those entries; if ' +
      'there are none, say so honestly and offer a person. Never invent a discount, a feature or a term.',
    schema: answerObjectionArgsSchema,
  },
  request_handoff: {
    description:
      'Bring a person from the team into this conversation: the prospect asks for one, or needs a custom ' +
      'contract, a discount or a commitment the knowledge base does not give.',
    schema: requestHandoffArgsSchema,
  },
} as const;
export type CloserToolName = keyof typeof closerTools;
export const closerToolNames = Object.keys(closerTools) as CloserToolName[];

const closerSpecs = toolSpecSelector(closerTools);

export function closerToolSpecs(names: readonly string[] = closerToolNames): ToolSpec[] {
  return closerSpecs(names);
}
