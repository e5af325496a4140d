import { Router } from 'express';
import type { Db } from '../../../core/db.ts';
import { changeDeal, dealListQuerySchema, getDeal, listDeals } from '../../../core/deals/deal-pipeline.ts';
import { apiAuth } from '../api-auth.ts';
import { requireUuid } from '../params.ts';

/**
 * The deal pipeline (core/deals/deal-pipeline.ts): list newest change first, read one with its
 * stage history, move it. A won deal is final (409); `lost` needs a reason (400).
 */
export function dealRoutes(db: Db): Router {
  const router = Router();

  router.get('/api/deals', async (req, res) => {
    const { orgId } = apiAuth(res);
    res.json(await listDeals(db, orgId, dealListQuerySchema.parse(req.query)));
  });

  router.get('/api/deals/:id', async (req, res) => {
    const { orgId } = apiAuth(res);
    res.json(await getDeal(db, orgId, requireUuid(req.params.id, 'id')));
  });

  router.patch('/api/deals/:id', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const dealId = requireUuid(req.params.id, 'id');
    res.json(await changeDeal(db, { orgId, dealId, patch: req.body ?? {}, actor }));
  });

  return router;
}
