import { loadChains } from '../agents/runtime/chains.ts';
import { onboardCustomer } from '../core/closing/customer-onboarding.ts';
import {
  type ConversationServiceDeps,
  startQualification,
} from '../core/conversations/conversation-service.ts';
import { notifyRepOfHandoff, tellNoRepAvailable } from '../core/conversations/rep-handoff.ts';
import type { Db } from '../core/db.ts';
import { enrichLead, enrichmentProviders } from '../core/enrichment/enrich-lead.ts';
import { executeDueFollowUps } from '../core/follow-ups/execute-due-follow-ups.ts';
import {
  cancelSequences,
  cancelSequencesAfterReply,
  reEngageAfterReply,
  type ScheduleResult,
  scheduleSequence,
} from '../core/follow-ups/follow-up-sequences.ts';
import { sendMeetingInvite } from '../core/meetings/meeting-invites.ts';
import { getOrganization } from '../core/organizations.ts';
import type { PaymentProvider } from '../core/payments/payment-links.ts';
import { refreshRepBriefing } from '../core/routing/rep-briefing.ts';
import {
  assignAllQueuedLeads,
  followThroughRoute,
  type RoutingDeps,
  routeLead,
} from '../core/routing/route-lead.ts';
import { scoreLead } from '../core/scoring/score-lead.ts';
import { customerOnboardingWorkflows } from '../inngest/functions/customer-onboarding.ts';
import { followUpWorkflows } from '../inngest/functions/follow-ups.ts';
import { leadPipeline } from '../inngest/functions/lead-pipeline.ts';
import { meetingInviteWorkflows } from '../inngest/functions/meeting-invites.ts';
import { repHandoffWorkflows } from '../inngest/functions/rep-handoff.ts';
import { createWorkflowEngine, type WorkflowEngine } from '../inngest/workflow-engine.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** The workflows and the domain calls their steps make. */
export function createWorkflows(
  db: Db,
  config: Config,
  logger: Logger,
  conversations: ConversationServiceDeps,
  payments: PaymentProvider,
): WorkflowEngine {
  const enrichment = enrichmentProviders(config);
  const chains = loadChains();
  const routing: RoutingDeps = {
    db,
    payments: payments.links,
    conversations,
    chains: { 'full-auto': chains['full-auto'].steps, hybrid: chains.hybrid.steps },
  };
  const functions = leadPipeline({
    enrich: async (orgId, contactId) => {
      const result = await enrichLead(db, enrichment, orgId, contactId);
      return { sources: result.sources, failures: result.failures };
    },
    score: async (orgId, contactId, trigger) => {
      const result = await scoreLead(db, orgId, contactId, trigger);
      return { score: result.score, oldScore: result.oldScore, changed: result.changed };
    },
    qualificationThreshold: async (orgId) =>
      (await getOrganization(db, orgId)).settings.qualificationThreshold,
    startQualification: (orgId, contactId) => startQualification(conversations, orgId, contactId),
    route: (orgId, contactId) => routeLead(routing, orgId, contactId),
    followThrough: (orgId, contactId, mode, repId) =>
      followThroughRoute(routing, orgId, contactId, mode, repId),
    assignQueuedLeads: () => assignAllQueuedLeads({ db }),
  });
  // A step's result is its memo: the sequence's id, not the whole sequence.
  const scheduled = (result: ScheduleResult) => ({
    scheduled: result.scheduled,
    sequenceId: result.sequence?.id,
    reason: result.reason,
  });
  const followUps = followUpWorkflows({
    schedule: async (orgId, contactId, sequence) =>
      scheduled(await scheduleSequence(db, orgId, contactId, sequence)),
    cancel: (orgId, contactId, reason) => cancelSequences(db, orgId, contactId, reason),
    cancelAfterReply: (orgId, contactId, messageId) =>
      cancelSequencesAfterReply(db, orgId, contactId, messageId),
    reEngageAfterReply: async (orgId, contactId, messageId) =>
      scheduled(await reEngageAfterReply(db, orgId, contactId, messageId)),
    executeDue: () => executeDueFollowUps({ db, conversations }),
  });
  const handoffs = repHandoffWorkflows({
    notifyRep: (orgId, conversationId) => notifyRepOfHandoff(conversations, orgId, conversationId),
    tellNoRepAvailable: (orgId, conversationId, since) =>
      tellNoRepAvailable(conversations, orgId, conversationId, since),
    refreshBriefing: (orgId, contactId) => refreshRepBriefing(db, orgId, contactId),
  });
  const meetings = meetingInviteWorkflows({
    sendInvite: (orgId, meetingId, recipient) =>
      sendMeetingInvite({ db, deliver: conversations.deliver }, orgId, meetingId, recipient),
  });
  const onboarding = customerOnboardingWorkflows({
    onboard: (orgId, dealId) => onboardCustomer(conversations, orgId, dealId),
  });
  const log = logger.child({ component: 'workflows' });
  return createWorkflowEngine({
    db,
    functions: [...functions, ...followUps, ...handoffs, ...meetings, ...onboarding],
    settings: config,
    log,
    sdkLogger: log,
    // Inngest is told to call PUBLIC_URL, never the Host a request to /api/inngest names.
    publicUrl: config.publicUrl,
  });
}
