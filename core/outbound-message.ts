/**
 * The shape of everything QuotaHit sends to a prospect or a rep, on any channel. Every draft goes
 * through one function — `sendOutbound` in core/outbound.ts — which asks the compliance gate and
 * only then hands it to the channel's sender. There is no second path to a provider.
 */
export const channels = ['web', 'email', 'sms', 'whatsapp', 'voice'] as const;
export type Channel = (typeof channels)[number];

/** Why a message is sent: the compliance gate's rules depend on it. */
export const outboundPurposes = [
  /** An answer inside a conversation the prospect is having (chat reply, email/SMS reply). */
  'conversation_reply',
  /** A first touch or follow-up the prospect did not ask for: needs marketing consent. */
  'marketing',
  /** Something the prospect asked for (payment link, receipt). */
  'transactional',
  /** The one confirmation after an opt-out keyword; never carries marketing. */
  'opt_out_confirmation',
  /** Internal: a briefing to one of the organization's reps. */
  'rep_notification',
] as const;
export type OutboundPurpose = (typeof outboundPurposes)[number];

export interface OutboundDraft {
  orgId: string;
  /** The prospect it concerns (for a rep notification, the lead being briefed on). */
  contactId: string;
  conversationId?: string;
  channel: Channel;
  purpose: OutboundPurpose;
  sender: 'agent' | 'rep' | 'system';
  authorId?: string;
  /** Recipient address when it is not the contact's own (a rep's email or phone). */
  to?: string;
  subject?: string;
  body: string;
  /** Same key, same send: a retry with this key never reaches the provider twice. */
  idempotencyKey: string;
  /** Email headers added by `sendOutbound` (List-Unsubscribe, RFC 8058); senders pass them on. */
  headers?: Record<string, string>;
  /** The conversation's reply token: an email sender makes it the Reply-To, so the answer threads back. */
  replyToken?: string;
  /** Files the email carries (a meeting invitation's `.ics`); kept in the ledger. Only email sends them. */
  attachments?: OutboundAttachment[];
}

export interface OutboundAttachment {
  filename: string;
  /** e.g. `text/calendar; method=REQUEST`. */
  contentType: string;
  /** The file's text, as is (not base64): the email sender encodes it. */
  content: string;
}

export interface DeliveryResult {
  status: 'sent' | 'recorded' | 'refused' | 'failed';
  /** Why the gate refused, or what failed. */
  reasons: string[];
  providerMessageId?: string;
  /** Allowed, but the organization should act (e.g. `dnc_national_stale`). */
  warnings?: string[];
  /** The delivery ledger row (core/outbound.ts). */
  deliveryId?: string;
}

/** A channel's way out: `sendOutbound` calls it only after the gate allowed the draft. */
export interface ChannelSender {
  channel: Channel;
  /** `live` talks to a provider; `recorded` keeps the message for the console only. */
  mode: 'live' | 'recorded';
  /**
   * True when the provider dedupes by `draft.idempotencyKey`, so re-sending after a crash that
   * left the outcome unknown is safe. Without it such a delivery is marked in doubt, never re-sent.
   */
  idempotent?: boolean;
  send(draft: OutboundDraft & { to: string }): Promise<{ providerMessageId: string }>;
}
