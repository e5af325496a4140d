import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../../core/db.ts';
import { getScoringProfile, updateScoringProfile } from '../../../core/scoring/rescore-organization.ts';
import { scoreLead } from '../../../core/scoring/score-lead.ts';
import { apiAuth } from '../api-auth.ts';

const scoreLeadSchema = z.strictObject({ contactId: z.uuid('contactId must be a UUID') });

export function scoringRoutes(db: Db): Router {
  const router = Router();

  /** Manual re-score of one lead: `{contactId}` → `{score, breakdown, ...}`. */
  router.post('/api/leads/score', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const { contactId } = scoreLeadSchema.parse(req.body ?? {});
    res.json(await scoreLead(db, orgId, contactId, 'manual', { actor }));
  });

  /** The organization's scoring profile, with the defaults for what it has not set. */
  router.get('/api/scoring/profile', async (_req, res) => {
    const { orgId } = apiAuth(res);
    res.json(await getScoringProfile(db, orgId));
  });

  /** Replaces the profile and re-scores every contact: → `{rescored, changed, profile}`. */
  router.put('/api/scoring/profile', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    res.json(await updateScoringProfile(db, orgId, req.body ?? {}, actor));
  });

  return router;
}
