import { type Request, Router } from 'express';
import { z } from 'zod';
import {
  getHandoffSettings,
  listWaitingForRep,
  updateHandoffSettings,
} from '../../../core/conversations/rep-handoff.ts';
import type { Db } from '../../../core/db.ts';
import { type PaymentProvider, recordedPaymentLinks } from '../../../core/payments/payment-links.ts';
import { listRoutingQueue } from '../../../core/routing/lead-assignments.ts';
import { assignQueuedLeads, routeLead } from '../../../core/routing/route-lead.ts';
import { getRoutingSettings, updateRoutingSettings } from '../../../core/routing/routing-settings.ts';
import { apiAuth } from '../api-auth.ts';

const routeLeadSchema = z.strictObject({ contactId: z.uuid('contactId must be a UUID') });

/** Without a configured provider, test-mode links point at the host the caller used. */
const requestOrigin = (req: Request) => `${req.protocol}://${req.get('host')}`;

/**
 * Routing: `POST /api/leads/route` (`{contactId}` → `{mode, repId?, paymentUrl?, reasons}`), the
 * organization's routing and handoff settings, and the queue of leads waiting for a rep (with the
 * conversations whose prospect asked for a person).
 */
export function routingRoutes(options: { db: Db; payments?: PaymentProvider }): Router {
  const { db } = options;
  const router = Router();

  router.post('/api/leads/route', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    const { contactId } = routeLeadSchema.parse(req.body ?? {});
    const payments = options.payments?.links ?? recordedPaymentLinks(requestOrigin(req));
    res.json(await routeLead({ db, payments }, orgId, contactId, actor));
  });

  router.get('/api/routing/settings', async (_req, res) => {
    const { orgId } = apiAuth(res);
    res.json(await getRoutingSettings(db, orgId));
  });

  router.put('/api/routing/settings', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    res.json(await updateRoutingSettings(db, orgId, req.body ?? {}, actor));
  });

  router.get('/api/routing/queue', async (_req, res) => {
    const { orgId } = apiAuth(res);
    const [items, handoffs] = await Promise.all([listRoutingQueue(db, orgId), listWaitingForRep(db, orgId)]);
    res.json({ items, handoffs });
  });

  router.get('/api/handoff/settings', async (_req, res) => {
    const { orgId } = apiAuth(res);
    res.json(await getHandoffSettings(db, orgId));
  });

  router.put('/api/handoff/settings', async (req, res) => {
    const { orgId, actor } = apiAuth(res);
    res.json(await updateHandoffSettings(db, orgId, req.body ?? {}, actor));
  });

  /** Gives waiting leads to reps with free capacity now: → `{assigned:[{contactId, repId}], waiting}`. */
  router.post('/api/routing/queue/assign', async (_req, res) => {
    const { orgId, actor } = apiAuth(res);
    res.json(await assignQueuedLeads({ db }, orgId, actor));
  });

  return router;
}
