import type { RequestHandler, Response } from 'express';
import type { Actor } from '../../core/actor.ts';
import type { Db } from '../../core/db.ts';
import { authenticateApiKey } from '../../core/organizations.ts';
import { enforceRateLimit, perMinute } from '../../core/rate-limits.ts';
import { sendProblem } from './problem.ts';

export interface ApiAuth {
  orgId: string;
  actor: Actor;
}

/** The organization a request acts for, set by `requireApiKey`. */
export function apiAuth(res: Response): ApiAuth {
  const auth = res.locals.auth as ApiAuth | undefined;
  if (!auth) throw new Error('route is missing requireApiKey');
  return auth;
}

/** `Authorization: Bearer <apiKey>`: every server API route acts for exactly one organization. */
export function requireApiKey(db: Db): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match) {
      sendProblem(
        res,
        401,
        'Unauthorized',
        'send the organization API key as "Authorization: Bearer <apiKey>"',
      );
      return;
    }
    const key = await authenticateApiKey(db, match[1]!);
    if (!key) {
      sendProblem(res, 401, 'Unauthorized', 'the API key is not valid');
      return;
    }
    await enforceRateLimit(
      db,
      { key: `api:${key.apiKeyId}`, orgId: key.orgId },
      perMinute(key.limits.apiRequestsPerKey),
      'too many requests with this API key',
    );
    res.locals.auth = { orgId: key.orgId, actor: { type: 'api_key', id: key.apiKeyId } } satisfies ApiAuth;
    next();
  };
}
