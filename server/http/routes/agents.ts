import { Router } from 'express';
import { z } from 'zod';
import { createQualifierRuntime } from '../../../agents/runtime/qualifier-runtime.ts';
import { createWebChannel } from '../../../channels/web/web-channel.ts';
import {
  askQualifier,
  type ConversationServiceDeps,
  createConversationServiceDeps,
} from '../../../core/conversations/conversation-service.ts';
import type { Db } from '../../../core/db.ts';
import { recordingSender, sendOutbound } from '../../../core/outbound.ts';
import type { Logger } from '../../logger.ts';
import { apiAuth } from '../api-auth.ts';

const qualifierTurnSchema = z.strictObject({
  contactId: z.uuid('contactId must be a UUID'),
  message: z.string({ error: 'message is required' }),
  channel: z.enum(['web', 'email', 'sms', 'whatsapp']).optional(),
  /** Makes a retried request idempotent: the same clientId is one message. */
  clientId: z.string().trim().min(1).max(200).optional(),
});

/**
 * The conversation service as the app runs it when the composition root passes none: the
 * qualifier loadout (an invalid one throws here, so the server does not start), the offline
 * model, and delivery through the compliance gate with recording senders (web replies are live
 * through the conversation feed).
 */
export function defaultConversationDeps(db: Db, logger: Logger): ConversationServiceDeps {
  const runtime = createQualifierRuntime();
  const log = logger.child({ component: 'conversations' });
  const senders = {
    web: createWebChannel().sender,
    email: recordingSender('email'),
    sms: recordingSender('sms'),
    whatsapp: recordingSender('whatsapp'),
    voice: recordingSender('voice'),
  };
  return createConversationServiceDeps({
    db,
    qualifier: runtime.model,
    limits: runtime.limits,
    tools: runtime.tools,
    deliver: (draft) => sendOutbound({ db, senders }, draft),
    log: {
      info: (details, message) => log.info(details, message),
      warn: (details, message) => log.warn(details, message),
      error: (details, message) => log.error(details, message),
    },
  });
}

/** `POST /api/agents/qualifier`: one server-to-server turn with the qualifier. */
export function agentRoutes(options: {
  db: Db;
  logger: Logger;
  conversations?: ConversationServiceDeps;
}): Router {
  const deps = options.conversations ?? defaultConversationDeps(options.db, options.logger);
  const router = Router();

  router.post('/api/agents/qualifier', async (req, res) => {
    const { orgId } = apiAuth(res);
    const input = qualifierTurnSchema.parse(req.body ?? {});
    const answer = await askQualifier(deps, { orgId, ...input });
    res.json(answer);
  });

  return router;
}
