import express, { type Request, Router } from 'express';
import type { EmailChannel, ResendWebhookEvent } from '../../../channels/email/email-channel.ts';
import {
  acceptInbound,
  type ConversationServiceDeps,
} from '../../../core/conversations/conversation-service.ts';
import { findInboundEmailOrganization } from '../../../core/conversations/reply-address.ts';
import type { Db } from '../../../core/db.ts';
import { findDeliveryOrganization, recordDeliveryStatus } from '../../../core/delivery-status.ts';
import { recordWebhookReceipt, webhookReceived } from '../../../core/webhook-receipts.ts';
import { sendProblem } from '../problem.ts';
import { storableProviderPayload } from '../storable-input.ts';

/**
 * `POST /webhooks/resend`: mounted before the JSON body parser, because the Svix signature covers
 * the raw bytes. A missing, forged or stale (over five minutes) signature is refused (400) before
 * anything in the body is read. Then:
 *
 * - `email.received`: the organization is the one whose conversation the reply address names
 *   (else the one that last emailed the sender; else nobody, and the email is acknowledged and
 *   left alone). The content comes from Resend's Receiving API; the new text goes to the
 *   conversation service, which answers in the background — through the compliance gate and
 *   back by email. A redelivered event (same svix-id) is acknowledged without fetching again;
 *   the same email under another event id is stored once (its provider message id).
 * - delivery events: the status is applied to the ledger and message once, never backwards; a
 *   hard bounce or complaint blocks the address (core/delivery-status.ts).
 * - anything else: acknowledged and ignored.
 *
 * A failure Resend can fix by retrying (its Receiving API down, a status about an email whose
 * send is still being recorded) answers 503, so Resend delivers the event again.
 */
export interface ResendWebhookOptions {
  db: Db;
  conversations: ConversationServiceDeps;
  /** The email channel; without it, or without its webhook secret, webhooks are refused (503). */
  email?: EmailChannel;
  /** The clock (tests inject one). */
  now?: () => Date;
}

const provider = 'resend';
/**
 * A delivery event can overtake the ledger write of the send it reports on; for this long an
 * unknown email id is answered 503 (Resend retries), after that it is not one of ours.
 */
const unknownDeliveryGraceMs = 60_000;

export function resendWebhookRoutes(options: ResendWebhookOptions): Router {
  const { db, conversations, email } = options;
  const now = options.now ?? (() => new Date());
  const router = Router();

  router.post('/webhooks/resend', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    if (!email?.acceptsWebhooks) {
      sendProblem(
        res,
        503,
        'Service Unavailable',
        'Resend webhooks are not accepted: RESEND_WEBHOOK_SECRET (and RESEND_API_KEY) are not set',
      );
      return;
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const headers = svixHeaders(req);
    if (!email.verifyWebhook(rawBody, headers)) {
      req.log.warn({ svixId: headers['svix-id'] }, 'resend webhook refused: signature');
      sendProblem(
        res,
        400,
        'Bad Request',
        'the Svix signature does not verify: missing, forged, or the svix-timestamp is over five minutes off',
      );
      return;
    }
    // Verified, so svix-id is present: Resend's id for this event, the same on every redelivery.
    const eventId = headers['svix-id']!;
    const event = storableProviderPayload(email.parseWebhookEvent(rawBody), req.log, { svixId: eventId });

    if (event.type === 'email.received') {
      await receiveEmail(req, res, event, eventId);
      return;
    }
    const delivery = email.parseDeliveryEvent(event);
    if (!delivery) {
      res.json({ received: true, ignored: event.type });
      return;
    }
    const orgId = await findDeliveryOrganization(db, delivery.providerMessageId);
    if (!orgId) {
      const age = now().getTime() - (delivery.occurredAt?.getTime() ?? 0);
      if (age < unknownDeliveryGraceMs) {
        sendProblem(res, 503, 'Service Unavailable', 'this email is not in the delivery ledger yet; retry');
        return;
      }
      req.log.info(
        { svixId: eventId, emailId: delivery.providerMessageId },
        'resend event for an unknown email',
      );
      res.json({ received: true, ignored: event.type, reason: 'unknown_email' });
      return;
    }
    const result = await recordDeliveryStatus(db, {
      orgId,
      channel: 'email',
      provider,
      eventId,
      providerMessageId: delivery.providerMessageId,
      status: delivery.status,
      ...(delivery.occurredAt ? { occurredAt: delivery.occurredAt } : {}),
      ...(delivery.permanent !== undefined ? { permanent: delivery.permanent } : {}),
      ...(delivery.error ? { error: delivery.error } : {}),
    });
    res.json({ received: true, status: result.outcome });
  });

  async function receiveEmail(
    req: Request,
    res: express.Response,
    event: ResendWebhookEvent,
    eventId: string,
  ) {
    const channel = email!;
    const envelope = channel.readReceivedEnvelope(event);
    const target = await findInboundEmailOrganization(db, envelope);
    if (!target) {
      // Not a reply to anything this server sent: acknowledged, so Resend stops retrying.
      req.log.warn({ svixId: eventId, emailId: envelope.emailId }, 'inbound email for no known organization');
      res.json({ received: true, ignored: event.type, reason: 'unknown_recipient' });
      return;
    }
    if (await webhookReceived(db, target.orgId, provider, eventId)) {
      res.json({ received: true, status: 'duplicate' });
      return;
    }
    let complete: Awaited<ReturnType<EmailChannel['loadReceivedEmail']>>;
    try {
      complete = storableProviderPayload(await channel.loadReceivedEmail(event), req.log, {
        svixId: eventId,
      });
    } catch (error) {
      req.log.error(
        { err: error, svixId: eventId, emailId: envelope.emailId },
        'loading a received email failed',
      );
      sendProblem(res, 503, 'Service Unavailable', 'the email could not be loaded from Resend; retry');
      return;
    }
    const messages = channel.parseInbound({ orgId: target.orgId, headers: {}, body: complete });
    let status: 'stored' | 'duplicate' = 'duplicate';
    let conversationId: string | undefined;
    const limit = conversations.limits.maxMessageChars;
    for (const message of messages) {
      // A long email is still the prospect's: the agent reads its start rather than Resend
      // retrying a message the service refuses as too long.
      const body = message.body.length > limit ? `${message.body.slice(0, limit - 1)}…` : message.body;
      const result = await acceptInbound(conversations, { ...message, body });
      if (!result.duplicate) status = 'stored';
      conversationId = result.conversationId;
    }
    // Recorded after the message is stored: an event that failed half-way is processed again on retry.
    await recordWebhookReceipt(db, target.orgId, provider, eventId);
    req.log.info({ svixId: eventId, orgId: target.orgId, conversationId, status }, 'inbound email received');
    res.json({ received: true, status, ...(conversationId ? { conversationId } : {}) });
  }

  return router;
}

function svixHeaders(req: Request): Record<string, string | undefined> {
  return {
    'svix-id': req.get('svix-id'),
    'svix-timestamp': req.get('svix-timestamp'),
    'svix-signature': req.get('svix-signature'),
  };
}
