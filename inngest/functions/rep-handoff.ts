import { defineWorkflow, type WorkflowDefinition } from '../workflow.ts';

/**
 * A prospect who asks for a person gets one or an honest answer (core/conversations/rep-handoff.ts),
 * and a rep's briefing follows the lead's facts (core/routing/rep-briefing.ts). Each step is one
 * call into core/, given here as `steps` so the composition root decides which implementation runs.
 */
export interface RepHandoffSteps {
  /** Tells the best-fit rep and the consoles; returns `{waiting, since, repId, waitMinutes}`. */
  notifyRep(
    orgId: string,
    conversationId: string,
  ): Promise<{ waiting: boolean; since: string | null; waitMinutes: number | null }>;
  /** The agent tells the prospect nobody is available right now (once per request `since`). */
  tellNoRepAvailable(orgId: string, conversationId: string, since: string): Promise<unknown>;
  /** Rebuilds the lead's rep briefing from what is recorded now, if a rep was briefed on it. */
  refreshBriefing(orgId: string, contactId: string): Promise<unknown>;
}

export function repHandoffWorkflows(steps: RepHandoffSteps): WorkflowDefinition<never>[] {
  const timeout = defineWorkflow({
    id: 'handoff-timeout',
    name: 'Bring a rep to a prospect who asked for a person; say so honestly when nobody comes',
    triggers: [{ event: 'conversation.handoff.requested' }],
    concurrency: { key: 'event.data.conversationId', limit: 1 },
    handler: async ({ event, step }) => {
      const { orgId, conversationId } = event.data;
      // Deliberately not step.run (as follow-ups-execute): the notice emails the rep and pushes to
      // consoles, which must not sit in a step's transaction that could still roll back. Both
      // calls act once per request by themselves, so running them again on a replay is harmless.
      const notice = await steps.notifyRep(orgId, conversationId);
      // Also how a replay after the take-over ends: the conversation no longer waits.
      if (!notice.waiting || !notice.since) return { notice, waiting: false };
      if (notice.waitMinutes !== null) {
        const takenOver = await step.waitForEvent('wait-for-take-over', {
          event: 'conversation.taken_over',
          match: 'data.conversationId',
          timeout: `${notice.waitMinutes}m`,
        });
        if (takenOver) return { notice, takenOver: true };
      }
      return { notice, told: await steps.tellNoRepAvailable(orgId, conversationId, notice.since) };
    },
  });

  const briefing = defineWorkflow({
    id: 'rep-briefing-refresh',
    name: "Keep a lead's rep briefing current as its facts, score and outcome change",
    triggers: [
      { event: 'lead.updated' },
      { event: 'lead.enriched' },
      { event: 'lead.scored' },
      { event: 'lead.qualified' },
    ],
    concurrency: { key: 'event.data.contactId', limit: 1 },
    handler: async ({ event, step }) => {
      const { orgId, contactId } = event.data;
      return step.run('refresh', () => steps.refreshBriefing(orgId, contactId));
    },
  });

  return [timeout, briefing] as WorkflowDefinition<never>[];
}
