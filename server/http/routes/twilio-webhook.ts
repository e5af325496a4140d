import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { InboundRequest } from '../../../channels/channel-adapter.ts';
import type { SmsChannel } from '../../../channels/sms/sms-channel.ts';
import { decodeForm } from '../../../channels/twilio-form.ts';
import {
  type CallStep,
  callTwiml,
  parseCallRequest,
  spokenMessage,
} from '../../../channels/voice/voice-call.ts';
import { aiDisclosure } from '../../../core/compliance/ai-disclosure.ts';
import {
  acceptInbound,
  type ConversationServiceDeps,
  receiveInbound,
} from '../../../core/conversations/conversation-service.ts';
import { findTextingOrganization } from '../../../core/conversations/texting-organization.ts';
import type { Db } from '../../../core/db.ts';
import { findDeliveryOrganization, recordDeliveryStatus } from '../../../core/delivery-status.ts';
import { isValidUtf8 } from '../../../core/storable-text.ts';
import { sendProblem } from '../problem.ts';
import { storableProviderPayload } from '../storable-input.ts';

/**
 * Twilio's webhooks, mounted before the JSON parser (they are form-encoded and signed):
 *
 * - `POST /webhooks/twilio/sms`: a text from a prospect, by SMS or WhatsApp (`From: whatsapp:…`).
 *   Stored through the channel adapter and the conversation service, then answered with an empty
 *   TwiML `<Response/>`: the agent's reply goes out through the REST API and the compliance gate
 *   — never in TwiML, which would skip the gate. A redelivery (same MessageSid) is stored once.
 * - `POST /webhooks/twilio/status`: a status callback for a text we sent; applied to the ledger
 *   once per sid and status, never backwards.
 * - `POST /webhooks/twilio/voice`: a prospect calling. The call opens with the AI disclosure and
 *   a question; each thing the caller says (Twilio's speech recognition) is a prospect message of
 *   the voice channel, answered by the same agent as every channel, and its reply is spoken once
 *   the compliance gate let it through. Then the call listens again. A redelivered webhook is
 *   stored once and speaks the same reply.
 *
 * `X-Twilio-Signature` covers the full URL Twilio called (rebuilt from PUBLIC_URL, since a proxy
 * sits between) and every form field, and is checked before anything in the body is used:
 * missing → 400, wrong → 403, both problem+json, and nothing changes.
 */
export interface TwilioWebhookOptions {
  db: Db;
  conversations: ConversationServiceDeps;
  /** The SMS adapter (TWILIO_FROM); without it SMS texts answer 503. */
  sms?: SmsChannel;
  /** The WhatsApp adapter (TWILIO_WHATSAPP_FROM); without it WhatsApp texts answer 503. */
  whatsapp?: SmsChannel;
  /** PUBLIC_URL: the origin Twilio calls, which its signature covers. */
  publicUrl: string;
  /** How long a caller waits for the agent's reply before hearing that we follow up (10 s). */
  spokenReplyWithinMs?: number;
}

const emptyTwiml = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const orgIdSchema = z.uuid();
/** Which answer of the call a speech webhook carries (`turn` in our Gather action URL). */
const turnSchema = z.coerce.number().int().min(0).max(1_000).default(0);
const followUpLine = 'Thank you. Someone from our team will follow up with you shortly. Goodbye.';

export function twilioWebhookRoutes(options: TwilioWebhookOptions): Router {
  const { db, conversations } = options;
  // Twilio gives up on a webhook after 15 s.
  const spokenReplyWithinMs = options.spokenReplyWithinMs ?? 10_000;
  const publicUrl = options.publicUrl.replace(/\/$/, '');
  const router = Router();
  const formBody = express.raw({ type: () => true, limit: '64kb' });

  // Both adapters check signatures with the account's one auth token.
  const twilioAccount = options.sms ?? options.whatsapp;

  /** The request as the adapters read it, once its signature verifies; else the refusal is sent. */
  async function verified(req: Request, res: Response, account: SmsChannel): Promise<InboundRequest | null> {
    const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const request: InboundRequest = {
      // Twilio's signature does not depend on the organization, which is found afterwards.
      orgId: '',
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]),
      ),
      body: decodeForm(rawBody),
      rawBody,
      url: `${publicUrl}${req.originalUrl}`,
    };
    if (!req.get('x-twilio-signature')) {
      sendProblem(res, 400, 'Bad Request', 'the X-Twilio-Signature header is missing');
      return null;
    }
    if (!(await account.verify(request))) {
      req.log.warn({ path: req.path }, 'twilio webhook refused: signature does not verify');
      sendProblem(
        res,
        403,
        'Forbidden',
        'X-Twilio-Signature does not verify for this URL and body (check TWILIO_AUTH_TOKEN and PUBLIC_URL)',
      );
      return null;
    }
    if (!isValidUtf8(req.body))
      req.log.warn({ path: req.path }, 'twilio webhook body is not valid UTF-8: replaced');
    return { ...request, body: storableProviderPayload(request.body, req.log, { path: req.path }) };
  }

  const notConfigured = (res: Response) =>
    sendProblem(
      res,
      503,
      'Service Unavailable',
      'Twilio webhooks are not accepted: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM (or TWILIO_WHATSAPP_FROM) are not set',
    );

  /** The signed request; null once the refusal is sent (Twilio not configured, unsigned, forged). */
  async function signed(req: Request, res: Response): Promise<InboundRequest | null> {
    if (!twilioAccount) {
      notConfigured(res);
      return null;
    }
    return verified(req, res, twilioAccount);
  }

  router.post('/webhooks/twilio/sms', formBody, async (req, res) => {
    const request = await signed(req, res);
    if (!request) return;
    const fields = request.body as Record<string, string | string[]>;
    const from = String(fields.From ?? '');
    const whatsapp = from.toLowerCase().startsWith('whatsapp:');
    const adapter = whatsapp ? options.whatsapp : options.sms;
    if (!adapter) {
      sendProblem(
        res,
        503,
        'Service Unavailable',
        whatsapp
          ? 'WhatsApp messages are not accepted: TWILIO_WHATSAPP_FROM is not set'
          : 'SMS messages are not accepted: TWILIO_FROM is not set',
      );
      return;
    }
    const organization = await findTextingOrganization(db, {
      orgParameter: typeof req.query.org === 'string' ? req.query.org : null,
      from,
    });
    if (!organization.orgId) {
      // Acknowledged, so Twilio does not retry a text no organization here can answer.
      req.log.warn(
        { messageSid: String(fields.MessageSid ?? ''), to: String(fields.To ?? '') },
        'inbound text for no organization: give each organization its own webhook URL (?org=ORG_ID)',
      );
      res.type('text/xml').send(emptyTwiml);
      return;
    }
    const messages = adapter.parseInbound({ ...request, orgId: organization.orgId });
    for (const message of messages) {
      // Stored now, answered in the background: Twilio waits at most 15 seconds for this answer.
      const stored = await acceptInbound(conversations, message);
      req.log.info(
        {
          orgId: organization.orgId,
          conversationId: stored.conversationId,
          messageSid: message.providerMessageId,
          channel: message.channel,
          duplicate: stored.duplicate,
          orgBy: organization.by,
        },
        'inbound text stored',
      );
    }
    res.type('text/xml').send(emptyTwiml);
  });

  router.post('/webhooks/twilio/voice', formBody, async (req, res) => {
    const request = await signed(req, res);
    if (!request) return;
    const call = parseCallRequest(request);
    const turn = turnSchema.safeParse(req.query.turn);
    if (!turn.success) {
      sendProblem(res, 400, 'Bad Request', 'turn must be a whole number from 0 to 1000');
      return;
    }
    const twiml = (step: CallStep) => res.type('text/xml').send(callTwiml(step));
    const organization = await findTextingOrganization(db, {
      orgParameter: typeof req.query.org === 'string' ? req.query.org : null,
      from: call.phone,
    });
    if (!organization.orgId) {
      req.log.warn(
        { callSid: call.callSid, to: call.to },
        'call for no organization: give each organization its own voice webhook URL (?org=ORG_ID)',
      );
      twiml({ say: ['Sorry, this number cannot take calls right now. Goodbye.'] });
      return;
    }
    const orgId = organization.orgId;
    const listenAgain = (prompt?: string) => ({
      action: `${publicUrl}/webhooks/twilio/voice?org=${orgId}&turn=${turn.data + 1}`,
      ...(prompt ? { prompt } : {}),
    });
    // From the conversation service's short cache: the turn reads the same organization.
    const disclosure = aiDisclosure((await conversations.organizations.get(orgId)).organization, 'voice');
    if (!call.speech) {
      // The call comes in: an AI voice says so before anything else.
      twiml({
        say: [disclosure],
        listen: listenAgain('How can we help you today?'),
        goodbye: "We didn't hear anything. Goodbye.",
      });
      return;
    }

    const answering = receiveInbound(
      conversations,
      spokenMessage(orgId, { ...call, speech: call.speech }, turn.data),
    );
    const answered = await Promise.race([
      answering,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), spokenReplyWithinMs).unref()),
    ]);
    if (!answered) {
      // Still thinking: the reply is stored and delivered when it comes, just not spoken.
      answering.catch((error) => req.log.error({ err: error }, 'answering a caller failed'));
      req.log.warn(
        { callSid: call.callSid, orgId },
        'no reply in time to speak it; the caller is told we follow up',
      );
      twiml({ say: [followUpLine] });
      return;
    }
    req.log.info(
      { orgId, conversationId: answered.conversation.id, callSid: call.callSid, turn: turn.data },
      'caller speech stored',
    );
    if (answered.conversation.status !== 'open') {
      // The caller asked not to be contacted (the compliance module closed the conversation).
      twiml({ say: ["Understood, we've noted your request. Goodbye."] });
      return;
    }
    const reply = answered.reply;
    // In a call the TwiML is the delivery: the voice channel's sender only records the reply.
    const spoken = reply && ['recorded', 'sent', 'delivered'].includes(reply.status);
    if (!spoken) {
      // A rep has the conversation (the agent only listens), or the gate held the reply back.
      twiml({ say: [followUpLine] });
      return;
    }
    // The call opened with the disclosure; the agent's first reply need not repeat it.
    const text = reply.body.startsWith(disclosure) ? reply.body.slice(disclosure.length).trim() : reply.body;
    twiml({ say: [text], listen: listenAgain(), goodbye: 'Thanks for calling. Goodbye.' });
  });

  router.post('/webhooks/twilio/status', formBody, async (req, res) => {
    const request = await signed(req, res);
    if (!request) return;
    const report = twilioAccount!.parseStatusCallback(request); // signed: so configured
    if (!report) {
      res.json({ received: true, ignored: String((request.body as Record<string, unknown>).MessageStatus) });
      return;
    }
    // Our status callback URL names the organization (and is signed); the ledger knows it too.
    const named = orgIdSchema.safeParse(req.query.org);
    const orgId = named.success ? named.data : await findDeliveryOrganization(db, report.providerMessageId);
    if (!orgId) {
      req.log.info({ messageSid: report.providerMessageId }, 'status callback for a message we did not send');
      res.json({ received: true, outcome: 'unknown' });
      return;
    }
    const result = await recordDeliveryStatus(db, {
      orgId,
      channel: report.channel,
      providerMessageId: report.providerMessageId,
      status: report.status,
      eventId: `${report.providerMessageId}:${report.twilioStatus}`,
      provider: 'twilio',
      ...(report.errorCode ? { error: `Twilio error ${report.errorCode}` } : {}),
      recipientOptedOut: report.recipientOptedOut,
    });
    if (result.outcome === 'unknown') {
      req.log.info({ messageSid: report.providerMessageId, orgId }, 'status callback for an unknown message');
    }
    res.json({ received: true, outcome: result.outcome });
  });

  return router;
}
