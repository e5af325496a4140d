import { z } from 'zod';
import { channels } from '../outbound-message.ts';
import { storableText } from '../storable-text.ts';

/**
 * One message from a prospect, whatever the channel. Channel adapters (channels/<name>) verify
 * and normalize what their provider sends into this shape; the conversation service takes it
 * from there. Identity is what the channel knows: a widget visitor id, an email address, a phone
 * number, or — for the server API — the contact itself.
 */
export const inboundSenderSchema = z
  .strictObject({
    /** The contact, when the caller already knows it (server-to-server API). */
    contactId: z.uuid('from.contactId must be a UUID').optional(),
    email: z.email('from.email must be an email address').trim().toLowerCase().optional(),
    phone: z.string().trim().min(3).max(40).optional(),
    /** The widget's anonymous visitor id (stable per browser). */
    visitorId: z
      .string()
      .trim()
      .regex(/^[\w.:-]{8,200}$/, 'from.visitorId must be 8-200 letters, digits or . _ : -')
      .optional(),
    firstName: z.string().trim().min(1).max(100).optional(),
    lastName: z.string().trim().min(1).max(100).optional(),
  })
  .refine((from) => from.contactId || from.email || from.phone || from.visitorId, {
    message: 'an inbound message needs a sender: contactId, email, phone or visitorId',
  });

export const inboundMessageSchema = z.strictObject({
  orgId: z.uuid(),
  channel: z.enum(channels),
  from: inboundSenderSchema,
  /** Length is checked against the service's limit, with a clear message, after parsing. */
  body: storableText().trim().min(1, 'the message is empty').max(100_000),
  subject: storableText().trim().max(998).optional(),
  /** The provider's id for the message: the same id twice is the same message (webhook retries). */
  providerMessageId: z.string().trim().min(1).max(300).optional(),
  /** The widget's id for the message: a re-send after a reconnect is stored once. */
  clientId: z.string().trim().min(1).max(200).optional(),
  /** The per-conversation token of a reply address, so an email reply joins its thread. */
  replyToken: z.string().trim().min(1).max(200).optional(),
  /** Channel details worth keeping (page URL, user agent, provider status); never trusted for identity. */
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type InboundMessage = z.input<typeof inboundMessageSchema>;
export type ParsedInboundMessage = z.output<typeof inboundMessageSchema>;
