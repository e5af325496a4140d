import { Router } from 'express';
import { z } from 'zod';
import {
  askQualifier,
  type ConversationServiceDeps,
} from '../../../core/conversations/conversation-service.ts';
import { apiAuth } from '../api-auth.ts';

const qualifierTurnSchema = z.strictObject({
  contactId: z.uuid('contactId must be a UUID'),
  message: z.string({ error: 'message is required' }),
  channel: z.enum(['web', 'email', 'sms', 'whatsapp']).optional(),
  /** Makes a retried request idempotent: the same clientId is one message. */
  clientId: z.string().trim().min(1).max(200).optional(),
});

/** `POST /api/agents/qualifier`: one server-to-server turn with the qualifier. */
export function agentRoutes(deps: ConversationServiceDeps): Router {
  const router = Router();

  router.post('/api/agents/qualifier', async (req, res) => {
    const { orgId } = apiAuth(res);
    const input = qualifierTurnSchema.parse(req.body ?? {});
    const answer = await askQualifier(deps, { ...input, orgId });
    res.json(answer);
  });

  return router;
}
