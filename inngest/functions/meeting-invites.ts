import { defineWorkflow, type WorkflowDefinition } from '../workflow.ts';

/**
 * A booked, moved or cancelled meeting sends its calendar invitation to the prospect and the rep
 * (core/meetings/meeting-invites.ts). Each step is one call into core/, given here as `steps`
 * so the composition root decides which implementation runs.
 */
export interface MeetingInviteSteps {
  /** Sends the meeting's current invitation (REQUEST or CANCEL) to one recipient, once per SEQUENCE. */
  sendInvite(orgId: string, meetingId: string, recipient: 'prospect' | 'rep'): Promise<unknown>;
}

export function meetingInviteWorkflows(steps: MeetingInviteSteps): WorkflowDefinition<never>[] {
  const invites = defineWorkflow({
    id: 'meeting-invites',
    name: 'Send the calendar invitation to prospect and rep when a meeting is booked, moved or cancelled',
    triggers: [{ event: 'meeting.booked' }, { event: 'meeting.rescheduled' }, { event: 'meeting.cancelled' }],
    // One run per meeting at a time, so a cancel's run never overtakes the booking's.
    concurrency: { key: 'event.data.meetingId', limit: 1 },
    handler: async ({ event }) => {
      const { orgId, meetingId } = event.data;
      // Deliberately not step.run (as follow-ups-execute and handoff-timeout): the embedded
      // runtime runs a step inside one database transaction, and the provider call must not sit
      // in one that could still roll back after the email went. Each recipient's send is keyed
      // by meeting, SEQUENCE and recipient in the delivery ledger, so a replay or retry after a
      // crash returns what was sent instead of sending it again; a failed send throws, and the
      // retry skips the recipient already served. One failing does not hold up the other.
      const sent: Record<string, unknown> = {};
      let failure: unknown;
      for (const recipient of ['prospect', 'rep'] as const) {
        try {
          sent[recipient] = await steps.sendInvite(orgId, meetingId, recipient);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure) throw failure;
      return sent;
    },
  });
  return [invites] as WorkflowDefinition<never>[];
}
