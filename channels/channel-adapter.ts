import type { InboundMessage } from '../core/conversations/inbound-message.ts';
import type { Channel, ChannelSender, OutboundDraft } from '../core/outbound-message.ts';

/**
 * What every channel (web, email, SMS/WhatsApp, voice) provides, and all it provides: check that
 * an inbound request really comes from the channel, turn it into `InboundMessage`s for the
 * conversation service, and send what the compliance gate let through. No business rules live
 * here — no contact lookup, no replies, no consent decisions.
 */

/** A message on its way out, after the gate: the draft plus the address it goes to. */
export type OutboundMessage = OutboundDraft & { to: string };

/** One inbound request as the HTTP or socket layer received it. */
export interface InboundRequest {
  /** The organization the endpoint serves (from the widget key, or a per-organization webhook URL). */
  orgId: string;
  headers: Record<string, string | undefined>;
  /** The decoded body (JSON object, form fields, socket payload). */
  body: unknown;
  /** The body exactly as received, for signature checks. */
  rawBody?: string;
  /** The full URL the provider called, for signature checks that cover it (Twilio). */
  url?: string;
}

export interface ChannelAdapter {
  readonly channel: Channel;
  /**
   * Whether the request is genuine (the provider's signature, a socket authenticated by widget
   * key). False for anything unsigned or tampered with; never throws for a bad request.
   */
  verify(request: InboundRequest): boolean | Promise<boolean>;
  /**
   * The prospect messages the request carries, normalized; none for a request that carries no
   * message (a delivery-status callback). A malformed request throws DomainError('invalid').
   */
  parseInbound(request: InboundRequest): InboundMessage[];
  /** The channel's way out; `sendOutbound` (core/outbound.ts) calls it after the gate. */
  readonly sender: ChannelSender;
}
