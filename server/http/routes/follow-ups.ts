import { Router } from 'express';
import { z } from 'zod';
import type { ConversationServiceDeps } from '../../../core/conversations/conversation-service.ts';
import type { Db } from '../../../core/db.ts';
import { executeDueFollowUps } from '../../../core/follow-ups/execute-due-follow-ups.ts';
import {
  cancelSequences,
  listFollowUpSequences,
  scheduleSequence,
} from '../../../core/follow-ups/follow-up-sequences.ts';
import {
  getFollowUpSequences,
  saveFollowUpSettings,
  sequenceNameSchema,
} from '../../../core/follow-ups/follow-up-settings.ts';
import { apiAuth } from '../api-auth.ts';
import { optionalUuid } from '../params.ts';

const contactId = z.uuid('contactId must be a UUID');
const executeSchema = z.strictObject({
  limit: z.number().int('limit must be a whole number').min(1).max(1_000).optional(),
});
const scheduleSchema = z.strictObject({ contactId, sequence: sequenceNameSchema });
const cancelSchema = z.strictObject({ contactId, sequence: sequenceNameSchema.optional() });

/**
 * Follow-up sequences: run the due touches now (`POST /api/follow-ups/execute` →
 * `{sent, failed, skipped}`, this organization's only), list a contact's sequences with their
 * touches, start or stop one by hand, and read or save the organization's sequence texts.
 */
export function followUpRoutes(options: { db: Db; conversations: ConversationServiceDeps }): Router {
  const { db, conversations } = options;
  const router = Router();

  router.post('/api/follow-ups/execute', async (req, res) => {
    const { orgId } = apiAuth(res);
    const { limit } = executeSchema.parse(req.body ?? {});
    res.json(await executeDueFollowUps({ db, conversations }, { orgId, limit }));
  });

  router.get('/api/follow-ups', async (req, res) => {
    const { orgId } = apiAuth(res);
    const filter = { contactId: optionalUuid(req.query.contactId, 'contactId') };
    res.json({ items: await listFollowUpSequences(db, orgId, filter) });
  });

  /** `{contactId, sequence}` → 201 with the new sequence; 200 `{scheduled: false, reason}` otherwise. */
  router.post('/api/follow-ups/schedule', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const input = scheduleSchema.parse(req.body ?? {});
    const result = await scheduleSequence(db, orgId, input.contactId, input.sequence, { actor });
    res.status(result.scheduled ? 201 : 200).json(result);
  });

  /** `{contactId, sequence?}` → `{cancelled}`: the contact's active sequences (or the one named) stop. */
  router.post('/api/follow-ups/cancel', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const input = cancelSchema.parse(req.body ?? {});
    res.json(
      await cancelSequences(db, orgId, input.contactId, 'cancelled_on_request', {
        name: input.sequence,
        actor,
      }),
    );
  });

  router.get('/api/follow-ups/sequences', async (_req, res) => {
    const { orgId } = apiAuth(res);
    res.json({ sequences: await getFollowUpSequences(db, orgId) });
  });

  /** `{sequences: {name: {enabled?, steps}}}` replaces the organization's own sequences. */
  router.put('/api/follow-ups/sequences', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    res.json({ sequences: await saveFollowUpSettings(db, orgId, req.body ?? {}, actor) });
  });

  return router;
}
