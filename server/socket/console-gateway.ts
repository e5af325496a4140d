import type { Server } from 'socket.io';
import type { ConversationServiceDeps } from '../../core/conversations/conversation-service.ts';
import type { Db } from '../../core/db.ts';
import { conversationOwners, repMaySee, repVisibility } from '../../core/rep-inbox.ts';
import { authenticateSession, type Rep } from '../../core/reps.ts';
import { crossSiteReason, expectedOrigin } from '../http/refuse-cross-site.ts';
import { sessionToken } from '../http/rep-session.ts';
import type { Logger } from '../logger.ts';

/**
 * The console's live inbox (socket.io namespace `/console`): a rep's session cookie admits them
 * to their organization's room; every conversation event of that organization is pushed to the
 * reps allowed to see that conversation.
 */
export function attachConsoleGateway(
  io: Server,
  db: Db,
  conversations: ConversationServiceDeps,
  logger: Logger,
  /** PUBLIC_URL: a browser's handshake must come from its origin (without it: from the Host it names). */
  options: { publicUrl?: string } = {},
): void {
  const consoles = io.of('/console');
  const log = logger.child({ component: 'console-gateway' });

  consoles.use(async (socket, next) => {
    // WebSockets have no CORS: any page may open one, and the cookie rides along whenever the
    // browser deems the page same-site (a sibling subdomain) or ignores SameSite. So a browser's
    // handshake from another origin is refused before the cookie is read (cross-site hijacking).
    const { origin, host } = socket.request.headers;
    if (origin !== undefined) {
      const refused = crossSiteReason({ origin }, expectedOrigin(options.publicUrl, host));
      if (refused) return next(new Error(refused));
    }
    const token = sessionToken(socket.request);
    const rep = token ? await authenticateSession(db, token).catch(() => null) : null;
    if (!rep) return next(new Error('sign in to the console'));
    socket.data.rep = rep;
    next();
  });

  consoles.on('connection', (socket) => {
    void socket.join(`org:${(socket.data.rep as Rep).orgId}`);
  });

  conversations.feed.subscribe((event) => {
    if (event.type === 'reply.delta') return; // the stored reply follows; consoles need not stream
    void (async () => {
      const sockets = await consoles.in(`org:${event.orgId}`).fetchSockets();
      if (sockets.length === 0) return;
      // Looked up once per event, then the same rule decides for every connected rep.
      const [owners, visibility] = await Promise.all([
        conversationOwners(db, event.orgId, event.conversationId),
        repVisibility(db, event.orgId),
      ]);
      if (!owners) return;
      for (const socket of sockets) {
        if (repMaySee(socket.data.rep as Rep, visibility, owners)) socket.emit('conversation', event);
      }
    })().catch((error) => log.error({ err: error }, 'pushing to consoles failed'));
  });
}
