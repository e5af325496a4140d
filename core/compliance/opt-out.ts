import { isIP } from 'node:net';
import type { Actor } from '../actor.ts';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';
import { getOrganization } from '../organizations.ts';
import type { Channel, OutboundDraft } from '../outbound-message.ts';
import {
  type ConsentMethod,
  type ConsentType,
  consentTypes,
  consentTypesForChannel,
  currentConsent,
  recordConsent,
  revokeConsent,
} from './consent.ts';

/**
 * Opting out and back in: SMS keywords, plain-language requests in any channel, and the email
 * one-click link. Every opt-out revokes consent at once; the confirmation it returns is sent by
 * the caller through `sendOutbound` with purpose `opt_out_confirmation`, which lets it through
 * exactly once.
 */

export type SmsKeyword = 'stop' | 'start' | 'help';

const keywords: Record<string, SmsKeyword> = {
  STOP: 'stop',
  STOPALL: 'stop',
  UNSUBSCRIBE: 'stop',
  CANCEL: 'stop',
  END: 'stop',
  QUIT: 'stop',
  REVOKE: 'stop',
  OPTOUT: 'stop',
  START: 'start',
  UNSTOP: 'start',
  YES: 'start',
  HELP: 'help',
  INFO: 'help',
};

/** The whole message as one keyword: case, surrounding punctuation, spaces and emoji ignored. */
function keywordOf(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '')
    .replace(/[\s_-]+/g, '') // "opt-out", "stop all"
    .toUpperCase();
}

/** Carrier keywords, recognized only when they are the whole message ("STOP", "stop!", " Opt-Out "). */
export function parseSmsKeyword(text: string): SmsKeyword | null {
  return keywords[keywordOf(text)] ?? null;
}

const optOutPhrases: RegExp[] = [
  /\b(stop|quit|cease)\s+(texting|messaging|calling|phoning|emailing|e-mailing|contacting|bothering|spamming|harassing)\b/,
  /\bstop\s+sending\s+(me|messages|texts|emails|e-mails|these|this|those|them)\b/,
  /\b(remove|take|delete)\s+me\s+(off|from|out\s+of)\b/,
  /\b(remove|delete|erase)\s+my\s+(number|phone|email|e-mail|info|information|details|contact|data)\b/,
  /\bunsubscribe\s+me\b/,
  /\b(want|wish|like|need)\s+to\s+(unsubscribe|opt\s*-?\s*out)\b/,
  /\bhow\s+(do|can)\s+i\s+(unsubscribe|opt\s*-?\s*out)\b/,
  /\bhow\s+(do|can)\s+i\s+stop\s+(these|the|your|all|this)\s+(texts|messages|emails|e-mails|calls)\b/,
  /\bopt\s+me\s+out\b/,
  // "don't call me again" — but not "don't call me before noon".
  /\b(do\s+not|don'?t|never)\s+(ever\s+)?(contact|text|call|email|e-mail|message|phone)\s+me\b(?!\s+(back|before|after|until|till|at|on|tomorrow|today|tonight|this|next|later|between|during|in\s+the|instead)\b)/,
  /\bleave\s+me\s+alone\b/,
  /\bno\s+more\s+(texts|text\s+messages|messages|calls|emails|e-mails)\b/,
  /\bwrong\s+number\b/,
  /\blose\s+my\s+(number|email)\b/,
  /^(please\s+)?(stop|unsubscribe|opt\s*-?\s*out)(\s+(please|now|it|immediately|already|thanks|thank\s+you))*$/,
];

// A phrase right after one of these is not a request: "don't stop texting me", "why did you stop calling".
const negatedBefore =
  /\b(don'?t|do\s+not|never|did|didn'?t|did\s+not|why|won'?t|will\s+not|not|shouldn'?t|can'?t)\s+(\S+\s+){0,2}$/;

/**
 * A plain-language request to stop ("stop texting me", "remove me from your list", "don't contact
 * me again"). It leans towards honoring a request (a lost lead is cheaper than an unwanted
 * message) but ignores negations and questions about something else ("don't stop", "how do I stop
 * the trial?").
 */
export function isPlainLanguageOptOut(text: string): boolean {
  const normalized = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[^\p{L}\p{N}'\s-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return optOutPhrases.some((phrase) => {
    const match = phrase.exec(normalized);
    if (!match) return false;
    const negatable = !/^(do\s+not|don'?t|never)\b/.test(match[0]);
    return !(negatable && negatedBefore.test(normalized.slice(0, match.index)));
  });
}

export interface OptOutInput {
  orgId: string;
  contactId: string;
  /** Where the request arrived; with scope `channel` it names the consent to revoke. */
  channel: Channel;
  method: ConsentMethod;
  /** `channel`: the channel's consent (an SMS STOP); `all`: every consent ("don't contact me"). */
  scope: 'channel' | 'all';
  /** The prospect's words, kept as evidence. */
  message?: string;
  /** The inbound message's id: makes the confirmation's idempotency key stable across retries. */
  inboundId?: string;
  conversationId?: string;
  now?: Date;
}

export interface OptOutResult {
  revoked: ConsentType[];
  alreadyRevoked: ConsentType[];
  /** Send it with `sendOutbound`; null for calls (say it on the call) or when nothing is new. */
  confirmation: OutboundDraft | null;
}

/** Revokes at once and prepares the single, marketing-free confirmation. */
export async function handleOptOut(db: Db, input: OptOutInput): Promise<OptOutResult> {
  const types = input.scope === 'all' ? [...consentTypes] : consentTypesForChannel(input.channel);
  const result = await revokeConsent(
    db,
    input.orgId,
    {
      contactId: input.contactId,
      type: types.length > 0 ? types : 'all',
      method: input.method,
      evidence: {
        message: input.message?.slice(0, 2000),
        messageId: input.inboundId,
        conversationId: input.conversationId,
      },
    },
    prospect(input.contactId),
    input.now,
  );
  const keyBase = input.inboundId ?? result.revoked[0]?.id;
  const org = await getOrganization(db, input.orgId);
  const texting = input.channel === 'sms' || input.channel === 'whatsapp';
  const confirmation: OutboundDraft | null =
    input.channel === 'voice' || !keyBase
      ? null
      : {
          orgId: input.orgId,
          contactId: input.contactId,
          conversationId: input.conversationId,
          channel: input.channel,
          purpose: 'opt_out_confirmation',
          sender: 'system',
          body:
            `You're unsubscribed from ${org.name} messages. No more messages will be sent.` +
            (texting ? ' Reply START to resubscribe.' : ''),
          idempotencyKey: `opt-out-confirmation:${input.channel}:${keyBase}`,
        };
  return {
    revoked: result.revoked.map((record) => record.type),
    alreadyRevoked: result.alreadyRevoked,
    confirmation,
  };
}

export interface KeywordInput {
  orgId: string;
  contactId: string;
  channel: Channel;
  message: string;
  inboundId: string;
  conversationId?: string;
  now?: Date;
}

/** START / UNSTOP / YES: texts are welcome again, recorded with the keyword as evidence. */
export async function handleOptIn(db: Db, input: KeywordInput): Promise<OutboundDraft> {
  if (input.channel !== 'sms' && input.channel !== 'whatsapp') {
    throw new DomainError('invalid', 'opting in by keyword works for SMS and WhatsApp only');
  }
  const org = await getOrganization(db, input.orgId);
  await recordConsent(
    db,
    input.orgId,
    {
      contactId: input.contactId,
      type: 'sms_marketing',
      method: 'sms_keyword',
      evidence: {
        wording: `Reply START to resubscribe to ${org.name} messages.`,
        message: input.message.slice(0, 2000),
        messageId: input.inboundId,
        conversationId: input.conversationId,
      },
    },
    prospect(input.contactId),
    input.now,
  );
  return reply(
    input,
    `opt-in:${input.inboundId}`,
    `You're resubscribed to ${org.name} messages. Reply HELP for help, STOP to opt out. Msg & data rates may apply.`,
  );
}

/** HELP: the organization's help text, or a plain default that says how to opt out. */
export async function handleHelp(db: Db, input: KeywordInput): Promise<OutboundDraft> {
  const org = await getOrganization(db, input.orgId);
  const text =
    org.settings.helpText?.trim() ||
    `${org.name}: reply with your question and we'll get back to you. Reply STOP to opt out. Msg & data rates may apply.`;
  return reply(input, `help:${input.inboundId}`, text);
}

export type InboundCompliance =
  | { action: 'none' }
  | { action: 'opted_out'; revoked: ConsentType[]; reply: OutboundDraft | null }
  | { action: 'opted_in'; reply: OutboundDraft }
  | { action: 'help'; reply: OutboundDraft };

/**
 * Every inbound message passes here before the conversation hands it to an agent. Anything
 * other than `none` is a compliance command: the agent does not answer it, the caller sends the
 * reply (if any) through `sendOutbound`.
 */
export async function handleInboundText(db: Db, input: KeywordInput): Promise<InboundCompliance> {
  const texting = input.channel === 'sms' || input.channel === 'whatsapp';
  const keyword = texting ? parseSmsKeyword(input.message) : null;
  if (keyword === 'stop') {
    const result = await handleOptOut(db, { ...input, method: 'sms_keyword', scope: 'channel' });
    return { action: 'opted_out', revoked: result.revoked, reply: result.confirmation };
  }
  if (keyword === 'start') {
    // A bare "yes" usually answers a question; it re-subscribes only someone who opted out.
    const yes = keywordOf(input.message) === 'YES';
    const consent = yes ? await currentConsent(db, input.orgId, input.contactId) : null;
    if (!consent || consent.sms_marketing.status === 'revoked') {
      return { action: 'opted_in', reply: await handleOptIn(db, input) };
    }
  }
  if (keyword === 'help') return { action: 'help', reply: await handleHelp(db, input) };
  if (isPlainLanguageOptOut(input.message)) {
    // Whatever the channel, "don't contact me" means every kind of message.
    const result = await handleOptOut(db, { ...input, method: 'conversation', scope: 'all' });
    return { action: 'opted_out', revoked: result.revoked, reply: result.confirmation };
  }
  return { action: 'none' };
}

/** The one-click email link: email marketing revoked and the address suppressed, at once. */
export async function unsubscribeByEmailLink(
  db: Db,
  input: { orgId: string; contactId: string; ip?: string; userAgent?: string; now?: Date },
): Promise<{ organizationName: string; alreadyUnsubscribed: boolean }> {
  const result = await revokeConsent(
    db,
    input.orgId,
    {
      contactId: input.contactId,
      type: 'email_marketing',
      method: 'email_link',
      evidence: {
        wording: 'One-click unsubscribe link (RFC 8058)',
        ip: evidenceIp(input.ip),
        userAgent: input.userAgent?.slice(0, 1000),
      },
    },
    prospect(input.contactId),
    input.now,
  );
  const org = await getOrganization(db, input.orgId);
  return { organizationName: org.name, alreadyUnsubscribed: result.revoked.length === 0 };
}

/** Keeps the caller's IP as evidence when it is one; an IPv4-mapped IPv6 address reads as IPv4. */
function evidenceIp(ip: string | undefined): string | undefined {
  const plain = ip?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return plain && isIP(plain) ? plain : undefined;
}

function prospect(contactId: string): Actor {
  return { type: 'prospect', id: contactId };
}

function reply(input: KeywordInput, idempotencyKey: string, body: string): OutboundDraft {
  return {
    orgId: input.orgId,
    contactId: input.contactId,
    conversationId: input.conversationId,
    channel: input.channel,
    purpose: 'conversation_reply',
    sender: 'system',
    body,
    idempotencyKey,
  };
}
