import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../../core/db.ts';
import { listWorkflowRuns } from '../../../inngest/workflow-runs.ts';
import { apiAuth } from '../api-auth.ts';
import { optionalUuid } from '../params.ts';

const runsQuerySchema = z.object({
  status: z
    .string()
    .regex(
      /^(queued|running|sleeping|waiting|completed|failed)(,(queued|running|sleeping|waiting|completed|failed))*$/,
      'status must be a comma-separated list of run statuses',
    )
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export function workflowRoutes(db: Db): Router {
  const router = Router();
  router.get('/api/workflows/runs', async (req, res) => {
    const { orgId } = apiAuth(res);
    const { status, limit } = runsQuerySchema.parse(req.query);
    res.json({
      items: await listWorkflowRuns(db, orgId, {
        contactId: optionalUuid(req.query.contactId, 'contactId'),
        statuses: status?.split(','),
        limit,
      }),
    });
  });
  return router;
}
