import { Router } from 'express';
import type { Db } from '../../../core/db.ts';
import { listWorkflowRuns } from '../../../inngest/workflow-runs.ts';
import { apiAuth } from '../api-auth.ts';
import { optionalUuid } from '../params.ts';

export function workflowRoutes(db: Db): Router {
  const router = Router();
  router.get('/api/workflows/runs', async (req, res) => {
    const { orgId } = apiAuth(res);
    res.json({
      items: await listWorkflowRuns(db, orgId, { contactId: optionalUuid(req.query.contactId, 'contactId') }),
    });
  });
  return router;
}
