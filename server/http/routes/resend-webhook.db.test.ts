import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../../agents/offline-model/offline-qualifier.ts';
import { createEmailChannel, type EmailChannel } from '../../../channels/email/email-channel.ts';
import { systemActor } from '../../../core/actor.ts';
import { recordConsent } from '../../../core/compliance/consent.ts';
import {
  type ConversationServiceDeps,
  createConversationServiceDeps,
  startQualification,
} from '../../../core/conversations/conversation-service.ts';
import { upsertLead } from '../../../core/leads.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { sendOutbound } from '../../../core/outbound.ts';
import {
  type ResendLoopback,
  type ResendSentEmail,
  type ResendWebhookPayload,
  signWebhook,
  startResendLoopback,
} from '../../../tests/support/resend-loopback.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import { waitFor } from '../../../tests/support/wait-for.ts';
import type { Database } from '../../db/database.ts';
import { resendWebhookRoutes } from './resend-webhook.ts';

const webhookSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const replyDomain = 'reply.brightwave.example';
const from = 'Brightwave Sales <sales@brightwave.example>';
const physicalAddress = '100 Harbor Way, San Francisco, CA 94105';

let db: Database;
let resend: ResendLoopback;
let email: EmailChannel;
let conversations: ConversationServiceDeps;
let server: TestServer;
let orgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  resend = await startResendLoopback();
  email = createEmailChannel({
    apiKey: 're_test_quotahit',
    from,
    replyDomain,
    webhookSecret,
    baseUrl: resend.url,
    retry: { sleep: async () => {} },
  });
  const senders = { email: email.sender };
  const unsubscribe = {
    publicUrl: 'https://sales.brightwave.example',
    secret: 'unsubscribe-secret-for-tests',
  };
  conversations = createConversationServiceDeps({
    db,
    qualifier: createOfflineQualifier(),
    deliver: (draft) => sendOutbound({ db, senders, unsubscribe }, draft),
  });
  server = await startTestServer(db, {
    conversations,
    webhooks: [resendWebhookRoutes({ db, conversations, email })],
  });
  ({ orgId } = await createOrganization(
    db,
    { name: 'Brightwave', settings: { physicalAddress } },
    systemActor,
  ));
});
afterAll(async () => {
  await server.close();
  await resend.close();
  await db.close();
});

const post = (payload: string, headers: Record<string, string>) =>
  server.request('POST', '/webhooks/resend', { rawBody: payload, headers });

/** Resend delivering `event`, signed (a fresh svix-id unless `id` is given). */
function deliver(
  event: ResendWebhookPayload,
  options: { id?: string; timestamp?: Date; secret?: string } = {},
) {
  const payload = JSON.stringify(event);
  return post(payload, signWebhook(options.secret ?? webhookSecret, payload, options));
}

/** A lead who agreed to email, and the qualifier's opening email to them, sent through Resend. */
async function emailConversation() {
  const address = `pat-${randomUUID().slice(0, 8)}@acme.example`;
  const { lead } = await upsertLead(db, orgId, { email: address, firstName: 'Pat' }, systemActor);
  await recordConsent(
    db,
    orgId,
    {
      contactId: lead.id,
      type: 'email_marketing',
      method: 'web_form',
      evidence: { wording: 'Email me about Brightwave.' },
    },
    systemActor,
  );
  const started = await startQualification(conversations, orgId, lead.id);
  expect(started).toMatchObject({ started: true, channel: 'email', delivery: 'sent' });
  const [conversation] = await db.query<{ id: string; reply_token: string }>(
    'select id, reply_token from conversations where id = $1',
    [started.conversationId],
  );
  const opening = resend.sent.findLast((sent) => sent.to.includes(address))!;
  return {
    address,
    contactId: lead.id,
    conversationId: conversation!.id,
    replyTo: `reply+${conversation!.reply_token}@${replyDomain}`,
    opening,
  };
}

const messagesOf = (conversationId: string) =>
  db.query<{ direction: string; body: string; status: string; provider_message_id: string | null }>(
    'select direction, body, status, provider_message_id from messages where conversation_id = $1 order by seq',
    [conversationId],
  );

const sentTo = (address: string) => resend.sent.filter((sent) => sent.to.includes(address));
const receivingCalls = () =>
  resend.requests.filter((request) => request.path.startsWith('/emails/receiving/'));

function prospectReply(thread: { address: string; replyTo: string }, text: string) {
  return resend.receiveEmail({
    from: `Pat Lee <${thread.address}>`,
    to: [thread.replyTo],
    subject: 'Re: Quick question from Brightwave',
    text: `${text}\n\nOn Tue, Mar 3, 2026 at 10:02 AM ${from} wrote:\n> What is the budget?\n>\n> Brightwave`,
  });
}

/** The agent's answer to the prospect's reply, once it has gone out. */
async function answerTo(thread: { address: string; conversationId: string }, count: number) {
  await waitFor(() => sentTo(thread.address).length >= count, 'the answer by email');
  await waitFor(
    async () => (await messagesOf(thread.conversationId)).filter((m) => m.status === 'sent').length >= count,
    'the answer recorded as sent',
  );
  return sentTo(thread.address)[count - 1]!;
}

describe('POST /webhooks/resend: inbound email', () => {
  it('threads a reply into its conversation and answers it by email, on the same thread', async () => {
    const thread = await emailConversation();
    expect(thread.opening).toMatchObject({
      from,
      to: [thread.address],
      subject: 'Quick question from Brightwave',
      reply_to: [thread.replyTo],
      headers: { 'List-Unsubscribe': expect.stringMatching(/^<https:\/\/sales\.brightwave\.example\//) },
    });
    expect(thread.opening.text).toContain(physicalAddress);

    const reply = prospectReply(thread, 'We have about $40k budgeted for this.');
    const answer = await deliver(reply);
    expect(answer).toMatchObject({
      status: 200,
      body: { received: true, status: 'stored', conversationId: thread.conversationId },
    });

    const sent = await answerTo(thread, 2);
    expect(sent).toMatchObject({
      from,
      to: [thread.address],
      subject: 'Re: Quick question from Brightwave',
      reply_to: [thread.replyTo],
      // It names the prospect's email, so their mail client shows it in the same thread.
      headers: { 'In-Reply-To': reply.data.message_id, References: reply.data.message_id },
    });
    const messages = await messagesOf(thread.conversationId);
    expect(messages.map((m) => [m.direction, m.status])).toEqual([
      ['outbound', 'sent'],
      ['inbound', 'processed'],
      ['outbound', 'sent'],
    ]);
    // Only the new text reached the agent; the quoted history did not.
    expect(messages[1]).toMatchObject({
      body: 'We have about $40k budgeted for this.',
      provider_message_id: reply.data.email_id,
    });
    expect(messages[2]!.provider_message_id).toBe(sent.id);
    const contacts = await db.query('select id from contacts where org_id = $1 and email = $2', [
      orgId,
      thread.address,
    ]);
    expect(contacts).toHaveLength(1);
  });

  it('never echoes a malformed Message-ID into the answer’s headers', async () => {
    const thread = await emailConversation();
    const reply = resend.receiveEmail({
      from: `Pat Lee <${thread.address}>`,
      to: [thread.replyTo],
      subject: 'Re: Quick question from Brightwave',
      text: 'What does it cost?',
      messageId: '<x@y>\r\nBcc: everyone@list.example',
    });
    expect((await deliver(reply)).body).toMatchObject({ status: 'stored' });
    const sent = await answerTo(thread, 2);
    expect(sent.headers ?? {}).not.toHaveProperty('In-Reply-To');
    expect(sent.headers ?? {}).not.toHaveProperty('References');
  });

  it('processes a webhook delivered twice once, and the same email under another event id once', async () => {
    const thread = await emailConversation();
    const reply = prospectReply(thread, 'Our CFO signs off.');
    const payload = JSON.stringify(reply);
    const headers = signWebhook(webhookSecret, payload);
    const fetchesBefore = receivingCalls().length;
    expect((await post(payload, headers)).body).toMatchObject({ status: 'stored' });
    await answerTo(thread, 2);

    // Resend retries the same event (same svix-id): acknowledged without loading the email again.
    expect((await post(payload, headers)).body).toEqual({ received: true, status: 'duplicate' });
    expect(receivingCalls().length - fetchesBefore).toBe(1);
    // The same email in a new event: stored once, by Resend's email id.
    expect((await deliver(reply)).body).toMatchObject({ status: 'duplicate' });

    const messages = await messagesOf(thread.conversationId);
    expect(messages.filter((m) => m.direction === 'inbound')).toHaveLength(1);
    expect(messages.filter((m) => m.direction === 'outbound')).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sentTo(thread.address)).toHaveLength(2);
  });

  it('keeps the start of a reply longer than a message may be, rather than refusing it', async () => {
    const thread = await emailConversation();
    const long = `Here is our whole RFP. ${'We need routing by territory. '.repeat(400)}`;
    expect((await deliver(prospectReply(thread, long))).body).toMatchObject({ status: 'stored' });
    const inbound = (await messagesOf(thread.conversationId)).filter((m) => m.direction === 'inbound');
    expect(inbound).toHaveLength(1);
    expect(inbound[0]!.body).toHaveLength(conversations.limits.maxMessageChars);
    expect(inbound[0]!.body.startsWith('Here is our whole RFP.')).toBe(true);
    await answerTo(thread, 2);
  });

  it('stores a reply holding characters the database cannot store, replaced, rather than failing', async () => {
    const thread = await emailConversation();
    const reply = prospectReply(thread, 'Our budget\u0000 is 20k \udc00 per year');
    expect((await deliver(reply)).body).toMatchObject({ status: 'stored' });
    const inbound = (await messagesOf(thread.conversationId)).filter((m) => m.direction === 'inbound');
    expect(inbound.map((m) => m.body)).toEqual(['Our budget is 20k \ufffd per year']);
    await answerTo(thread, 2);
  });

  it('refuses forged, tampered, unsigned and replayed (stale) webhooks with 400 and changes nothing', async () => {
    const thread = await emailConversation();
    const reply = prospectReply(thread, 'We can start in April.');
    const payload = JSON.stringify(reply);
    const fetchesBefore = receivingCalls().length;
    const receipts = () => db.query(`select 1 from webhook_receipts where org_id = $1`, [orgId]);
    const receiptsBefore = (await receipts()).length;
    const attempts = [
      await deliver(reply, { secret: 'whsec_YXR0YWNrZXJzZWNyZXRhdHRhY2tlcnNlY3JldA==' }),
      await post(payload.replace('Quick question', 'Quick questions'), signWebhook(webhookSecret, payload)),
      await post(payload, {}),
      // A captured genuine delivery replayed ten minutes later.
      await deliver(reply, { timestamp: new Date(Date.now() - 10 * 60_000) }),
    ];
    for (const refused of attempts) {
      expect(refused.status).toBe(400);
      expect(refused.contentType).toMatch(/application\/problem\+json/);
      expect(refused.body.detail).toMatch(/Svix signature does not verify/);
    }
    expect(await messagesOf(thread.conversationId)).toHaveLength(1);
    expect(receivingCalls().length).toBe(fetchesBefore);
    expect(await receipts()).toHaveLength(receiptsBefore);
    // Nothing was recorded for them: the genuine delivery is still processed.
    expect((await deliver(reply)).body).toMatchObject({ status: 'stored' });
  });

  it('retries a Resend outage while answering, and the answer goes out once', async () => {
    const thread = await emailConversation();
    // Resend accepts the answer but the response is lost (500): the retry must not send it again.
    resend.failNext(500, 1, { afterAccepting: true });
    const reply = prospectReply(thread, 'Budget is approved.');
    const stored = await deliver(reply);
    expect(stored.body).toMatchObject({ status: 'stored' });
    const answer = await answerTo(thread, 2);
    const [ledger] = await db.query<{ status: string; provider_message_id: string }>(
      `select status, provider_message_id from outbound_deliveries
       where org_id = $1 and conversation_id = $2 order by created_at desc limit 1`,
      [orgId, thread.conversationId],
    );
    expect(ledger).toEqual({ status: 'sent', provider_message_id: answer.id });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sentTo(thread.address)).toHaveLength(2);
  });

  it('answers 503 when the email cannot be loaded from Resend, so Resend delivers it again', async () => {
    const thread = await emailConversation();
    const reply = prospectReply(thread, 'Call me Monday.');
    const payload = JSON.stringify(reply);
    const headers = signWebhook(webhookSecret, payload);
    resend.failNext(503, 4);
    const failed = await post(payload, headers);
    expect(failed.status).toBe(503);
    expect(await messagesOf(thread.conversationId)).toHaveLength(1);
    expect((await post(payload, headers)).body).toMatchObject({ status: 'stored' });
  });

  it('acknowledges and ignores email for no known organization, events it does not act on, and refuses a body that is not an event', async () => {
    const stranger = `stranger-${randomUUID().slice(0, 8)}@nowhere.example`;
    const unknown = resend.receiveEmail({
      from: stranger,
      to: ['sales@brightwave.example'],
      subject: 'Hello',
      text: 'Who are you?',
    });
    const fetchesBefore = receivingCalls().length;
    expect((await deliver(unknown)).body).toEqual({
      received: true,
      ignored: 'email.received',
      reason: 'unknown_recipient',
    });
    expect(receivingCalls().length).toBe(fetchesBefore);
    expect(await db.query('select 1 from contacts where email = $1', [stranger])).toHaveLength(0);

    const other = {
      type: 'contact.created',
      created_at: new Date().toISOString(),
      data: { id: randomUUID() },
    };
    expect((await deliver(other)).body).toEqual({ received: true, ignored: 'contact.created' });

    const notAnEvent = await post('{"hello":"world"}', signWebhook(webhookSecret, '{"hello":"world"}'));
    expect(notAnEvent.status).toBe(400);
    expect(notAnEvent.contentType).toMatch(/application\/problem\+json/);
  });
});

describe('POST /webhooks/resend: delivery events', () => {
  const statusOf = async (emailId: string) => ({
    message: (
      await db.query<{ status: string }>(
        `select status from messages where provider_message_id = $1 and direction = 'outbound'`,
        [emailId],
      )
    )[0]?.status,
    ledger: (
      await db.query<{ provider_status: string | null }>(
        'select provider_status from outbound_deliveries where provider_message_id = $1',
        [emailId],
      )
    )[0]?.provider_status,
  });

  const replyDraft = (thread: { contactId: string; conversationId: string }) => ({
    orgId,
    contactId: thread.contactId,
    conversationId: thread.conversationId,
    channel: 'email' as const,
    purpose: 'conversation_reply' as const,
    sender: 'agent' as const,
    subject: 'Re: Quick question from Brightwave',
    body: 'One more question.',
    idempotencyKey: randomUUID(),
  });
  const send = (thread: { contactId: string; conversationId: string }) =>
    sendOutbound({ db, senders: { email: email.sender } }, replyDraft(thread));

  it('applies each status once and never backwards', async () => {
    const thread = await emailConversation();
    const id = thread.opening.id;
    const delivered = resend.deliveryEvent('email.delivered', thread.opening);
    const payload = JSON.stringify(delivered);
    const headers = signWebhook(webhookSecret, payload);
    expect((await post(payload, headers)).body).toEqual({ received: true, status: 'applied' });
    expect(await statusOf(id)).toEqual({ message: 'delivered', ledger: 'delivered' });
    expect((await post(payload, headers)).body).toEqual({ received: true, status: 'duplicate' });
    // A late `sent` does not undo `delivered`; an open moves it on.
    expect((await deliver(resend.deliveryEvent('email.sent', thread.opening))).body).toMatchObject({
      status: 'unchanged',
    });
    expect((await deliver(resend.deliveryEvent('email.opened', thread.opening))).body).toMatchObject({
      status: 'applied',
    });
    expect(await statusOf(id)).toEqual({ message: 'opened', ledger: 'opened' });
    const events = await db.query<{ data: { status: string } }>(
      `select data from events where org_id = $1 and name = 'message.status.updated' and data ->> 'contactId' = $2
       order by seq`,
      [orgId, thread.contactId],
    );
    expect(events.map((event) => event.data.status)).toEqual(['delivered', 'opened']);
  });

  it('a hard bounce suppresses the address, so the gate refuses the next email; a soft bounce does not', async () => {
    const soft = await emailConversation();
    await deliver(
      resend.deliveryEvent('email.bounced', soft.opening, {
        bounce: { type: 'Transient', subType: 'MailboxFull', message: 'Mailbox full' },
      }),
    );
    expect(await statusOf(soft.opening.id)).toEqual({ message: 'bounced', ledger: 'bounced' });
    expect((await send(soft)).status).toBe('sent');

    const hard = await emailConversation();
    const bounced = await deliver(
      resend.deliveryEvent('email.bounced', hard.opening, {
        bounce: { type: 'Permanent', subType: 'General', message: 'No such mailbox' },
      }),
    );
    expect(bounced.body).toEqual({ received: true, status: 'applied' });
    const suppressions = await db.query<{ reason: string }>(
      `select reason from suppressions where org_id = $1 and channel = 'email' and address = $2`,
      [orgId, hard.address],
    );
    expect(suppressions).toEqual([{ reason: 'hard_bounce' }]);
    const before = resend.sent.length;
    expect(await send(hard)).toMatchObject({ status: 'refused', reasons: ['hard_bounced'] });
    expect(resend.sent.length).toBe(before);
  });

  it('a spam complaint suppresses the address too', async () => {
    const thread = await emailConversation();
    await deliver(resend.deliveryEvent('email.delivered', thread.opening));
    expect((await deliver(resend.deliveryEvent('email.complained', thread.opening))).body).toMatchObject({
      status: 'applied',
    });
    expect(await statusOf(thread.opening.id)).toEqual({ message: 'complained', ledger: 'complained' });
    const before = resend.sent.length;
    expect(await send(thread)).toMatchObject({ status: 'refused', reasons: ['complained'] });
    expect(resend.sent.length).toBe(before);
  });

  it('asks Resend to retry a fresh event about an email not yet in the ledger, and ignores an old one', async () => {
    const stray: ResendSentEmail = {
      id: randomUUID(),
      from,
      to: ['someone@elsewhere.example'],
      subject: 'Not ours',
      created_at: new Date().toISOString(),
    };
    const fresh = await deliver(resend.deliveryEvent('email.delivered', stray));
    expect(fresh.status).toBe(503);
    const old = { ...resend.deliveryEvent('email.delivered', stray), created_at: '2026-01-01T00:00:00.000Z' };
    expect((await deliver(old)).body).toEqual({
      received: true,
      ignored: 'email.delivered',
      reason: 'unknown_email',
    });
  });
});

describe('without Resend configured', () => {
  it('refuses webhooks with 503', async () => {
    const bare = await startTestServer(db, {
      conversations,
      webhooks: [resendWebhookRoutes({ db, conversations })],
    });
    try {
      const refused = await bare.request('POST', '/webhooks/resend', { rawBody: '{}' });
      expect(refused.status).toBe(503);
      expect(refused.contentType).toMatch(/application\/problem\+json/);
      expect(refused.body.detail).toMatch(/RESEND_WEBHOOK_SECRET/);
    } finally {
      await bare.close();
    }
  });
});
