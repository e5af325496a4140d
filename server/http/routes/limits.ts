import { Router } from 'express';
import type { Db } from '../../../core/db.ts';
import { organizationLimits, updateOrganizationSettings } from '../../../core/organizations.ts';
import { rateLimitSettingsSchema } from '../../../core/rate-limits.ts';
import { apiAuth } from '../api-auth.ts';

/**
 * `GET /api/limits` and `PUT /api/limits`: the organization's per-minute limits on new widget
 * chats, API and console requests (a partial update; what is left out keeps its value).
 */
export function limitRoutes(db: Db): Router {
  const router = Router();

  router.get('/api/limits', async (_req, res) => {
    res.json(await organizationLimits(db, apiAuth(res).orgId));
  });

  router.put('/api/limits', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const change = rateLimitSettingsSchema.partial().parse(req.body ?? {});
    const current = await organizationLimits(db, orgId);
    await updateOrganizationSettings(db, orgId, { limits: { ...current, ...change } }, actor);
    res.json(await organizationLimits(db, orgId));
  });

  return router;
}
