import { defineWorkflow, type WorkflowDefinition } from '../workflow.ts';

/**
 * Follow-up sequences (core/follow-ups): what starts and stops them, and the minute-by-minute
 * run that sends the touches that are due. Each step is one call into core/, given here as
 * `steps` so the composition root decides which implementation runs.
 */
export interface FollowUpSteps {
  schedule(orgId: string, contactId: string, sequence: 'nurture' | 're-engage'): Promise<unknown>;
  cancel(orgId: string, contactId: string, reason: string): Promise<unknown>;
  /** Stops the contact's sequences that started before this prospect message. */
  cancelAfterReply(orgId: string, contactId: string, messageId: string): Promise<unknown>;
  /** Starts `re-engage` again, from this message, for a lead the agent is still qualifying. */
  reEngageAfterReply(orgId: string, contactId: string, messageId: string): Promise<unknown>;
  /** Sends the due touches of every organization; returns `{sent, failed, skipped}`. */
  executeDue(): Promise<unknown>;
}

// One run per contact at a time within each workflow, like the lead pipeline's.
const perContact = { key: 'event.data.contactId', limit: 1 };

export function followUpWorkflows(steps: FollowUpSteps): WorkflowDefinition<never>[] {
  const onOutcome = defineWorkflow({
    id: 'follow-ups-on-outcome',
    name: 'Nurture a NURTURE lead; stop follow-ups once a lead is decided otherwise',
    triggers: [{ event: 'lead.qualified' }],
    concurrency: perContact,
    handler: async ({ event, step }) => {
      const { orgId, contactId, outcome } = event.data;
      if (outcome === 'NURTURE') {
        return step.run('schedule-nurture', () => steps.schedule(orgId, contactId, 'nurture'));
      }
      // A QUALIFIED lead is routed to a closer, rep or payment link; a DISQUALIFIED one is done.
      return step.run('cancel', () => steps.cancel(orgId, contactId, `outcome_${outcome.toLowerCase()}`));
    },
  });

  const reEngage = defineWorkflow({
    id: 'follow-ups-re-engage',
    name: 'Nudge a lead who does not answer the first message',
    triggers: [{ event: 'lead.qualification.started' }],
    concurrency: perContact,
    // The touches wait days and a reply cancels them; the reply then starts a new one (below).
    handler: async ({ event, step }) => {
      const { orgId, contactId } = event.data;
      return step.run('schedule-re-engage', () => steps.schedule(orgId, contactId, 're-engage'));
    },
  });

  const onReply = defineWorkflow({
    id: 'follow-ups-stop-on-reply',
    name: 'Stop follow-ups when the prospect writes; nudge again if they go quiet',
    triggers: [{ event: 'conversation.message.received' }],
    concurrency: perContact,
    handler: async ({ event, step }) => {
      const { orgId, contactId, messageId } = event.data;
      const cancelled = await step.run('cancel', () => steps.cancelAfterReply(orgId, contactId, messageId));
      const reEngage = await step.run('re-engage', () =>
        steps.reEngageAfterReply(orgId, contactId, messageId),
      );
      return { cancelled, reEngage };
    },
  });

  const onConsentRevoked = defineWorkflow({
    id: 'follow-ups-stop-on-consent-revoked',
    name: 'Stop every follow-up of a contact who revoked consent',
    triggers: [{ event: 'consent.revoked' }],
    concurrency: perContact,
    handler: async ({ event, step }) => {
      const { orgId, contactId } = event.data;
      return step.run('cancel', () => steps.cancel(orgId, contactId, 'consent_revoked'));
    },
  });

  const execute = defineWorkflow({
    id: 'follow-ups-execute',
    name: 'Send the follow-up touches that are due',
    triggers: [{ cron: '* * * * *' }],
    // Deliberately not a step.run: the embedded runtime runs a step inside one database
    // transaction, and a provider call inside it could be rolled back after the provider took
    // the message. executeDueFollowUps keeps its own transactions short and around the call, and
    // its idempotency keys make a repeated run harmless — it needs no memo, and a run a crash
    // interrupted is simply run again (with no retries it was failed as "interrupted").
    handler: async () => steps.executeDue(),
  });

  return [onOutcome, reEngage, onReply, onConsentRevoked, execute] as WorkflowDefinition<never>[];
}
