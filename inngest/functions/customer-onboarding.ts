import { defineWorkflow, type WorkflowDefinition } from '../workflow.ts';

/**
 * The ops agent's step (chains `full-auto` and `hybrid`): a deal moved to `won` — by a Stripe
 * payment or a rep — makes the contact a customer and sends the onboarding message
 * (core/closing/customer-onboarding.ts), once per deal.
 */
export interface CustomerOnboardingSteps {
  onboard(orgId: string, dealId: string): Promise<unknown>;
}

export function customerOnboardingWorkflows(steps: CustomerOnboardingSteps): WorkflowDefinition<never>[] {
  const onboarding = defineWorkflow({
    id: 'customer-onboarding',
    name: 'Make the contact of a won deal a customer and send the onboarding message',
    triggers: [{ event: 'deal.stage.changed' }],
    concurrency: { key: 'event.data.dealId', limit: 1 },
    handler: async ({ event }) => {
      if (event.data.to !== 'won') return { skipped: `moved to ${event.data.to}` };
      // Not step.run, as the meeting invitations: the message must not be sent inside a step's
      // transaction that could still roll back. The delivery's idempotency key (`onboarding:` and
      // the deal) makes a retry or replay send nothing twice.
      return steps.onboard(event.data.orgId, event.data.dealId);
    },
  });
  return [onboarding] as WorkflowDefinition<never>[];
}
