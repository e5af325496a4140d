import type { IncomingMessage } from 'node:http';
import type { Namespace, Server, Socket } from 'socket.io';
import { z } from 'zod';
import type { ConversationServiceDeps } from '../../core/conversations/conversation-service.ts';
import { acceptInbound } from '../../core/conversations/conversation-service.ts';
import {
  admitNewChat,
  conversationVisitor,
  identifyVisitor,
  repDisplayName,
  visitorTranscript,
} from '../../core/conversations/visitor-identity.ts';
import type { Db } from '../../core/db.ts';
import { isPermanentDataError } from '../../core/db.ts';
import { DomainError } from '../../core/errors.ts';
import { findOrganizationByWidgetKey } from '../../core/organizations.ts';
import {
  enforceRateLimit,
  perMinute,
  type RateLimitSettings,
  rateLimitSettings,
} from '../../core/rate-limits.ts';
import { storableTextProblem, unstorableTextIn } from '../../core/storable-text.ts';
import { embeddingAllowed } from '../../core/widget-settings.ts';
import type { ServerToWidget, WidgetMessage, WidgetToServer } from '../../widget/app/protocol.ts';
import { isOwnOrigin } from '../http/refuse-cross-site.ts';
import type { Logger } from '../logger.ts';

/**
 * The widget's live connection (socket.io namespace `/widget`): thin — it checks the widget key
 * and origin, then calls the conversation service. A message is acknowledged only once stored;
 * replies, typing and mode changes reach every tab of the visitor through their room.
 */
const handshakeSchema = z.object({
  key: z.string().min(1).max(200),
  visitorId: z.string().regex(/^[\w.:-]{8,200}$/),
  origin: z.string().max(500).optional(),
});
// Strict: a payload carries what the visitor says, never who they are (that is `socket.data`).
const sendSchema = z.strictObject({ clientId: z.string().min(1).max(200), body: z.string().max(100_000) });
const syncSchema = z.strictObject({ afterSeq: z.number().int().min(0) });

interface SocketData {
  orgId: string;
  visitorId: string;
  origin?: string;
  address: string;
  limits: RateLimitSettings;
  /** Set once this visitor's chat counted against the new-chat limits (or existed already). */
  chatAdmitted?: boolean;
}

export interface WidgetGatewayOptions {
  /**
   * Where the chat frame is served from (`PUBLIC_URL`; without it, the host the socket was
   * opened to): the one page origin that may connect besides the allowed sites.
   */
  publicUrl?: string;
  /** The client's address, through the trusted proxies (`TRUST_PROXY`). */
  clientAddress(request: IncomingMessage): string;
}

type WidgetSocket = Socket<WidgetToServer, ServerToWidget, Record<string, never>, SocketData>;

const room = (orgId: string, visitorId: string) => `widget:${orgId}:${visitorId}`;

export function attachWidgetGateway(
  io: Server,
  db: Db,
  conversations: ConversationServiceDeps,
  logger: Logger,
  options: WidgetGatewayOptions,
): void {
  const widgets = io.of('/widget') as unknown as Namespace<
    WidgetToServer,
    ServerToWidget,
    Record<string, never>,
    SocketData
  >;
  const log = logger.child({ component: 'widget-gateway' });
  /** The socket each message being stored came from, by organization and client id. */
  const senders = new Map<string, string>();

  widgets.use(async (socket, next) => {
    const auth = handshakeSchema.safeParse(socket.handshake.auth);
    if (!auth.success) return next(new Error('widget key and visitor id are required'));
    const org = await findOrganizationByWidgetKey(db, auth.data.key).catch(() => null);
    if (!org) return next(new Error('unknown widget key'));
    // The chat frame connects from this server's own origin; a site embedding the frame was
    // already checked by CSP frame-ancestors, and is checked again here by its stated origin. A
    // page that opens the socket itself (its browser sends its real Origin) must be allowed too.
    const pageOrigin = socket.handshake.headers.origin;
    const fromFrame =
      !pageOrigin || isOwnOrigin(pageOrigin, options.publicUrl, socket.handshake.headers.host);
    if (!fromFrame && !embeddingAllowed(org, pageOrigin))
      return next(new Error('this site may not embed the chat'));
    if (!embeddingAllowed(org, auth.data.origin)) return next(new Error('this site may not embed the chat'));
    socket.data = {
      orgId: org.id,
      visitorId: auth.data.visitorId,
      origin: auth.data.origin,
      address: options.clientAddress(socket.request),
      limits: rateLimitSettings(org.settings.limits),
    };
    next();
  });

  const admitChat = async (socket: WidgetSocket) => {
    if (socket.data.chatAdmitted) return;
    await admitNewChat(db, socket.data);
    socket.data.chatAdmitted = true;
  };

  widgets.on('connection', (socket: WidgetSocket) => {
    const { orgId, visitorId } = socket.data;
    void socket.join(room(orgId, visitorId));
    // Text the database cannot store is refused before any handler, for good: a retry would fail alike.
    socket.use(([, payload, ...rest], next) => {
      const field = unstorableTextIn(payload);
      if (!field) return next();
      const answer = typeof payload === 'function' ? payload : rest.at(-1);
      if (typeof answer === 'function') answer(finalRefusal(`${field} ${storableTextProblem}`));
    });

    socket.on('sync', async (request, answer) => {
      if (typeof answer !== 'function') return;
      const parsed = syncSchema.safeParse(request);
      if (!parsed.success) return answer({ error: 'afterSeq must be a whole number' });
      try {
        const transcript = await visitorTranscript(db, orgId, visitorId, parsed.data.afterSeq);
        answer({
          messages: transcript.messages.map(toWidgetMessage),
          mode: transcript.mode,
          repName: transcript.repName,
        });
      } catch (error) {
        log.error({ err: error }, 'sync failed');
        answer({ error: 'could not load the conversation' });
      }
    });

    socket.on('send', async (request, answer) => {
      if (typeof answer !== 'function') return;
      const parsed = sendSchema.safeParse(request);
      if (!parsed.success) return answer(finalRefusal('the message could not be read'));
      // The sending tab learns of its message from the ack; the visitor's other tabs from the room.
      const sending = `${orgId}:${parsed.data.clientId}`;
      senders.set(sending, socket.id);
      try {
        await admitChat(socket);
        const stored = await acceptInbound(conversations, {
          orgId,
          channel: 'web',
          from: { visitorId },
          body: parsed.data.body,
          clientId: parsed.data.clientId,
          metadata: { origin: socket.data.origin, userAgent: socket.handshake.headers['user-agent'] },
        });
        answer({ ok: true, message: toWidgetMessage({ ...stored.message, authorName: null }) });
      } catch (error) {
        if (error instanceof DomainError && (error.kind === 'invalid' || error.kind === 'rate_limited')) {
          return answer(finalRefusal(error.message));
        }
        if (isPermanentDataError(error)) {
          log.warn({ err: error }, 'a widget message the database refused');
          return answer(finalRefusal('this message cannot be sent'));
        }
        log.error({ err: error }, 'storing a widget message failed');
        answer({ ok: false, error: 'not stored yet', retry: true });
      } finally {
        senders.delete(sending);
      }
    });

    socket.on('typing', (state) => {
      // The prospect's typing is for reps watching the conversation (console namespace).
      if (state && typeof state.on === 'boolean')
        io.of('/console').to(`org:${orgId}`).emit('visitor:typing', { visitorId, on: state.on });
    });

    socket.on('prechat', async (details, answer) => {
      if (typeof answer !== 'function') return;
      try {
        await admitChat(socket);
        await identifyVisitor(
          db,
          {
            orgId,
            visitorId,
            ip: socket.data.address,
            userAgent: socket.handshake.headers['user-agent']?.slice(0, 1000),
          },
          details,
        );
        answer({ ok: true });
      } catch (error) {
        if (error instanceof DomainError) return answer({ ok: false, error: error.message });
        log.error({ err: error }, 'pre-chat failed');
        answer({ ok: false, error: 'something went wrong; please try again' });
      }
    });
  });

  // Live events of web conversations go to the visitor's room (every tab, every server node),
  // one conversation's events strictly in order (each waits for the one before it).
  const visitors = new Map<string, string | null>();
  const queues = new Map<string, Promise<void>>();
  const visitorOf = async (orgId: string, conversationId: string) => {
    if (!visitors.has(conversationId)) {
      if (visitors.size > 10_000) visitors.clear();
      visitors.set(conversationId, await conversationVisitor(db, orgId, conversationId));
    }
    return visitors.get(conversationId) ?? null;
  };
  conversations.feed.subscribe((event) => {
    // Read now: the message is announced while its sender still waits for the ack.
    const sender =
      event.type === 'message' && event.message.clientId
        ? senders.get(`${event.orgId}:${event.message.clientId}`)
        : undefined;
    const previous = queues.get(event.conversationId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const visitorId = await visitorOf(event.orgId, event.conversationId);
      if (!visitorId) return;
      const to = sender
        ? widgets.to(room(event.orgId, visitorId)).except(sender)
        : widgets.to(room(event.orgId, visitorId));
      if (event.type === 'message') {
        if (['refused', 'failed'].includes(event.message.status)) return;
        const authorName =
          event.message.sender === 'rep'
            ? await repDisplayName(db, event.orgId, event.message.authorId)
            : null;
        to.emit('message', toWidgetMessage({ ...event.message, authorName }));
      } else if (event.type === 'reply.delta') {
        to.emit('delta', { streamId: event.inReplyTo, text: event.delta });
      } else if (event.type === 'typing') {
        to.emit('typing', { who: 'agent', on: event.state === 'start' });
      } else if (event.type === 'mode') {
        to.emit('mode', {
          mode: event.mode,
          repName: await repDisplayName(db, event.orgId, event.assignedRepId),
        });
      }
    });
    const settled = next
      .catch((error) => log.error({ err: error }, 'pushing a conversation event failed'))
      .finally(() => {
        if (queues.get(event.conversationId) === settled) queues.delete(event.conversationId);
      });
    queues.set(event.conversationId, settled);
  });
}

/** A refusal the widget must not retry: the same message would be refused again. */
const finalRefusal = (error: string) => ({ ok: false as const, error, retry: false });

function toWidgetMessage(message: {
  id: string;
  seq: number;
  sender: WidgetMessage['sender'];
  body: string;
  createdAt: string;
  clientId: string | null;
  authorName: string | null;
}): WidgetMessage {
  return {
    id: message.id,
    seq: message.seq,
    sender: message.sender,
    body: message.body,
    createdAt: message.createdAt,
    clientId: message.clientId,
    authorName: message.authorName,
  };
}
