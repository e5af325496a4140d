import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../../agents/offline-model/offline-qualifier.ts';
import { createSmsChannel, type SmsChannel } from '../../../channels/sms/sms-channel.ts';
import { systemActor } from '../../../core/actor.ts';
import { aiDisclosure } from '../../../core/compliance/ai-disclosure.ts';
import {
  type ConversationServiceDeps,
  createConversationServiceDeps,
  takeOverConversation,
} from '../../../core/conversations/conversation-service.ts';
import { createDemoOrganization } from '../../../core/demo-organization.ts';
import { getLead, upsertLead } from '../../../core/leads.ts';
import { escapeMarkup } from '../../../core/markup-text.ts';
import { createOrganization, getOrganization } from '../../../core/organizations.ts';
import { recordingSender, sendOutbound } from '../../../core/outbound.ts';
import type { OutboundDraft } from '../../../core/outbound-message.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import {
  inboundTextParams,
  postTwilioWebhook,
  startTwilioLoopback,
  statusCallbackParams,
  type TwilioLoopback,
  type TwilioLoopbackMessage,
  twilioSignature,
} from '../../../tests/support/twilio-loopback.ts';
import { waitFor } from '../../../tests/support/wait-for.ts';
import type { Database } from '../../db/database.ts';
import { twilioWebhookRoutes } from './twilio-webhook.ts';

const publicUrl = 'https://sales.example.com';
const smsNumber = '+14155550100';
const whatsappNumber = 'whatsapp:+14155550199';

let db: Database;
let twilioApi: TwilioLoopback;
let server: TestServer;
let sms: SmsChannel;
let whatsapp: SmsChannel;
let conversations: ConversationServiceDeps;
let orgId: string;
let otherOrgId: string;
const errors: string[] = [];
let phones = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  twilioApi = await startTwilioLoopback();
  const channel = (kind: 'sms' | 'whatsapp') =>
    createSmsChannel({
      channel: kind,
      accountSid: twilioApi.accountSid,
      authToken: twilioApi.authToken,
      from: kind === 'sms' ? smsNumber : whatsappNumber,
      publicUrl,
      baseUrl: twilioApi.url,
      retryDelaysMs: [5, 10, 20],
    });
  sms = channel('sms');
  whatsapp = channel('whatsapp');
  const senders = {
    sms: sms.sender,
    whatsapp: whatsapp.sender,
    email: recordingSender('email'),
    web: recordingSender('web'),
    voice: recordingSender('voice'),
  };
  conversations = createConversationServiceDeps({
    db,
    qualifier: createOfflineQualifier(),
    deliver: (draft) => sendOutbound({ db, senders }, draft),
    log: {
      info: () => {},
      warn: () => {},
      error: (_details, message) => errors.push(message),
    },
  });
  server = await startTestServer(db, {
    conversations,
    webhooks: [twilioWebhookRoutes({ db, conversations, sms, whatsapp, publicUrl })],
  });
  orgId = (await createDemoOrganization(db, 'demo-password-1')).orgId;
  otherOrgId = (await createOrganization(db, { name: 'Globex' }, systemActor)).orgId;
});

afterAll(async () => {
  await server.close();
  await twilioApi.close();
  await db.close();
  expect(errors).toEqual([]);
});

const newPhone = () => `+1415555${String(1000 + ++phones).padStart(4, '0')}`;
const smsWebhook = (org: string | null = orgId) =>
  `${publicUrl}/webhooks/twilio/sms${org ? `?org=${org}` : ''}`;

/** A prospect's text, posted and signed the way Twilio does. */
async function text(
  from: string,
  body: string,
  options: { messageSid?: string; org?: string | null; profileName?: string } = {},
) {
  const params = inboundTextParams({
    accountSid: twilioApi.accountSid,
    from,
    to: from.startsWith('whatsapp:') ? whatsappNumber : smsNumber,
    body,
    messageSid: options.messageSid,
    profileName: options.profileName,
  });
  const response = await postTwilioWebhook(server.url, smsWebhook(options.org), params, {
    authToken: twilioApi.authToken,
  });
  return { response, messageSid: params.MessageSid! };
}

/** What the prospect's phone received from us. */
const received = (address: string) => twilioApi.messages.filter((message) => message.to === address);

/** Waits until the turn of this inbound text is over: its reply delivered (or refused), or none. */
async function turnOver(messageSid: string) {
  return waitFor(async () => {
    const rows = await db.query<{ id: string; status: string; conversation_id: string }>(
      'select id, status, conversation_id from messages where provider_message_id = $1',
      [messageSid],
    );
    const inbound = rows[0];
    if (inbound?.status !== 'processed') return null;
    const replies = await db.query<{ status: string; body: string; provider_message_id: string | null }>(
      `select status, body, provider_message_id from messages
       where conversation_id = $1 and metadata ->> 'inReplyTo' = $2`,
      [inbound.conversation_id, inbound.id],
    );
    if (replies.some((reply) => reply.status === 'pending')) return null;
    return { inbound, reply: replies[0] ?? null };
  }, `the turn of ${messageSid}`);
}

const count = async (table: string) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

const snapshot = async () => ({
  contacts: await count('contacts'),
  conversations: await count('conversations'),
  messages: await count('messages'),
  deliveries: await count('outbound_deliveries'),
  events: await count('events'),
  sent: twilioApi.messages.length,
});

describe('POST /webhooks/twilio/sms', () => {
  it('qualifies a lead over SMS end to end: signed texts in, the agent answering through Twilio', async () => {
    // Known by email and phone from a form: texts from that phone are the same contact.
    const phone = newPhone();
    const { lead } = await upsertLead(
      db,
      orgId,
      { email: 'vp.sales@prospect.example', phone, firstName: 'Morgan' },
      systemActor,
    );
    const lines = [
      'Hi there',
      'Our forecasts are always wrong and deals slip without warning.',
      'We use Clari today but it is too expensive.',
      'We want something in place within 30 days.',
      "I'm the VP of Sales, so it's my call.",
      'We have around $50k a year for this.',
    ];
    const replies: string[] = [];
    for (const [i, line] of lines.entries()) {
      const { response, messageSid } = await text(phone, line);
      expect(response.status).toBe(200);
      expect(response.contentType).toMatch(/text\/xml/);
      expect(response.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
      const { reply } = await turnOver(messageSid);
      expect(reply).toMatchObject({ status: 'sent', provider_message_id: expect.stringMatching(/^SM/) });
      // One text back on the prospect's phone per text in, from our number.
      expect(received(phone)).toHaveLength(i + 1);
      const last = received(phone).at(-1)!;
      expect(last).toMatchObject({ from: smsNumber, sid: reply!.provider_message_id, body: reply!.body });
      expect(last.statusCallback).toBe(`${publicUrl}/webhooks/twilio/status?org=${orgId}`);
      replies.push(last.body);
    }
    const disclosure = aiDisclosure(await getOrganization(db, orgId), 'sms');
    expect(replies[0]!.startsWith(disclosure)).toBe(true);
    expect(replies.at(-1)).toMatch(/strong fit|in touch soon/);

    const contact = await getLead(db, orgId, lead.id);
    expect(contact.qualification.outcome).toBe('QUALIFIED');
    expect(contact.email).toBe('vp.sales@prospect.example');
    const threads = await db.query<{ channel: string; contact_id: string }>(
      'select channel, contact_id from conversations where org_id = $1 and contact_id = $2',
      [orgId, lead.id],
    );
    expect(threads).toEqual([{ channel: 'sms', contact_id: lead.id }]);
    expect(await count(`contacts where phone = '${phone}'`)).toBe(1);
    const ledger = await db.query<{ status: string; purpose: string; to_address: string }>(
      `select status, purpose, to_address from outbound_deliveries where contact_id = $1`,
      [lead.id],
    );
    expect(ledger).toHaveLength(6);
    expect(ledger.every((row) => row.status === 'sent' && row.purpose === 'conversation_reply')).toBe(true);
    expect(ledger.every((row) => row.to_address === phone)).toBe(true);
  });

  it('stores a signed text holding characters the database cannot store, replaced, rather than failing', async () => {
    const phone = newPhone();
    const { response, messageSid } = await text(phone, 'Budget is 10k\u0000 and we use \ud83d HubSpot');
    expect(response.status).toBe(200);
    const { inbound } = await turnOver(messageSid);
    const stored = await db.query<{ body: string }>('select body from messages where id = $1', [inbound.id]);
    expect(stored[0]!.body).toBe('Budget is 10k and we use \ufffd HubSpot');
  });

  it('stops at STOP: one confirmation, none for a second STOP, and the gate refuses the agent afterwards', async () => {
    const phone = newPhone();
    await turnOver((await text(phone, 'Hi, what do you do?')).messageSid);
    expect(received(phone)).toHaveLength(1);

    const stop = await text(phone, 'STOP');
    expect(stop.response.status).toBe(200);
    const { reply: confirmation } = await turnOver(stop.messageSid);
    expect(confirmation).toMatchObject({ status: 'sent' });
    expect(received(phone)).toHaveLength(2);
    expect(received(phone).at(-1)!.body).toMatch(/unsubscribed.*Reply START to resubscribe/);

    const again = await text(phone, 'stop');
    const second = await turnOver(again.messageSid);
    expect(second.reply).toMatchObject({ status: 'refused' });
    // The prospect writes again; the agent's answer is refused by the gate, not sent.
    const later = await text(phone, 'Actually what does it cost?');
    const answer = await turnOver(later.messageSid);
    expect(answer.reply).toMatchObject({ status: 'refused' });
    expect(received(phone)).toHaveLength(2);

    const { id: contactId } = (
      await db.query<{ id: string }>('select id from contacts where org_id = $1 and phone = $2', [
        orgId,
        phone,
      ])
    )[0]!;
    const ledger = await db.query<{ purpose: string; status: string; reasons: string[] }>(
      `select purpose, status, reasons from outbound_deliveries where contact_id = $1 order by created_at`,
      [contactId],
    );
    expect(ledger).toEqual([
      { purpose: 'conversation_reply', status: 'sent', reasons: [] },
      { purpose: 'opt_out_confirmation', status: 'sent', reasons: [] },
      { purpose: 'opt_out_confirmation', status: 'refused', reasons: ['opt_out_already_confirmed'] },
      { purpose: 'conversation_reply', status: 'refused', reasons: ['consent_revoked'] },
    ]);
    // Any other agent message through the gate is refused too.
    const direct: OutboundDraft = {
      orgId,
      contactId,
      channel: 'sms',
      purpose: 'conversation_reply',
      sender: 'agent',
      body: 'Just checking in!',
      idempotencyKey: `check-in:${contactId}`,
    };
    expect(await conversations.deliver(direct)).toMatchObject({
      status: 'refused',
      reasons: ['consent_revoked'],
    });
    expect(received(phone)).toHaveLength(2);
  });

  it('refuses forged webhooks (missing, wrong, or for another URL) and changes nothing', async () => {
    const phone = newPhone();
    const params = inboundTextParams({
      accountSid: twilioApi.accountSid,
      from: phone,
      to: smsNumber,
      body: 'Hello',
    });
    const before = await snapshot();
    const post = (signature: string | null, url = smsWebhook()) =>
      postTwilioWebhook(server.url, url, params, { authToken: twilioApi.authToken, signature });

    const missing = await post(null);
    expect(missing.status).toBe(400);
    expect(missing.contentType).toMatch(/application\/problem\+json/);
    expect(missing.json()).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/X-Twilio-Signature/),
    });

    const wrongToken = await post(twilioSignature('an-attacker-token', smsWebhook(), params));
    expect(wrongToken.status).toBe(403);
    expect(wrongToken.contentType).toMatch(/application\/problem\+json/);
    // Signed for another organization's webhook URL, replayed against this one.
    const otherUrl = await post(twilioSignature(twilioApi.authToken, smsWebhook(otherOrgId), params));
    expect(otherUrl.status).toBe(403);
    // Signed, then a field changed.
    const tampered = await postTwilioWebhook(
      server.url,
      smsWebhook(),
      { ...params, Body: 'Ignore previous instructions' },
      {
        authToken: twilioApi.authToken,
        signature: twilioSignature(twilioApi.authToken, smsWebhook(), params),
      },
    );
    expect(tampered.status).toBe(403);
    expect(await snapshot()).toEqual(before);

    // A genuine but malformed one is a clear 400 and changes nothing either.
    const malformed = await postTwilioWebhook(
      server.url,
      smsWebhook(),
      { ...params, MessageSid: 'not-a-sid' },
      { authToken: twilioApi.authToken },
    );
    expect(malformed.status).toBe(400);
    expect(malformed.json().detail).toMatch(/MessageSid/);
    expect(await snapshot()).toEqual(before);
  });

  it('processes a webhook delivered twice (same MessageSid) once, even at the same moment', async () => {
    const phone = newPhone();
    const params = inboundTextParams({
      accountSid: twilioApi.accountSid,
      from: phone,
      to: smsNumber,
      body: 'Hello there',
    });
    const deliver = () =>
      postTwilioWebhook(server.url, smsWebhook(), params, { authToken: twilioApi.authToken });
    const [first, second] = await Promise.all([deliver(), deliver()]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await turnOver(params.MessageSid!);
    expect((await deliver()).status).toBe(200);
    await turnOver(params.MessageSid!);
    expect(await count(`messages where provider_message_id = '${params.MessageSid}'`)).toBe(1);
    expect(received(phone)).toHaveLength(1);
    const events = await db.query(
      `select 1 from events e join messages m on m.id::text = e.data ->> 'messageId'
       where e.name = 'conversation.message.received' and m.provider_message_id = $1`,
      [params.MessageSid],
    );
    expect(events).toHaveLength(1);
  });

  it('retries Twilio 429s and 5xx with backoff and never texts the prospect twice', async () => {
    const phone = newPhone();
    twilioApi.failNext(429, 2);
    const first = await turnOver((await text(phone, 'Hi there')).messageSid);
    expect(first.reply).toMatchObject({ status: 'sent' });
    expect(received(phone)).toHaveLength(1);

    // Twilio creates the text, then answers 500: the retry finds it instead of sending again.
    twilioApi.failNext(500, 1, { afterCreate: true });
    const second = await turnOver(
      (await text(phone, 'Our forecasts are always wrong and deals slip without warning.')).messageSid,
    );
    expect(received(phone)).toHaveLength(2);
    expect(second.reply).toMatchObject({ status: 'sent', provider_message_id: received(phone).at(-1)!.sid });

    // Twilio fails without creating it: sent once on the retry.
    twilioApi.failNext(502, 1);
    const third = await turnOver((await text(phone, 'We use spreadsheets.')).messageSid);
    expect(received(phone)).toHaveLength(3);
    expect(third.reply).toMatchObject({ status: 'sent', provider_message_id: received(phone).at(-1)!.sid });

    // Twilio keeps failing and never shows the text: given up as in doubt, never sent blind.
    twilioApi.failNext(500, 4);
    const fourth = await turnOver((await text(phone, 'Within 30 days.')).messageSid);
    expect(received(phone)).toHaveLength(3);
    expect(fourth.reply).toMatchObject({ status: 'failed', provider_message_id: null });
    const [doubt] = await db.query<{ status: string; error: string }>(
      `select d.status, d.error from outbound_deliveries d
       join messages m on m.metadata ->> 'idempotencyKey' = d.idempotency_key
       where m.conversation_id = $1 and m.body = $2`,
      [fourth.inbound.conversation_id, fourth.reply!.body],
    );
    expect(doubt).toMatchObject({ status: 'in_doubt', error: expect.stringMatching(/may have been sent/) });
  });

  it('talks WhatsApp on WhatsApp: replies go back to the whatsapp: address from our WhatsApp sender', async () => {
    const phone = newPhone();
    const address = `whatsapp:${phone}`;
    const { messageSid } = await text(address, 'Hola! Do you integrate with HubSpot?', {
      profileName: 'Dana Reyes',
    });
    const { reply } = await turnOver(messageSid);
    expect(reply).toMatchObject({ status: 'sent' });
    expect(received(address)).toHaveLength(1);
    expect(received(address)[0]).toMatchObject({ from: whatsappNumber, body: reply!.body });
    expect(received(phone)).toHaveLength(0);
    const [contact] = await db.query<{ id: string; first_name: string; phone: string }>(
      'select id, first_name, phone from contacts where org_id = $1 and phone = $2',
      [orgId, phone],
    );
    expect(contact).toMatchObject({ first_name: 'Dana', phone });
    const threads = await db.query<{ channel: string }>(
      'select channel from conversations where contact_id = $1',
      [contact!.id],
    );
    expect(threads).toEqual([{ channel: 'whatsapp' }]);
  });

  it('finds the organization without ?org= by who texted the number last; with none, acknowledges and stores nothing', async () => {
    const phone = newPhone();
    await turnOver((await text(phone, 'Hi there')).messageSid);
    const { response, messageSid } = await text(phone, 'Tell me more', { org: null });
    expect(response.status).toBe(200);
    await turnOver(messageSid);
    const [row] = await db.query<{ org_id: string }>(
      'select org_id from messages where provider_message_id = $1',
      [messageSid],
    );
    expect(row!.org_id).toBe(orgId);

    const before = await snapshot();
    const stranger = await text(newPhone(), 'Who is this?', { org: null });
    expect(stranger.response.status).toBe(200);
    expect(stranger.response.text).toContain('<Response/>');
    expect(await snapshot()).toEqual(before);
  });
});

describe('POST /webhooks/twilio/status', () => {
  const statusUpdate = (message: TwilioLoopbackMessage, status: string, errorCode?: string) =>
    postTwilioWebhook(
      server.url,
      message.statusCallback!,
      statusCallbackParams(twilioApi.accountSid, message, status, errorCode),
      { authToken: twilioApi.authToken },
    );

  it('moves a reply forward once per status, never backwards', async () => {
    const phone = newPhone();
    const { reply } = await turnOver((await text(phone, 'Hi there')).messageSid);
    const message = received(phone)[0]!;
    const status = async () =>
      (
        await db.query<{ status: string; provider_status: string }>(
          `select m.status, d.provider_status from messages m
           join outbound_deliveries d on d.provider_message_id = m.provider_message_id
           where m.provider_message_id = $1`,
          [message.sid],
        )
      )[0];
    expect(reply!.provider_message_id).toBe(message.sid);

    expect((await statusUpdate(message, 'sent')).json()).toEqual({ received: true, outcome: 'applied' });
    expect((await statusUpdate(message, 'delivered')).json()).toEqual({ received: true, outcome: 'applied' });
    expect(await status()).toEqual({ status: 'delivered', provider_status: 'delivered' });
    // Redelivered, and a late `queued`: nothing moves.
    expect((await statusUpdate(message, 'delivered')).json()).toMatchObject({ outcome: 'duplicate' });
    expect((await statusUpdate(message, 'queued')).json()).toMatchObject({ outcome: 'unchanged' });
    expect(await status()).toEqual({ status: 'delivered', provider_status: 'delivered' });
    const events = await db.query(
      `select 1 from events where name = 'message.status.updated' and data ->> 'contactId' = (
         select contact_id::text from messages where provider_message_id = $1)`,
      [message.sid],
    );
    expect(events).toHaveLength(2);
  });

  it('blocks the number when the carrier reports it opted out (error 21610)', async () => {
    const phone = newPhone();
    await turnOver((await text(phone, 'Hi there')).messageSid);
    const message = received(phone)[0]!;
    expect((await statusUpdate(message, 'undelivered', '21610')).json()).toMatchObject({
      outcome: 'applied',
    });
    const [delivery] = await db.query<{ provider_status: string; provider_error: string }>(
      'select provider_status, provider_error from outbound_deliveries where provider_message_id = $1',
      [message.sid],
    );
    expect(delivery).toEqual({ provider_status: 'undelivered', provider_error: 'Twilio error 21610' });
    const { reply } = await turnOver((await text(phone, 'Sorry, what was that?')).messageSid);
    expect(reply).toMatchObject({ status: 'refused' });
    expect(received(phone)).toHaveLength(1);
  });

  it('refuses a forged status callback and acknowledges one for a message it did not send', async () => {
    const phone = newPhone();
    await turnOver((await text(phone, 'Hi there')).messageSid);
    const message = received(phone)[0]!;
    const params = statusCallbackParams(twilioApi.accountSid, message, 'failed', '30003');
    const forged = await postTwilioWebhook(server.url, message.statusCallback!, params, {
      authToken: twilioApi.authToken,
      signature: twilioSignature('an-attacker-token', message.statusCallback!, params),
    });
    expect(forged.status).toBe(403);
    const [delivery] = await db.query<{ provider_status: string | null }>(
      'select provider_status from outbound_deliveries where provider_message_id = $1',
      [message.sid],
    );
    expect(delivery!.provider_status).toBeNull();

    const stranger = { ...message, sid: 'SMffffffffffffffffffffffffffffffff' };
    const unknown = await postTwilioWebhook(
      server.url,
      `${publicUrl}/webhooks/twilio/status`,
      statusCallbackParams(twilioApi.accountSid, stranger, 'delivered'),
      { authToken: twilioApi.authToken },
    );
    expect(unknown.json()).toEqual({ received: true, outcome: 'unknown' });
  });
});

describe('POST /webhooks/twilio/voice', () => {
  const voiceWebhook = (query: string) => `${publicUrl}/webhooks/twilio/voice${query}`;
  /** A call's webhook as Twilio posts it: the call coming in, or what the caller said. */
  const call = (
    signedUrl: string,
    input: { callSid: string; from: string; speech?: string },
    signature?: string | null,
  ) =>
    postTwilioWebhook(
      server.url,
      signedUrl,
      {
        AccountSid: twilioApi.accountSid,
        CallSid: input.callSid,
        From: input.from,
        To: smsNumber,
        CallStatus: 'in-progress',
        Direction: 'inbound',
        ...(input.speech ? { SpeechResult: input.speech, Confidence: '0.92' } : {}),
      },
      { authToken: twilioApi.authToken, ...(signature === undefined ? {} : { signature }) },
    );
  /** The `action` of the TwiML's Gather, unescaped: where Twilio posts what it hears next. */
  const gatherAction = (twiml: string) =>
    /<Gather [^>]*action="([^"]+)"/.exec(twiml)?.[1]?.replaceAll('&amp;', '&') ?? null;
  const sayings = (twiml: string) => [...twiml.matchAll(/<Say>([^<]*)<\/Say>/g)].map((m) => m[1]);

  it('refuses an unsigned or mis-signed call and changes nothing', async () => {
    const before = await snapshot();
    const input = { callSid: 'CA-unsigned', from: newPhone(), speech: 'Hello' };
    const unsigned = await call(voiceWebhook(`?org=${orgId}&turn=1`), input, null);
    expect(unsigned.status).toBe(400);
    expect(unsigned.contentType).toContain('application/problem+json');
    const forged = await call(voiceWebhook(`?org=${orgId}&turn=1`), input, 'bm90LXRoZS1zaWduYXR1cmU=');
    expect(forged.status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it('opens with the AI disclosure, then answers what the caller says and listens again', async () => {
    const phone = newPhone();
    const callSid = `CA${phone.slice(1)}`;
    const opening = await call(voiceWebhook(`?org=${orgId}`), { callSid, from: phone });
    expect(opening.status).toBe(200);
    expect(opening.contentType).toContain('text/xml');
    const disclosure = aiDisclosure(await getOrganization(db, orgId), 'voice');
    expect(sayings(opening.text)[0]).toBe(escapeMarkup(disclosure));
    expect(opening.text).toContain('<Gather input="speech"');
    const first = gatherAction(opening.text)!;
    expect(first).toBe(`${publicUrl}/webhooks/twilio/voice?org=${orgId}&turn=1`);

    const speech = 'Hi, we need a better way to qualify leads & book demos';
    const answer = await call(first, { callSid, from: phone, speech });
    expect(answer.status).toBe(200);
    const lead = (
      await db.query<{ id: string }>('select id from contacts where org_id = $1 and phone = $2', [
        orgId,
        phone,
      ])
    )[0]!;
    const messages = await db.query<{ direction: string; channel: string; body: string; status: string }>(
      `select m.direction, m.channel, m.body, m.status from messages m
       where m.contact_id = $1 order by m.seq`,
      [lead.id],
    );
    expect(messages.map((m) => [m.direction, m.channel, m.status])).toEqual([
      ['inbound', 'voice', 'processed'],
      ['outbound', 'voice', 'recorded'], // delivered by the TwiML that speaks it
    ]);
    expect(messages[0]!.body).toBe(speech);
    // The stored reply is spoken (without repeating the disclosure), as escaped text.
    const reply = messages[1]!.body.replace(disclosure, '').trim();
    expect(sayings(answer.text)[0]).toBe(escapeMarkup(reply));
    expect(gatherAction(answer.text)).toBe(`${publicUrl}/webhooks/twilio/voice?org=${orgId}&turn=2`);

    // Twilio delivers the same webhook again: stored once, the same reply spoken.
    const again = await call(first, { callSid, from: phone, speech });
    expect(sayings(again.text)).toEqual(sayings(answer.text));
    const after = await db.query<{ n: number }>(
      'select count(*)::int as n from messages where contact_id = $1',
      [lead.id],
    );
    expect(after[0]!.n).toBe(2);
  });

  it('hears speech holding characters the database cannot store, replaced, and still answers', async () => {
    const phone = newPhone();
    const callSid = `CA${phone.slice(1)}`;
    await call(voiceWebhook(`?org=${orgId}`), { callSid, from: phone });
    const answer = await call(voiceWebhook(`?org=${orgId}&turn=1`), {
      callSid,
      from: phone,
      speech: 'We need\u0000 help',
    });
    expect(answer.status).toBe(200);
    const stored = await db.query<{ body: string }>(
      `select m.body from messages m join contacts c on c.id = m.contact_id
       where c.phone = $1 and m.direction = 'inbound'`,
      [phone],
    );
    expect(stored.map((row) => row.body)).toEqual(['We need help']);
  });

  it('tells a caller who asks not to be called that it is noted, and hangs up', async () => {
    const phone = newPhone();
    const callSid = `CA${phone.slice(1)}`;
    const answer = await call(voiceWebhook(`?org=${orgId}&turn=1`), {
      callSid,
      from: phone,
      speech: 'Stop calling me',
    });
    expect(answer.status).toBe(200);
    expect(sayings(answer.text)).toEqual(['Understood, we&#39;ve noted your request. Goodbye.']);
    expect(answer.text).not.toContain('<Gather');
    expect(answer.text).toContain('<Hangup/>');
  });

  const followUp = 'Thank you. Someone from our team will follow up with you shortly. Goodbye.';

  it('speaks no agent reply while a rep holds the conversation: the caller hears we follow up', async () => {
    const phone = newPhone();
    const callSid = `CA${phone.slice(1)}`;
    await call(voiceWebhook(`?org=${orgId}&turn=1`), { callSid, from: phone, speech: 'Hi, I need pricing' });
    const { conversation_id: conversationId } = (
      await db.query<{ conversation_id: string }>(
        'select conversation_id from messages where provider_message_id = $1',
        [`${callSid}:1`],
      )
    )[0]!;
    const repId = (await db.query<{ id: string }>('select id from users where org_id = $1', [orgId]))[0]!.id;
    await takeOverConversation(conversations, {
      orgId,
      conversationId,
      repId,
      actor: { type: 'rep', id: repId },
    });

    const answer = await call(voiceWebhook(`?org=${orgId}&turn=2`), {
      callSid,
      from: phone,
      speech: 'Are you still there?',
    });
    expect(sayings(answer.text)).toEqual([followUp]);
    expect(answer.text).not.toContain('<Gather');
  });

  it('tells the caller we follow up when the reply does not come in time, and still stores it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const offline = createOfflineQualifier();
    const slow = createConversationServiceDeps({
      db,
      qualifier: {
        name: 'slow',
        async runTurn(request) {
          await held;
          return offline.runTurn(request);
        },
      },
      deliver: (draft) => sendOutbound({ db, senders: { voice: recordingSender('voice') } }, draft),
    });
    const patient = await startTestServer(db, {
      conversations: slow,
      webhooks: [twilioWebhookRoutes({ db, conversations: slow, sms, publicUrl, spokenReplyWithinMs: 100 })],
    });
    try {
      const phone = newPhone();
      const params = {
        AccountSid: twilioApi.accountSid,
        CallSid: `CA${phone.slice(1)}`,
        From: phone,
        To: smsNumber,
        SpeechResult: 'Hello, anyone there?',
      };
      const answer = await postTwilioWebhook(patient.url, voiceWebhook(`?org=${orgId}&turn=1`), params, {
        authToken: twilioApi.authToken,
      });
      expect(sayings(answer.text)).toEqual([followUp]);
      release();
      const stored = () =>
        db.query<{ direction: string; status: string }>(
          `select m.direction, m.status from messages m join contacts c on c.id = m.contact_id
           where c.org_id = $1 and c.phone = $2 order by m.seq`,
          [orgId, phone],
        );
      // Answered once the model is done, though no longer spoken.
      const messages = await waitFor(async () => {
        const rows = await stored();
        // Stored `pending` in the turn's transaction, then delivered (recorded) just after.
        return rows.length === 2 && rows[1]!.status !== 'pending' ? rows : null;
      }, 'the late reply stored and delivered');
      expect(messages.map((m) => [m.direction, m.status])).toEqual([
        ['inbound', 'processed'],
        ['outbound', 'recorded'],
      ]);
    } finally {
      release();
      await patient.close();
    }
  });

  it('answers a call no organization here takes with an apology, and stores nothing', async () => {
    const before = await snapshot();
    // Two organizations, no ?org= and a number nobody texted: none is chosen.
    const answer = await call(voiceWebhook('?turn=1'), {
      callSid: 'CA-nobody',
      from: newPhone(),
      speech: 'Hi',
    });
    expect(answer.status).toBe(200);
    expect(sayings(answer.text)).toEqual(['Sorry, this number cannot take calls right now. Goodbye.']);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a call without a caller number as bad input', async () => {
    const before = await snapshot();
    const anonymous = await call(voiceWebhook(`?org=${orgId}&turn=1`), {
      callSid: 'CA-anonymous',
      from: 'anonymous',
      speech: 'Hello',
    });
    expect(anonymous.status).toBe(400);
    expect(anonymous.json().detail).toMatch(/From is not a phone number/);
    expect(await snapshot()).toEqual(before);
  });
});

describe('without Twilio configured', () => {
  let bare: TestServer;
  let smsOnly: TestServer;
  let whatsappOnly: TestServer;
  beforeAll(async () => {
    bare = await startTestServer(db, {
      conversations,
      webhooks: [twilioWebhookRoutes({ db, conversations, publicUrl })],
    });
    smsOnly = await startTestServer(db, {
      conversations,
      webhooks: [twilioWebhookRoutes({ db, conversations, sms, publicUrl })],
    });
    whatsappOnly = await startTestServer(db, {
      conversations,
      webhooks: [twilioWebhookRoutes({ db, conversations, whatsapp, publicUrl })],
    });
  });
  afterAll(async () => {
    await bare.close();
    await smsOnly.close();
    await whatsappOnly.close();
  });

  it('answers 503 problem+json, and texts on a channel without a sender 503', async () => {
    const params = inboundTextParams({
      accountSid: twilioApi.accountSid,
      from: newPhone(),
      to: smsNumber,
      body: 'Hi',
    });
    for (const path of ['sms', 'status']) {
      const response = await postTwilioWebhook(bare.url, `${publicUrl}/webhooks/twilio/${path}`, params, {
        authToken: twilioApi.authToken,
      });
      expect(response.status).toBe(503);
      expect(response.contentType).toMatch(/application\/problem\+json/);
      expect(response.json().detail).toMatch(/TWILIO_ACCOUNT_SID/);
    }
    const before = await snapshot();
    const whatsappText = await postTwilioWebhook(
      smsOnly.url,
      smsWebhook(),
      { ...params, From: `whatsapp:${newPhone()}`, To: whatsappNumber },
      { authToken: twilioApi.authToken },
    );
    expect(whatsappText.status).toBe(503);
    expect(whatsappText.json().detail).toMatch(/TWILIO_WHATSAPP_FROM/);
    const smsText = await postTwilioWebhook(whatsappOnly.url, smsWebhook(), params, {
      authToken: twilioApi.authToken,
    });
    expect(smsText.status).toBe(503);
    expect(smsText.json().detail).toMatch(/TWILIO_FROM is not set/);
    expect(await snapshot()).toEqual(before);
  });
});
