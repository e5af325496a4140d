import { Router } from 'express';
import type { Db } from '../../../core/db.ts';
import { findLeads, getLead, upsertLead } from '../../../core/leads.ts';
import { pipelineSummary } from '../../../core/pipeline-summary.ts';
import { apiAuth } from '../api-auth.ts';
import { requireUuid } from '../params.ts';

export function leadRoutes(db: Db): Router {
  const router = Router();

  router.post('/api/leads', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const { lead, created } = await upsertLead(db, orgId, req.body ?? {}, actor);
    res.status(created ? 201 : 200).json(lead);
  });

  router.get('/api/leads', async (req, res) => {
    const { orgId } = apiAuth(res);
    res.json({ items: await findLeads(db, orgId, req.query as Record<string, string>) });
  });

  // Before `/api/leads/:id`, which would otherwise take "summary" for an id.
  router.get('/api/leads/summary', async (_req, res) => {
    const { orgId } = apiAuth(res);
    res.json(await pipelineSummary(db, orgId));
  });

  router.get('/api/leads/:id', async (req, res) => {
    const { orgId } = apiAuth(res);
    res.json(await getLead(db, orgId, requireUuid(req.params.id, 'id')));
  });

  return router;
}
