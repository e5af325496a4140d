import { setTimeout as sleepFor } from 'node:timers/promises';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { z } from 'zod';
import type { InboundMessage } from '../../core/conversations/inbound-message.ts';
import type { ProviderStatus } from '../../core/delivery-status.ts';
import { DomainError } from '../../core/errors.ts';
import { ProviderRejectedError } from '../../core/outbound.ts';
import type { OutboundDraft } from '../../core/outbound-message.ts';
import { normalizePhone } from '../../core/phone-number.ts';
import type { ChannelAdapter, InboundRequest } from '../channel-adapter.ts';
import { formFields, parseFormFields } from '../twilio-form.ts';

/**
 * SMS and WhatsApp through Twilio: one adapter, one instance per channel (WhatsApp numbers are
 * Twilio addresses written `whatsapp:+E164`). Inbound, it checks `X-Twilio-Signature` (an
 * HMAC of the full URL Twilio called and the form fields) and turns Twilio's form fields into an
 * `InboundMessage`; it also reads status callbacks. Outbound, it sends through the real `twilio`
 * SDK with a status callback to this server.
 *
 * Twilio's Messages API does not deduplicate, so the sender never repeats a create blindly:
 * a 429 (nothing created) is retried with backoff; after a 5xx or a broken connection the text may
 * exist, so before trying again the sender lists recent messages to that number from our sender
 * and takes the sid of one with the same body created since the attempt began. It is not
 * `idempotent`: a crash mid-send leaves the delivery in doubt in the ledger, never re-sent.
 */

export type TextingChannel = 'sms' | 'whatsapp';

export interface SmsChannelOptions {
  /** `sms` (default) or `whatsapp`; the adapter accepts and sends only its own channel's texts. */
  channel?: TextingChannel;
  accountSid: string;
  authToken: string;
  /**
   * Our sender: a number in E.164 (TWILIO_FROM; for WhatsApp TWILIO_WHATSAPP_FROM, with or
   * without `whatsapp:`), or for SMS a Messaging Service SID (`MG…`).
   */
  from: string;
  /** Where Twilio reaches this server (PUBLIC_URL): the status callback URL is built on it. */
  publicUrl: string;
  /** TWILIO_BASE_URL: another API origin for the SDK (a loopback server in tests). */
  baseUrl?: string;
  /** The waits before each retry; one attempt more than there are delays. */
  retryDelaysMs?: readonly number[];
  /** How a retry waits (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Per request to Twilio. */
  timeoutMs?: number;
}

/** A status callback, read: what became of a message we sent. */
export interface TwilioStatusReport {
  channel: TextingChannel;
  providerMessageId: string;
  /** Twilio's status mapped onto the delivery ledger's. */
  status: ProviderStatus;
  /** Twilio's own word (`sent`, `delivered`, `read`, ...): with the sid, one event. */
  twilioStatus: string;
  errorCode?: string;
  /** Error 21610: the carrier says the number replied STOP to this sender. */
  recipientOptedOut: boolean;
}

export interface SmsChannel extends ChannelAdapter {
  readonly channel: TextingChannel;
  /** A signed status callback's report; null for a status the ledger does not track. */
  parseStatusCallback(request: InboundRequest): TwilioStatusReport | null;
}

/** Twilio's limit for one message body (it splits it into segments itself). */
export const maxTextLength = 1_600;
const defaultRetryDelaysMs = [1_000, 3_000, 8_000];
/** Twilio's dates have second precision and its clock is not ours: look this far before the attempt. */
const reconcileSlackMs = 30_000;
/** What a Twilio trial account puts before every body. */
const trialPrefix = 'Sent from your Twilio trial account - ';
const optedOutErrorCode = '21610';

const twilioStatuses: Record<string, ProviderStatus> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  // WhatsApp read receipts: the ledger's nearest word.
  read: 'opened',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

const messageSid = z
  .string({ error: 'MessageSid is required' })
  .trim()
  .regex(/^(SM|MM)[0-9a-f]{32}$/i, 'MessageSid must be a Twilio message sid (SM… or MM…)');

const inboundTextSchema = z.looseObject({
  MessageSid: messageSid,
  From: z.string({ error: 'From is required' }).trim().min(3).max(64),
  To: z.string({ error: 'To is required' }).trim().min(3).max(64),
  Body: z.string().max(20_000).default(''),
  NumMedia: z.coerce.number().int().min(0).max(20).default(0),
  ProfileName: z.string().trim().max(200).optional(),
});

const statusCallbackSchema = z.looseObject({
  MessageSid: messageSid,
  MessageStatus: z.string({ error: 'MessageStatus is required' }).trim().toLowerCase().min(1).max(40),
  To: z.string().trim().max(64).optional(),
  ErrorCode: z.string().trim().max(20).optional(),
});

export function createSmsChannel(options: SmsChannelOptions): SmsChannel {
  const channel = options.channel ?? 'sms';
  const client = twilio(options.accountSid, options.authToken, {
    autoRetry: false,
    timeout: options.timeoutMs ?? 15_000,
    ...(options.baseUrl
      ? { httpClient: rebasedHttpClient(options.baseUrl, options.timeoutMs ?? 15_000) }
      : {}),
  });
  const sender = senderAddress(channel, options.from);
  const statusCallbackBase = `${options.publicUrl.replace(/\/$/, '')}/webhooks/twilio/status`;
  const delays = options.retryDelaysMs ?? defaultRetryDelaysMs;
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms));
  const now = options.now ?? (() => new Date());

  /** Which channel an address belongs to: WhatsApp addresses carry Twilio's prefix. */
  const channelOf = (address: string): TextingChannel =>
    address.toLowerCase().startsWith('whatsapp:') ? 'whatsapp' : 'sms';

  async function send(message: OutboundDraft & { to: string }): Promise<{ providerMessageId: string }> {
    if (message.channel !== channel) {
      throw new ProviderRejectedError(`the ${channel} sender cannot send a ${message.channel} message`);
    }
    const number = normalizePhone(message.to);
    if (!number) throw new ProviderRejectedError(`the recipient ${message.to} is not a phone number`);
    if (message.body.length > maxTextLength) {
      throw new ProviderRejectedError(
        `the text is ${message.body.length.toLocaleString('en-US')} characters; Twilio takes at most ${maxTextLength.toLocaleString('en-US')}`,
      );
    }
    const to = channel === 'whatsapp' ? `whatsapp:${number}` : number;
    const startedAt = now();
    const create = {
      to,
      body: message.body,
      statusCallback: `${statusCallbackBase}?org=${encodeURIComponent(message.orgId)}`,
      ...(sender.messagingServiceSid
        ? { messagingServiceSid: sender.messagingServiceSid }
        : { from: sender.from }),
    };

    /** The sid of this text if an earlier attempt created it; undefined when Twilio could not say. */
    async function alreadySent(): Promise<string | null | undefined> {
      const since = new Date(startedAt.getTime() - reconcileSlackMs);
      try {
        const recent = await client.messages.list({
          to,
          ...(sender.from ? { from: sender.from } : {}),
          // Twilio filters by UTC day; the exact time is checked below.
          dateSentAfter: new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate())),
          limit: 50,
        });
        const match = recent.find(
          (sent) =>
            (sent.body === message.body || sent.body === `${trialPrefix}${message.body}`) &&
            sent.dateCreated instanceof Date &&
            sent.dateCreated.getTime() >= since.getTime() &&
            (!sender.messagingServiceSid || sent.messagingServiceSid === sender.messagingServiceSid),
        );
        return match?.sid ?? null;
      } catch {
        return undefined;
      }
    }

    // Set once an attempt may have created the text: from then on, every retry checks first.
    let mayHaveSent = false;
    let lastError: unknown;
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await sleep(delays[attempt - 1]!);
      if (mayHaveSent) {
        const sid = await alreadySent();
        if (sid) return { providerMessageId: sid };
        // Twilio could not say whether it went: sending blind could text the prospect twice.
        if (sid === undefined) continue;
      }
      try {
        const created = await client.messages.create(create);
        return { providerMessageId: created.sid };
      } catch (error) {
        lastError = error;
        const outcome = failureOf(error);
        if (outcome === 'may_have_sent') mayHaveSent = true;
        if (outcome === 'refused' && !mayHaveSent) {
          throw new ProviderRejectedError(`Twilio refused the ${channel} message: ${describeError(error)}`, {
            recipientOptedOut: String((error as { code?: unknown }).code) === optedOutErrorCode,
          });
        }
        if (outcome === 'refused') break;
      }
    }
    if (mayHaveSent) {
      const sid = await alreadySent();
      if (sid) return { providerMessageId: sid };
      // A plain error: the ledger marks the delivery in doubt and nobody re-sends it automatically.
      throw new Error(
        `Twilio did not confirm the ${channel} message and it may have been sent: ${describeError(lastError)}`,
      );
    }
    throw new ProviderRejectedError(
      `Twilio did not take the ${channel} message after ${delays.length + 1} attempts: ${describeError(lastError)}`,
    );
  }

  return {
    channel,
    verify(request) {
      const signature = headerOf(request.headers, 'x-twilio-signature');
      if (!signature || !request.url) return false;
      try {
        return twilio.validateRequest(options.authToken, signature, request.url, formFields(request));
      } catch {
        return false;
      }
    },
    parseInbound(request): InboundMessage[] {
      const text = parseFormFields(inboundTextSchema, request);
      if (channelOf(text.From) !== channel) {
        const kind = { sms: 'an SMS', whatsapp: 'a WhatsApp' }[channelOf(text.From)];
        throw new DomainError(
          'invalid',
          `${kind} message reached the ${channel} channel (From: ${text.From})`,
        );
      }
      const phone = normalizePhone(text.From);
      if (!phone) throw new DomainError('invalid', `From is not a phone number: ${text.From}`);
      const fields = formFields(request);
      const media = Array.from({ length: text.NumMedia }, (_, i) => ({
        url: String(fields[`MediaUrl${i}`] ?? ''),
        contentType: String(fields[`MediaContentType${i}`] ?? ''),
      }));
      // A photo without words still reaches the agent, as what it is.
      const body = [text.Body.trim(), ...media.map((item) => `[${mediaKind(item.contentType)}]`)]
        .filter(Boolean)
        .join('\n');
      if (!body) throw new DomainError('invalid', 'the text has neither a body nor media');
      const firstName = text.ProfileName?.split(/\s+/)[0];
      return [
        {
          orgId: request.orgId,
          channel,
          from: {
            phone,
            // A WhatsApp profile name is only a hint; it fills a name the contact does not have yet.
            ...(firstName && /^\p{L}[\p{L}'’.-]{0,99}$/u.test(firstName) ? { firstName } : {}),
          },
          body,
          providerMessageId: text.MessageSid,
          metadata: {
            provider: 'twilio',
            to: text.To,
            ...(media.length > 0 ? { media } : {}),
            ...(text.ProfileName ? { profileName: text.ProfileName } : {}),
          },
        },
      ];
    },
    parseStatusCallback(request) {
      const report = parseFormFields(statusCallbackSchema, request);
      const status = twilioStatuses[report.MessageStatus];
      if (!status) return null;
      return {
        channel: report.To ? channelOf(report.To) : channel,
        providerMessageId: report.MessageSid,
        status,
        twilioStatus: report.MessageStatus,
        ...(report.ErrorCode ? { errorCode: report.ErrorCode } : {}),
        recipientOptedOut: report.ErrorCode === optedOutErrorCode,
      };
    },
    sender: { channel, mode: 'live', idempotent: false, send },
  };
}

/** Our sender, in the form Twilio wants for the channel. */
function senderAddress(
  channel: TextingChannel,
  from: string,
): { from?: string; messagingServiceSid?: string } {
  const trimmed = from.trim();
  if (channel === 'sms' && /^MG[0-9a-f]{32}$/i.test(trimmed)) return { messagingServiceSid: trimmed };
  const number = normalizePhone(trimmed);
  if (!number) {
    throw new DomainError(
      'invalid',
      `the ${channel === 'sms' ? 'TWILIO_FROM' : 'TWILIO_WHATSAPP_FROM'} sender must be a phone number in E.164${channel === 'sms' ? ' or a Messaging Service SID (MG…)' : ''}`,
    );
  }
  return { from: channel === 'whatsapp' ? `whatsapp:${number}` : number };
}

/**
 * What a failed create says about the text: `refused` (Twilio answered no — nothing was created),
 * `retry` (429, or the connection was refused — nothing was created), or `may_have_sent` (a 5xx,
 * a timeout, a dropped connection: Twilio may have created it before failing).
 */
function failureOf(error: unknown): 'refused' | 'retry' | 'may_have_sent' {
  if (error instanceof twilio.RestException) {
    if (error.status === 429) return 'retry';
    return error.status >= 500 ? 'may_have_sent' : 'refused';
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED') return 'retry';
  return 'may_have_sent';
}

/** For the ledger's error column: Twilio's status, code and message; never credentials. */
function describeError(error: unknown): string {
  if (error instanceof twilio.RestException) {
    return `HTTP ${error.status}${error.code ? ` (error ${error.code})` : ''}: ${error.message}`;
  }
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return [typeof code === 'string' ? code : null, typeof message === 'string' ? message : String(error)]
    .filter(Boolean)
    .join(': ');
}

function mediaKind(contentType: string): string {
  const kind = contentType.split('/')[0]?.toLowerCase();
  return kind === 'image' || kind === 'video' || kind === 'audio' ? kind : 'attachment';
}

function headerOf(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * The SDK builds every URL on https://api.twilio.com (and its regional hosts); this client keeps
 * each path and query and sends it to `baseUrl` instead — Twilio's documented way to customize
 * its HTTP requests is a custom `httpClient`.
 */
function rebasedHttpClient(baseUrl: string, timeoutMs: number): RequestClient {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/$/, '');
  class RebasedRequestClient extends twilio.RequestClient {
    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      const target = new URL(opts.uri);
      return super.request({ ...opts, uri: `${base.origin}${prefix}${target.pathname}${target.search}` });
    }
  }
  return new RebasedRequestClient({ timeout: timeoutMs });
}
