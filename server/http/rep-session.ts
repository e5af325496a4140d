import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { hashSecret } from '../../core/credentials.ts';
import type { Db } from '../../core/db.ts';
import { organizationLimits } from '../../core/organizations.ts';
import { enforceRateLimit, perMinute } from '../../core/rate-limits.ts';
import { authenticateSession, type Rep } from '../../core/reps.ts';
import { sendProblem } from './problem.ts';

/** The console's session cookie: HttpOnly, SameSite=Strict (other sites cannot ride on it). */
export const sessionCookie = 'qh_session';

export function sessionToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === sessionCookie) return decodeURIComponent(value.join('='));
  }
  const bearer = /^Bearer\s+(qhs_\S+)$/i.exec(req.headers.authorization ?? '');
  return bearer?.[1];
}

/** The signed-in rep, set by `requireRep`. */
export function currentRep(res: Response): Rep {
  const rep = res.locals.rep as Rep | undefined;
  if (!rep) throw new Error('route is missing requireRep');
  return rep;
}

export function requireRep(db: Db): RequestHandler {
  return async (req, res, next) => {
    const token = sessionToken(req);
    const rep = token ? await authenticateSession(db, token) : null;
    if (!rep) {
      sendProblem(res, 401, 'Unauthorized', 'sign in to the console');
      return;
    }
    const limits = await organizationLimits(db, rep.orgId);
    await enforceRateLimit(
      db,
      { key: `console:${hashSecret(token!)}`, orgId: rep.orgId },
      perMinute(limits.consoleRequestsPerSession),
      'too many console requests in this session',
    );
    res.locals.rep = rep;
    next();
  };
}
