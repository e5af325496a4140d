import { z } from 'zod';
import type { InboundMessage } from '../../core/conversations/inbound-message.ts';
import { DomainError } from '../../core/errors.ts';
import type { ChannelAdapter, InboundRequest, OutboundMessage } from '../channel-adapter.ts';

/**
 * The website chat. The socket.io gateway authenticates the widget (its public widget key and
 * the page's origin) and resolves the organization before a payload gets here, so there is no
 * signature to check; this adapter only validates the payload and names the visitor. Replies
 * reach the widget live through the conversation feed (core/conversations/conversation-feed.ts);
 * the sender just confirms them, so the delivery ledger has a row for each.
 */
export const webMessagePayloadSchema = z.strictObject({
  /** Stable per browser; the widget keeps it in local storage. */
  visitorId: z
    .string()
    .trim()
    .regex(/^[\w.:-]{8,200}$/, 'visitorId must be 8-200 letters, digits or . _ : -'),
  /** The widget's id for this message: a re-send after a reconnect is stored once. */
  clientId: z.string().trim().min(1, 'clientId is required').max(200),
  body: z.string(),
  /** Optional pre-chat details. */
  firstName: z.string().trim().min(1).max(100).optional(),
  lastName: z.string().trim().min(1).max(100).optional(),
  email: z.email('email must be an email address').optional(),
  phone: z.string().trim().min(3).max(40).optional(),
  pageUrl: z.url().max(2000).optional(),
});
export type WebMessagePayload = z.infer<typeof webMessagePayloadSchema>;

export interface WebChannelOptions {
  /** Called for each reply the gate let through (the gateway may use it instead of the feed). */
  onSend?: (message: OutboundMessage) => void;
}

export function createWebChannel(options: WebChannelOptions = {}): ChannelAdapter {
  return {
    channel: 'web',
    // Authenticated upstream by widget key and origin; see above.
    verify: (request: InboundRequest) => typeof request.orgId === 'string' && request.orgId.length > 0,
    parseInbound(request: InboundRequest): InboundMessage[] {
      const parsed = webMessagePayloadSchema.safeParse(request.body);
      if (!parsed.success) throw new DomainError('invalid', z.prettifyError(parsed.error));
      const payload = parsed.data;
      const userAgent = request.headers['user-agent'];
      return [
        {
          orgId: request.orgId,
          channel: 'web',
          from: {
            visitorId: payload.visitorId,
            ...(payload.email ? { email: payload.email } : {}),
            ...(payload.phone ? { phone: payload.phone } : {}),
            ...(payload.firstName ? { firstName: payload.firstName } : {}),
            ...(payload.lastName ? { lastName: payload.lastName } : {}),
          },
          body: payload.body,
          clientId: payload.clientId,
          metadata: {
            ...(payload.pageUrl ? { pageUrl: payload.pageUrl } : {}),
            ...(userAgent ? { userAgent: userAgent.slice(0, 500) } : {}),
          },
        },
      ];
    },
    sender: {
      channel: 'web',
      mode: 'live',
      // Nothing leaves the process: confirming a reply twice is harmless.
      idempotent: true,
      async send(message) {
        options.onSend?.(message);
        return { providerMessageId: `web:${message.idempotencyKey}` };
      },
    },
  };
}
