import { type CookieOptions, type Request, Router } from 'express';
import { z } from 'zod';
import {
  type ConversationServiceDeps,
  handBackConversation,
  sendRepMessage,
  takeOverConversation,
} from '../../../core/conversations/conversation-service.ts';
import type { Db } from '../../../core/db.ts';
import { changeDealAsRep, leadDealForRep } from '../../../core/deals/rep-deals.ts';
import { listContactMeetingsForRep } from '../../../core/meetings/meetings.ts';
import {
  getRepAvailability,
  repAvailabilityUpdateSchema,
  setRepAvailability,
} from '../../../core/meetings/rep-availability.ts';
import { assertRepMaySee, leadPanel, repInbox } from '../../../core/rep-inbox.ts';
import { signIn, signOut } from '../../../core/reps.ts';
import type { ClientBundles } from '../../client-bundles.ts';
import { requireUuid } from '../params.ts';
import { refuseCrossSite } from '../refuse-cross-site.ts';
import { currentRep, requireRep, sessionCookie, sessionToken } from '../rep-session.ts';

const signInSchema = z.strictObject({
  email: z.string().trim().min(1, 'email is required'),
  password: z.string().min(1, 'password is required'),
});
const inboxQuerySchema = z.object({ mine: z.enum(['true', 'false']).optional() });
const replySchema = z.strictObject({
  body: z.string().trim().min(1, 'the message is empty').max(4000),
  clientId: z.string().max(200).optional(),
});

export interface ConsoleRouteOptions {
  /** Which providers are live and which only record (config.ts `providerModes`), shown as a banner. */
  providers?: Record<string, string>;
  /**
   * PUBLIC_URL: state-changing console requests must come from its origin, and the session cookie
   * is Secure when it is https. Without it, from the host they were sent to, and Secure follows the
   * request's own protocol.
   */
  publicUrl?: string;
}

/**
 * The rep console: the page, sign-in, the inbox, the lead panel (with the lead's meetings and deal),
 * takeover, reply and hand-back, moving a deal, and the rep's own meeting hours.
 */
export function consoleRoutes(
  db: Db,
  conversations: ConversationServiceDeps,
  bundles: ClientBundles,
  { providers = {}, publicUrl }: ConsoleRouteOptions = {},
): Router {
  const router = Router();
  // Before every route under /console/api, sign-in and sign-out included (login CSRF).
  router.use('/console/api', refuseCrossSite(publicUrl));
  const secureCookie = publicUrl ? new URL(publicUrl).protocol === 'https:' : undefined;
  const cookieOptions = (req: Request): CookieOptions => ({
    httpOnly: true,
    sameSite: 'strict',
    // From PUBLIC_URL when set: a TLS proxy in front is not always one Express trusts.
    secure: secureCookie ?? req.secure,
    path: '/',
  });
  const actorOf = (repId: string) => ({ type: 'rep' as const, id: repId });

  router.get('/console', (_req, res) => {
    res
      .type('html')
      .set(
        'Content-Security-Policy',
        "default-src 'self'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'",
      )
      .send(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
          '<title>QuotaHit console</title></head><body><div id="console-root"></div><script src="/console/app.js" defer></script></body></html>',
      );
  });
  router.get('/console/app.js', (_req, res) => {
    res.type('application/javascript').send(bundles.consoleApp);
  });

  router.post('/console/api/sign-in', async (req, res) => {
    const session = await signIn(db, signInSchema.parse(req.body ?? {}), { address: req.ip });
    res.cookie(sessionCookie, session.token, { ...cookieOptions(req), expires: session.expiresAt });
    res.json({ rep: session.rep });
  });

  router.post('/console/api/sign-out', async (req, res) => {
    const token = sessionToken(req);
    if (token) await signOut(db, token);
    res.clearCookie(sessionCookie, cookieOptions(req)).status(204).end();
  });

  router.use('/console/api', requireRep(db));

  router.get('/console/api/me', (_req, res) => {
    res.json({ rep: currentRep(res), providers });
  });

  // The signed-in rep's own meeting hours (core/meetings/rep-availability.ts).
  router.get('/console/api/me/availability', async (_req, res) => {
    const rep = currentRep(res);
    res.json({ availability: await getRepAvailability(db, rep.orgId, rep.id) });
  });

  router.put('/console/api/me/availability', async (req, res) => {
    const rep = currentRep(res);
    const { availability } = repAvailabilityUpdateSchema.parse(req.body ?? {});
    res.json({
      availability: await setRepAvailability(db, rep.orgId, rep.id, availability, actorOf(rep.id)),
    });
  });

  /** The lead panel's meetings: all of the contact's, or the rep's own where reps see only theirs. */
  router.get('/console/api/contacts/:id/meetings', async (req, res) => {
    const rep = currentRep(res);
    res.json({ items: await listContactMeetingsForRep(db, rep, requireUuid(req.params.id, 'id')) });
  });

  /** The lead panel's deal with its stage history; null before routing opened one. */
  router.get('/console/api/contacts/:id/deal', async (req, res) => {
    const rep = currentRep(res);
    res.json({ deal: await leadDealForRep(db, rep, requireUuid(req.params.id, 'id')) });
  });

  /** A rep moves the deal (`PATCH /api/deals/:id`'s body and rules), as themselves. */
  router.patch('/console/api/deals/:id', async (req, res) => {
    const rep = currentRep(res);
    res.json(await changeDealAsRep(db, rep, requireUuid(req.params.id, 'id'), req.body ?? {}));
  });

  router.get('/console/api/conversations', async (req, res) => {
    const { mine } = inboxQuerySchema.parse(req.query);
    res.json({ items: await repInbox(db, currentRep(res), { mine: mine === 'true' }) });
  });

  router.get('/console/api/conversations/:id', async (req, res) => {
    res.json(await leadPanel(db, currentRep(res), requireUuid(req.params.id, 'id')));
  });

  router.post('/console/api/conversations/:id/takeover', async (req, res) => {
    const rep = currentRep(res);
    const conversationId = requireUuid(req.params.id, 'id');
    await assertRepMaySee(db, rep, conversationId);
    res.json(
      await takeOverConversation(conversations, {
        orgId: rep.orgId,
        conversationId,
        repId: rep.id,
        actor: actorOf(rep.id),
      }),
    );
  });

  router.post('/console/api/conversations/:id/handback', async (req, res) => {
    const rep = currentRep(res);
    const conversationId = requireUuid(req.params.id, 'id');
    await assertRepMaySee(db, rep, conversationId);
    res.json(
      await handBackConversation(conversations, { orgId: rep.orgId, conversationId, actor: actorOf(rep.id) }),
    );
  });

  router.post('/console/api/conversations/:id/messages', async (req, res) => {
    const rep = currentRep(res);
    const conversationId = requireUuid(req.params.id, 'id');
    await assertRepMaySee(db, rep, conversationId);
    const { body, clientId } = replySchema.parse(req.body ?? {});
    res.status(201).json(
      await sendRepMessage(conversations, {
        orgId: rep.orgId,
        conversationId,
        repId: rep.id,
        body,
        clientId,
      }),
    );
  });

  return router;
}
