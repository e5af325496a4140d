import { timingSafeEqual } from 'node:crypto';
import { type RequestHandler, Router } from 'express';
import type { Db } from '../../../core/db.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { createRep } from '../../../core/reps.ts';
import { sendProblem } from '../problem.ts';

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Lets the CLI act while this server holds the embedded database (one process per data
 * directory): reachable only from this machine, with the token the server wrote into DATA_DIR.
 */
export function adminRoutes(db: Db, adminToken: string): Router {
  const router = Router();
  const expected = Buffer.from(adminToken);
  const onlyLocalAdmin: RequestHandler = (req, res, next) => {
    const given = Buffer.from(req.get('x-admin-token') ?? '');
    const local = loopback.has(req.socket.remoteAddress ?? '');
    if (!local || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      sendProblem(res, 403, 'Forbidden', 'admin routes answer only the local CLI');
      return;
    }
    next();
  };

  router.post('/admin/organizations', onlyLocalAdmin, async (req, res) => {
    res.status(201).json(await createOrganization(db, req.body ?? {}, { type: 'system', id: 'cli' }));
  });

  router.post('/admin/reps', onlyLocalAdmin, async (req, res) => {
    res.status(201).json(await createRep(db, req.body ?? {}, { type: 'system', id: 'cli' }));
  });

  return router;
}
