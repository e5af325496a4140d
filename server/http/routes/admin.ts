import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP, isIPv4 } from 'node:net';
import { type Request, type RequestHandler, Router } from 'express';
import type { Db } from '../../../core/db.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { createRep } from '../../../core/reps.ts';
import { sendProblem } from '../problem.ts';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Headers a proxy adds: the CLI talks to the server directly and never sends them. */
const forwarded = (name: string) =>
  name === 'forwarded' || name === 'x-real-ip' || name === 'via' || name.startsWith('x-forwarded-');

/** The caller's own address is on this machine, not a proxy's on this machine passing it on. */
function fromThisMachine(req: Request): boolean {
  if (Object.keys(req.headers).some(forwarded)) return false;
  const address = req.ip ?? '';
  return isIP(address) !== 0 && loopback.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}

/**
 * Lets the CLI act while this server holds the embedded database (one process per data
 * directory): reachable only from this machine, with the token the server wrote into DATA_DIR.
 */
export function adminRoutes(db: Db, adminToken: string): Router {
  const router = Router();
  const expected = Buffer.from(adminToken);
  const onlyLocalAdmin: RequestHandler = (req, res, next) => {
    const given = Buffer.from(req.get('x-admin-token') ?? '');
    if (!fromThisMachine(req) || given.length !== expected.length || !timingSafeEqual(given, expected)) {
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
