import { Resend } from 'resend';
import { Webhook } from 'svix';
import { z } from 'zod';
import type { InboundMessage } from '../../core/conversations/inbound-message.ts';
import { findReplyToken, formatReplyAddress } from '../../core/conversations/reply-address.ts';
import type { ProviderStatus } from '../../core/delivery-status.ts';
import { DomainError } from '../../core/errors.ts';
import { ProviderRejectedError } from '../../core/outbound.ts';
import type { ChannelSender } from '../../core/outbound-message.ts';
import type { ChannelAdapter, InboundRequest, OutboundMessage } from '../channel-adapter.ts';
import { extractReplyText, htmlToText } from './reply-text.ts';

/**
 * Email through Resend. Out: `POST /emails` with an idempotency key (Resend replays the answer for
 * a repeated key, so a retry never sends twice), the conversation's reply address as Reply-To and
 * the compliance headers `sendOutbound` composed; 429, 5xx and lost answers are retried with
 * backoff. In: Resend's webhooks, signed by Svix. An `email.received` event carries only the
 * email's envelope; its text is fetched from the Receiving API (`loadReceivedEmail`) and reduced
 * to what the prospect newly wrote. Delivery events become provider statuses. No database here:
 * the webhook route finds the organization and calls core/.
 */

export interface EmailRetryOptions {
  /** Calls in all, the first included. */
  attempts?: number;
  /** The first backoff; it doubles each time, with jitter. */
  baseDelayMs?: number;
  /** No single wait is longer; a Retry-After beyond it ends the retries instead. */
  maxDelayMs?: number;
  /** How to wait (tests pass one that records and returns at once). */
  sleep?: (ms: number) => Promise<void>;
}

export interface EmailChannelOptions {
  /** RESEND_API_KEY. */
  apiKey: string;
  /** EMAIL_FROM, e.g. `Brightwave Sales <sales@brightwave.example>`. */
  from: string;
  /** EMAIL_REPLY_DOMAIN: replies go to `reply+TOKEN@<domain>`. Without it, replies go to `from`. */
  replyDomain?: string;
  /** RESEND_WEBHOOK_SECRET (`whsec_…`); without it no webhook verifies. */
  webhookSecret?: string;
  /** RESEND_BASE_URL (tests point it at a loopback server). */
  baseUrl?: string;
  retry?: EmailRetryOptions;
}

/** A Resend webhook event: its type, when it happened, and the type's data (checked per type). */
export interface ResendWebhookEvent {
  type: string;
  created_at?: string;
  data: Record<string, unknown>;
}
export const resendWebhookEventSchema = z.looseObject({
  type: z.string().min(1),
  created_at: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});

const addressList = z.array(z.string()).nullish();

/**
 * `email.received` as Resend sends it (envelope only), plus what `loadReceivedEmail` adds from
 * the Receiving API: `text`, `html`, `headers`.
 */
export const receivedEmailEventSchema = z.looseObject({
  type: z.literal('email.received'),
  created_at: z.string().optional(),
  data: z.looseObject({
    email_id: z.string().trim().min(1, 'data.email_id is required').max(300),
    from: z.string().trim().min(3, 'data.from is required'),
    to: z.array(z.string()).default([]),
    cc: addressList,
    bcc: addressList,
    received_for: addressList,
    subject: z.string().nullish(),
    message_id: z.string().nullish(),
    text: z.string().nullish(),
    html: z.string().nullish(),
    headers: z.record(z.string(), z.unknown()).nullish(),
  }),
});
export type ReceivedEmailEvent = z.infer<typeof receivedEmailEventSchema>;

const deliveryEventData = z.looseObject({
  email_id: z.string().trim().min(1, 'data.email_id is required').max(300),
  bounce: z
    .looseObject({
      type: z.string().optional(),
      subType: z.string().optional(),
      message: z.string().optional(),
    })
    .optional(),
  failed: z.looseObject({ reason: z.string().optional() }).optional(),
  suppressed: z.looseObject({ type: z.string().optional(), message: z.string().optional() }).optional(),
});

/** Resend's delivery events and the provider status each one means (core/delivery-status.ts). */
const deliveryStatusOf: Record<string, ProviderStatus> = {
  'email.scheduled': 'queued',
  'email.sent': 'sent',
  'email.delivery_delayed': 'delivery_delayed',
  'email.delivered': 'delivered',
  'email.opened': 'opened',
  'email.clicked': 'clicked',
  'email.bounced': 'bounced',
  'email.complained': 'complained',
  'email.failed': 'failed',
  // Resend did not send: the address is on its suppression list after an earlier hard bounce or
  // complaint. To the gate that is a hard bounce, so it stops trying too.
  'email.suppressed': 'bounced',
};

export interface EmailDeliveryEvent {
  /** Resend's email id, as the sender returned it. */
  providerMessageId: string;
  status: ProviderStatus;
  occurredAt?: Date;
  /** A bounce that will not change on retry: the address gets suppressed. */
  permanent?: boolean;
  error?: string;
}

export interface ReceivedEnvelope {
  emailId: string;
  /** The sender's bare address, lower-cased. */
  from: string;
  /** The conversation token of the reply address it was sent to, if any. */
  replyToken: string | null;
}

export interface EmailChannel extends ChannelAdapter {
  readonly channel: 'email';
  /** Whether a webhook secret is configured, so webhooks can be verified at all. */
  readonly acceptsWebhooks: boolean;
  /** The Svix signature over the exact body, with Svix's five-minute timestamp tolerance. */
  verifyWebhook(rawBody: string | undefined, headers: Record<string, string | undefined>): boolean;
  /** A verified body as an event; a body that is not one is DomainError('invalid'). */
  parseWebhookEvent(rawBody: string): ResendWebhookEvent;
  /** Who sent an `email.received` and to which reply address: enough to find the organization. */
  readReceivedEnvelope(event: ResendWebhookEvent): ReceivedEnvelope;
  /** The event with the email's text, HTML and headers from Resend's Receiving API. */
  loadReceivedEmail(event: ResendWebhookEvent): Promise<ReceivedEmailEvent>;
  /** A delivery event's status; null for events that are not about a sent email's delivery. */
  parseDeliveryEvent(event: ResendWebhookEvent): EmailDeliveryEvent | null;
  readonly sender: ChannelSender;
}

const defaultRetry = { attempts: 4, baseDelayMs: 250, maxDelayMs: 5_000 };
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createEmailChannel(options: EmailChannelOptions): EmailChannel {
  if (!options.apiKey) throw new Error('the email channel needs a Resend API key (RESEND_API_KEY)');
  if (!options.from) throw new Error('the email channel needs a sender address (EMAIL_FROM)');
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  const webhook = options.webhookSecret ? signingKey(options.webhookSecret) : null;
  const retry = { ...defaultRetry, sleep: wait, ...options.retry };
  const replyDomain = options.replyDomain?.toLowerCase();

  const verifyWebhook: EmailChannel['verifyWebhook'] = (rawBody, headers) => {
    const id = headers['svix-id'];
    const timestamp = headers['svix-timestamp'];
    const signature = headers['svix-signature'];
    if (!webhook || rawBody === undefined || !id || !timestamp || !signature) return false;
    try {
      webhook.verify(rawBody, { 'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': signature });
      return true;
    } catch {
      return false;
    }
  };

  const readReceivedEnvelope = (event: ResendWebhookEvent): ReceivedEnvelope => {
    const received = parseReceived(event);
    const from = senderOf(received.data.from);
    const { to, cc, received_for } = received.data;
    return {
      emailId: received.data.email_id,
      from: from.address,
      replyToken: findReplyToken([...(received_for ?? []), ...to, ...(cc ?? [])], replyDomain),
    };
  };

  return {
    channel: 'email',
    acceptsWebhooks: webhook !== null,
    verifyWebhook,
    verify: (request: InboundRequest) => verifyWebhook(request.rawBody, request.headers),

    parseWebhookEvent(rawBody) {
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        throw new DomainError('invalid', 'the webhook body is not JSON');
      }
      return parseOrInvalid(resendWebhookEventSchema, json, 'the webhook body is not a Resend event');
    },

    readReceivedEnvelope,

    parseInbound(request: InboundRequest): InboundMessage[] {
      const event = parseOrInvalid(resendWebhookEventSchema, request.body, 'the body is not a Resend event');
      // A delivery event carries no prospect message.
      if (event.type !== 'email.received') return [];
      const received = parseReceived(event);
      const { data } = received;
      if (data.text == null && data.html == null) {
        throw new DomainError(
          'invalid',
          'the email.received event carries no content: load it from the Receiving API first',
        );
      }
      const written = data.text?.trim() ? data.text : htmlToText(data.html ?? '');
      const reply = extractReplyText(written);
      const subject = data.subject?.trim().slice(0, 998) || undefined;
      // A reply with no text at all (an attachment, say) still says something: its subject.
      const body = reply || subject;
      if (!body) throw new DomainError('invalid', 'the email has neither text nor a subject');
      const sender = senderOf(data.from);
      const envelope = readReceivedEnvelope(received);
      return [
        {
          orgId: request.orgId,
          channel: 'email',
          from: { email: sender.address, ...sender.name },
          body,
          ...(subject ? { subject } : {}),
          providerMessageId: data.email_id,
          ...(envelope.replyToken ? { replyToken: envelope.replyToken } : {}),
          metadata: {
            ...(data.message_id ? { emailMessageId: data.message_id.slice(0, 998) } : {}),
            quotedHistoryRemoved: reply !== written.replace(/\r\n?/g, '\n').trim(),
          },
        },
      ];
    },

    async loadReceivedEmail(event) {
      const received = parseReceived(event);
      const email = await withRetries(retry, 'Resend (Receiving API)', () =>
        resend.emails.receiving.get(received.data.email_id),
      );
      return {
        ...received,
        data: { ...received.data, text: email.text, html: email.html, headers: email.headers },
      };
    },

    parseDeliveryEvent: parseResendDeliveryEvent,

    sender: {
      channel: 'email',
      mode: 'live',
      // Resend dedupes by Idempotency-Key for 24 hours: re-sending after a crash is safe.
      idempotent: true,
      async send(message: OutboundMessage) {
        const replyTo =
          message.replyToken && replyDomain ? formatReplyAddress(message.replyToken, replyDomain) : undefined;
        const headers =
          message.headers && Object.keys(message.headers).length > 0 ? message.headers : undefined;
        const payload = {
          from: options.from,
          to: [message.to],
          subject: message.subject?.trim() || `A message from ${displayName(options.from)}`,
          text: message.body,
          ...(replyTo ? { replyTo } : {}),
          ...(headers ? { headers } : {}),
          ...(message.attachments?.length
            ? {
                // Resend takes the content base64-encoded.
                attachments: message.attachments.map((attachment) => ({
                  filename: attachment.filename,
                  contentType: attachment.contentType,
                  content: Buffer.from(attachment.content, 'utf8').toString('base64'),
                })),
              }
            : {}),
        };
        // Keys are unique per organization in the ledger, Resend's per account: the org makes them one.
        const idempotencyKey = `${message.orgId}/${message.idempotencyKey}`;
        const sent = await withRetries(retry, 'Resend', () =>
          resend.emails.send(payload, { idempotencyKey }),
        );
        return { providerMessageId: sent.id };
      },
    },
  };
}

/** Resend's delivery event as a provider status; null for any other event. */
export function parseResendDeliveryEvent(event: ResendWebhookEvent): EmailDeliveryEvent | null {
  if (!Object.hasOwn(deliveryStatusOf, event.type)) return null;
  const status = deliveryStatusOf[event.type]!;
  const data = parseOrInvalid(deliveryEventData, event.data, `the ${event.type} event is malformed`);
  const occurredAt = event.created_at ? new Date(event.created_at) : undefined;
  const base = {
    providerMessageId: data.email_id,
    status,
    ...(occurredAt && !Number.isNaN(occurredAt.getTime()) ? { occurredAt } : {}),
  };
  if (event.type === 'email.bounced') {
    const bounce = data.bounce ?? {};
    const error = [[bounce.type, bounce.subType].filter(Boolean).join('/'), bounce.message]
      .filter(Boolean)
      .join(': ');
    // Resend reports SES's bounce types: `Permanent` will not succeed later; `Transient` may.
    return {
      ...base,
      permanent: bounce.type === 'Permanent',
      ...(error ? { error: error.slice(0, 500) } : {}),
    };
  }
  if (event.type === 'email.suppressed') {
    const message = ['suppressed', data.suppressed?.type, data.suppressed?.message]
      .filter(Boolean)
      .join(': ');
    return { ...base, permanent: true, error: message.slice(0, 500) };
  }
  if (event.type === 'email.failed' && data.failed?.reason) {
    return { ...base, error: data.failed.reason.slice(0, 500) };
  }
  return base;
}

function signingKey(secret: string): Webhook {
  try {
    return new Webhook(secret);
  } catch {
    throw new Error('RESEND_WEBHOOK_SECRET is not a Svix signing secret (whsec_…)');
  }
}

function parseOrInvalid<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new DomainError('invalid', `${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function parseReceived(event: ResendWebhookEvent): ReceivedEmailEvent {
  return parseOrInvalid(receivedEmailEventSchema, event, 'the email.received event is malformed');
}

const emailAddress = z.email();

/** `Pat Lee <pat@acme.example>` → the address and, when there is one, the name as first/last. */
function senderOf(mailbox: string): {
  address: string;
  name: { firstName?: string; lastName?: string };
} {
  const angle = mailbox.match(/^(.*)<([^<>]+)>\s*$/);
  const address = (angle ? angle[2]! : mailbox).trim().toLowerCase();
  if (!emailAddress.safeParse(address).success) {
    throw new DomainError('invalid', 'the sender (data.from) is not an email address');
  }
  const display = (angle?.[1] ?? '')
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .trim();
  if (!display || display.includes('@')) return { address, name: {} };
  // "Lee, Pat" is last name first.
  const [first, ...rest] = display.includes(',')
    ? display
        .split(',')
        .map((part) => part.trim())
        .reverse()
    : display.split(/\s+/);
  const lastName = rest.join(' ').trim();
  return {
    address,
    name: {
      ...(first ? { firstName: first.slice(0, 100) } : {}),
      ...(lastName ? { lastName: lastName.slice(0, 100) } : {}),
    },
  };
}

function displayName(mailbox: string): string {
  const angle = mailbox.match(/^(.*)<[^<>]+>\s*$/);
  return angle?.[1]?.trim().replace(/^"(.*)"$/, '$1') || mailbox.trim();
}

interface ResendResult<T> {
  data: T | null;
  error: { statusCode: number | null; name: string; message: string } | null;
  headers: Record<string, string> | null;
}

/**
 * Calls Resend until it answers, retrying what a retry can fix — a rate limit (429), a server
 * error (5xx), no answer at all, or the same key still in flight (409
 * `concurrent_idempotent_requests`) — with exponential backoff, or the Retry-After Resend asked
 * for. Any other 4xx means Resend refused the request and sent nothing: ProviderRejectedError.
 */
async function withRetries<T>(
  retry: Required<EmailRetryOptions>,
  provider: string,
  call: () => Promise<ResendResult<T>>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const result = await call();
    if (!result.error) {
      if (result.data === null) throw new Error(`${provider} answered without a body`);
      return result.data;
    }
    const { statusCode, name, message } = result.error;
    const status = typeof statusCode === 'number' ? statusCode : null;
    const described = `${status ?? 'no answer'} ${name}: ${message}`.slice(0, 400);
    const retryable =
      status === null ||
      status === 429 ||
      status >= 500 ||
      (status === 409 && name === 'concurrent_idempotent_requests');
    if (!retryable) throw new ProviderRejectedError(`${provider} refused the request (${described})`);
    if (attempt >= retry.attempts) {
      throw new Error(`${provider} did not answer after ${attempt} attempts (last: ${described})`);
    }
    const asked = retryAfterMs(result.headers?.['retry-after']);
    if (asked !== null && asked > retry.maxDelayMs) {
      throw new Error(`${provider} asked to wait ${Math.ceil(asked / 1000)}s before retrying (${described})`);
    }
    const backoff = retry.baseDelayMs * 2 ** (attempt - 1);
    const jittered = backoff / 2 + Math.random() * (backoff / 2);
    await retry.sleep(Math.min(retry.maxDelayMs, Math.max(asked ?? 0, jittered)));
  }
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
function retryAfterMs(value: string | undefined): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
