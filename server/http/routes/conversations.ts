import { Router } from 'express';
import { listConversations, listMessages } from '../../../core/conversations.ts';
import type { Db } from '../../../core/db.ts';
import { apiAuth } from '../api-auth.ts';
import { optionalUuid, requireUuid } from '../params.ts';

export function conversationRoutes(db: Db): Router {
  const router = Router();

  router.get('/api/conversations', async (req, res) => {
    const { orgId } = apiAuth(res);
    const contactId = optionalUuid(req.query.contactId, 'contactId');
    res.json({ items: await listConversations(db, orgId, { contactId }) });
  });

  router.get('/api/conversations/:id/messages', async (req, res) => {
    const { orgId } = apiAuth(res);
    res.json({ items: await listMessages(db, orgId, requireUuid(req.params.id, 'id')) });
  });

  return router;
}
