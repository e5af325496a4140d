import { defineWorkflow, type WorkflowDefinition } from '../workflow.ts';

/**
 * The lead pipeline: created → enriched and scored → (above the threshold) qualification →
 * qualified → routed → mode-specific follow-through. Each step is one call into core/, given
 * here as `steps` so the composition root decides which implementation runs.
 */
export interface LeadPipelineSteps {
  enrich(orgId: string, contactId: string): Promise<unknown>;
  score(
    orgId: string,
    contactId: string,
    trigger: 'lead.created' | 'lead.updated' | 'lead.enriched' | 'qualification.changed',
  ): Promise<unknown>;
  qualificationThreshold(orgId: string): Promise<number>;
  startQualification(orgId: string, contactId: string): Promise<unknown>;
  route(orgId: string, contactId: string): Promise<unknown>;
  followThrough(orgId: string, contactId: string, mode: 'A' | 'B' | 'C', repId?: string): Promise<unknown>;
  /** Gives queued leads to reps who have capacity again (all organizations). */
  assignQueuedLeads(): Promise<unknown>;
}

// One run per lead at a time, so a lead's stages never race each other.
const perLead = { key: 'event.data.contactId', limit: 1 };

export function leadPipeline(steps: LeadPipelineSteps): WorkflowDefinition<never>[] {
  const intake = defineWorkflow({
    id: 'lead-intake',
    name: 'Enrich and score a new lead',
    triggers: [{ event: 'lead.created' }],
    concurrency: perLead,
    handler: async ({ event, step }) => {
      const { orgId, contactId } = event.data;
      await step.run('enrich', () => steps.enrich(orgId, contactId));
      return step.run('score', () => steps.score(orgId, contactId, 'lead.created'));
    },
  });

  const rescore = defineWorkflow({
    id: 'lead-rescore',
    name: 'Re-score a lead whose data changed',
    triggers: [{ event: 'lead.updated' }, { event: 'lead.enriched' }],
    concurrency: perLead,
    handler: async ({ event, step }) => {
      const { orgId, contactId } = event.data;
      // What the qualifier learned is a trigger of its own in the score history.
      const trigger =
        'fields' in event.data && event.data.fields.includes('qualification')
          ? 'qualification.changed'
          : event.name;
      return step.run('score', () => steps.score(orgId, contactId, trigger));
    },
  });

  const qualification = defineWorkflow({
    id: 'qualification-start',
    name: 'Start qualifying a lead that crossed the threshold',
    triggers: [{ event: 'lead.scored' }],
    concurrency: perLead,
    handler: async ({ event, step }) => {
      const { orgId, contactId, oldScore, newScore } = event.data;
      const threshold = await step.run('threshold', () => steps.qualificationThreshold(orgId));
      const crossed = newScore > threshold && (oldScore === null || oldScore <= threshold);
      if (!crossed) return { started: false, reason: `score ${newScore} does not cross ${threshold}` };
      return step.run('start-qualification', () => steps.startQualification(orgId, contactId));
    },
  });

  const routing = defineWorkflow({
    id: 'lead-routing',
    name: 'Route a qualified lead',
    triggers: [{ event: 'lead.qualified' }],
    concurrency: perLead,
    handler: async ({ event, step }) => {
      const { orgId, contactId, outcome } = event.data;
      if (outcome !== 'QUALIFIED') return { routed: false, outcome };
      return step.run('route', () => steps.route(orgId, contactId));
    },
  });

  const followThrough = defineWorkflow({
    id: 'routed-follow-through',
    name: 'Follow through on the chosen route',
    triggers: [{ event: 'lead.routed' }],
    concurrency: perLead,
    handler: async ({ event, step }) => {
      const { orgId, contactId, mode, repId } = event.data;
      return step.run(`mode-${mode}`, () => steps.followThrough(orgId, contactId, mode, repId));
    },
  });

  const queue = defineWorkflow({
    id: 'routing-queue',
    name: 'Assign queued leads to reps with free capacity',
    triggers: [{ cron: '* * * * *' }],
    retries: 1,
    handler: async ({ step }) => step.run('assign', () => steps.assignQueuedLeads()),
  });

  return [intake, rescore, qualification, routing, followThrough, queue] as WorkflowDefinition<never>[];
}
