import {
  type ConversationServiceDeps,
  startQualification,
} from '../core/conversations/conversation-service.ts';
import type { Db } from '../core/db.ts';
import { enrichLead, enrichmentProviders } from '../core/enrichment/enrich-lead.ts';
import { awaitRouting, qualificationThreshold, routeFollowThrough } from '../core/lead-pipeline.ts';
import { scoreLead } from '../core/scoring/score-lead.ts';
import { leadPipeline } from '../inngest/functions/lead-pipeline.ts';
import { createWorkflowEngine, type WorkflowEngine } from '../inngest/workflow-engine.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** The workflows and the domain calls their steps make. */
export function createWorkflows(
  db: Db,
  config: Config,
  logger: Logger,
  conversations: ConversationServiceDeps,
): WorkflowEngine {
  const enrichment = enrichmentProviders(config);
  const functions = leadPipeline({
    enrich: async (orgId, contactId) => {
      const result = await enrichLead(db, enrichment, orgId, contactId);
      return { sources: result.sources, failures: result.failures };
    },
    score: async (orgId, contactId, trigger) => {
      const result = await scoreLead(db, orgId, contactId, trigger);
      return { score: result.score, oldScore: result.oldScore, changed: result.changed };
    },
    qualificationThreshold: (orgId) => qualificationThreshold(db, orgId),
    startQualification: (orgId, contactId) => startQualification(conversations, orgId, contactId),
    route: (orgId, contactId) => awaitRouting(db, orgId, contactId),
    followThrough: (orgId, contactId, mode, repId) => routeFollowThrough(db, orgId, contactId, mode, repId),
  });
  const log = logger.child({ component: 'workflows' });
  return createWorkflowEngine({
    db,
    functions,
    settings: config,
    log: { error: (obj, msg) => log.error(obj, msg), warn: (obj, msg) => log.warn(obj, msg) },
    sdkLogger: log,
  });
}
