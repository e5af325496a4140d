import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../core/errors.ts';
import { ProviderRejectedError } from '../../core/outbound.ts';
import { channelAdapterSuite } from '../../tests/support/channel-adapter-suite.ts';
import {
  type ResendLoopback,
  signWebhook,
  startResendLoopback,
} from '../../tests/support/resend-loopback.ts';
import type { InboundRequest, OutboundMessage } from '../channel-adapter.ts';
import { createEmailChannel, type EmailChannelOptions } from './email-channel.ts';

const webhookSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const from = 'Brightwave Sales <sales@brightwave.example>';
const replyDomain = 'reply.brightwave.example';
const token = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

let resend: ResendLoopback;
let waits: number[];

beforeAll(async () => {
  resend = await startResendLoopback();
});
afterAll(() => resend.close());

function channel(overrides: Partial<EmailChannelOptions> = {}) {
  waits = [];
  return createEmailChannel({
    apiKey: 're_test_quotahit',
    from,
    replyDomain,
    webhookSecret,
    baseUrl: resend.url,
    retry: { sleep: async (ms) => void waits.push(ms) },
    ...overrides,
  });
}

function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    orgId: randomUUID(),
    contactId: randomUUID(),
    conversationId: randomUUID(),
    channel: 'email',
    purpose: 'conversation_reply',
    sender: 'agent',
    to: 'pat@acme.example',
    subject: 'Re: Quick question from Brightwave',
    body: 'Thanks, Pat. Who else signs off on a purchase like this?',
    idempotencyKey: `turn:${randomUUID()}`,
    replyToken: token,
    headers: { 'List-Unsubscribe': '<https://sales.example.com/u/abc>' },
    ...overrides,
  };
}

/** A genuine `email.received` webhook for a reply to `to`, with its content loaded as the route does. */
async function receivedRequest(
  options: { to?: string[]; text?: string; fromAddress?: string; orgId?: string } = {},
): Promise<InboundRequest> {
  const event = resend.receiveEmail({
    from: options.fromAddress ?? 'Pat Lee <Pat@Acme.example>',
    to: options.to ?? [`reply+${token}@${replyDomain}`],
    subject: 'Re: Quick question from Brightwave',
    text:
      options.text ??
      'We have about $40k budgeted.\n\nOn Tue, Mar 3, 2026 at 10:02 AM Brightwave Sales <sales@brightwave.example> wrote:\n> What budget do you have in mind?',
  });
  const rawBody = JSON.stringify(event);
  return {
    orgId: options.orgId ?? randomUUID(),
    headers: signWebhook(webhookSecret, rawBody),
    rawBody,
    body: await channel().loadReceivedEmail(event),
  };
}

channelAdapterSuite('email', async () => {
  const adapter = channel();
  const valid = await receivedRequest();
  const rawBody = valid.rawBody!;
  const signedNow = (body: string) => signWebhook(webhookSecret, body);
  const malformed = (body: unknown): InboundRequest => {
    const raw = JSON.stringify(body);
    return { orgId: valid.orgId, headers: signedNow(raw), rawBody: raw, body };
  };
  return {
    adapter,
    valid,
    forged: [
      { ...valid, headers: signWebhook('whsec_YXR0YWNrZXJzZWNyZXRhdHRhY2tlcnNlY3JldA==', rawBody) },
      { ...valid, rawBody: rawBody.replace('Quick question', 'Quick questions') },
      { ...valid, headers: {} },
      { ...valid, headers: { ...valid.headers, 'svix-signature': 'v1,bm90IGEgc2lnbmF0dXJl' } },
      {
        ...valid,
        headers: signWebhook(webhookSecret, rawBody, { timestamp: new Date(Date.now() - 10 * 60_000) }),
      },
      {
        ...valid,
        headers: signWebhook(webhookSecret, rawBody, { timestamp: new Date(Date.now() + 10 * 60_000) }),
      },
    ],
    malformed: [
      malformed('not an event'),
      malformed({ type: 'email.received', data: { email_id: 'abc' } }),
      malformed({
        type: 'email.received',
        data: { email_id: 'abc', from: 'not an address', to: [], text: 'Hi' },
      }),
      // Verified, but its content was never loaded from the Receiving API.
      malformed({ type: 'email.received', data: { email_id: 'abc', from: 'pat@acme.example', to: [] } }),
    ],
    outbound: outbound(),
  };
});

describe('email inbound', () => {
  it('turns a reply into the new text only, from the sender, threaded by the reply token', async () => {
    const request = await receivedRequest();
    const [message] = channel().parseInbound(request);
    const data = (request.body as { data: { email_id: string } }).data;
    expect(message).toEqual({
      orgId: request.orgId,
      channel: 'email',
      from: { email: 'pat@acme.example', firstName: 'Pat', lastName: 'Lee' },
      body: 'We have about $40k budgeted.',
      subject: 'Re: Quick question from Brightwave',
      providerMessageId: data.email_id,
      replyToken: token,
      metadata: { emailMessageId: expect.stringMatching(/^<.+>$/), quotedHistoryRemoved: true },
    });
  });

  it('reads the envelope before the content: sender and reply token, only at the reply domain', async () => {
    const adapter = channel();
    const event = resend.receiveEmail({
      from: '"Lee, Pat" <pat@acme.example>',
      to: ['sales@brightwave.example', `Brightwave <reply+${token}@${replyDomain.toUpperCase()}>`],
      subject: 'Hello',
      text: 'Hi',
    });
    expect(adapter.readReceivedEnvelope(event)).toEqual({
      emailId: event.data.email_id,
      from: 'pat@acme.example',
      replyToken: token,
    });
    const elsewhere = resend.receiveEmail({
      from: 'pat@acme.example',
      to: [`reply+${token}@attacker.example`],
      subject: 'Hello',
      text: 'Hi',
    });
    expect(adapter.readReceivedEnvelope(elsewhere).replyToken).toBeNull();
    const [message] = adapter.parseInbound({
      orgId: randomUUID(),
      headers: {},
      body: await adapter.loadReceivedEmail(event),
    });
    expect(message!.from).toEqual({ email: 'pat@acme.example', firstName: 'Pat', lastName: 'Lee' });
  });

  it('reads HTML-only email, and keeps a reply that is nothing but quote', async () => {
    const adapter = channel();
    const html = resend.receiveEmail({
      from: 'pat@acme.example',
      to: [`reply+${token}@${replyDomain}`],
      subject: 'Re: Hi',
      text: null,
      html: '<div>April works.</div><div class="gmail_quote">On Tue, Sam wrote:<blockquote>Old</blockquote></div>',
    });
    const [fromHtml] = adapter.parseInbound({
      orgId: randomUUID(),
      headers: {},
      body: await adapter.loadReceivedEmail(html),
    });
    expect(fromHtml!.body).toBe('April works.');

    const request = await receivedRequest({ text: '> only the old text' });
    expect(adapter.parseInbound(request)[0]!.body).toBe('> only the old text');
  });

  it('carries no message in a delivery event', () => {
    const event = resend.deliveryEvent('email.delivered', randomUUID());
    expect(channel().parseInbound({ orgId: randomUUID(), headers: {}, body: event })).toEqual([]);
  });

  it('fetches the content through the Receiving API, retrying a Resend outage', async () => {
    const adapter = channel();
    const event = resend.receiveEmail({
      from: 'pat@acme.example',
      to: [`reply+${token}@${replyDomain}`],
      subject: 'Hi',
      text: 'Hello there',
    });
    resend.failNext(503, 1);
    const loaded = await adapter.loadReceivedEmail(event);
    expect(loaded.data).toMatchObject({ email_id: event.data.email_id, text: 'Hello there' });
    expect(waits).toHaveLength(1);
    const unknown = { ...event, data: { ...event.data, email_id: randomUUID() } };
    await expect(adapter.loadReceivedEmail(unknown)).rejects.toBeInstanceOf(ProviderRejectedError);
  });
});

describe('email delivery events', () => {
  const adapter = () => channel();
  const id = randomUUID();

  it('maps each delivery event to a provider status', () => {
    const statuses = Object.fromEntries(
      [
        'email.sent',
        'email.delivered',
        'email.delivery_delayed',
        'email.opened',
        'email.clicked',
        'email.complained',
        'email.failed',
      ].map((type) => [type, adapter().parseDeliveryEvent(resend.deliveryEvent(type, id))?.status]),
    );
    expect(statuses).toEqual({
      'email.sent': 'sent',
      'email.delivered': 'delivered',
      'email.delivery_delayed': 'delivery_delayed',
      'email.opened': 'opened',
      'email.clicked': 'clicked',
      'email.complained': 'complained',
      'email.failed': 'failed',
    });
    const event = resend.deliveryEvent('email.delivered', id);
    expect(adapter().parseDeliveryEvent(event)).toEqual({
      providerMessageId: id,
      status: 'delivered',
      occurredAt: new Date(event.created_at),
    });
  });

  it('tells a hard bounce from a soft one, and treats Resend suppression as a hard bounce', () => {
    const hard = adapter().parseDeliveryEvent(
      resend.deliveryEvent('email.bounced', id, {
        bounce: { type: 'Permanent', subType: 'General', message: 'No such mailbox' },
      }),
    );
    expect(hard).toMatchObject({
      status: 'bounced',
      permanent: true,
      error: 'Permanent/General: No such mailbox',
    });
    const soft = adapter().parseDeliveryEvent(
      resend.deliveryEvent('email.bounced', id, {
        bounce: { type: 'Transient', subType: 'MailboxFull', message: 'Mailbox full' },
      }),
    );
    expect(soft).toMatchObject({ status: 'bounced', permanent: false });
    const suppressed = adapter().parseDeliveryEvent(
      resend.deliveryEvent('email.suppressed', id, {
        suppressed: { type: 'OnAccountSuppressionList', message: 'Suppressed' },
      }),
    );
    expect(suppressed).toMatchObject({ status: 'bounced', permanent: true });
  });

  it('ignores events about other things and refuses a malformed delivery event', () => {
    expect(adapter().parseDeliveryEvent({ type: 'contact.created', data: {} })).toBeNull();
    expect(adapter().parseDeliveryEvent({ type: 'constructor', data: {} })).toBeNull();
    expect(() => adapter().parseDeliveryEvent({ type: 'email.delivered', data: {} })).toThrow(DomainError);
  });

  it('parses a verified webhook body into an event, and refuses one that is not', () => {
    expect(adapter().parseWebhookEvent(JSON.stringify({ type: 'email.opened', data: {} })).type).toBe(
      'email.opened',
    );
    expect(() => adapter().parseWebhookEvent('nope')).toThrow(/not JSON/);
    expect(() => adapter().parseWebhookEvent('{"data":{}}')).toThrow(/not a Resend event/);
  });

  it('verifies nothing without a webhook secret', async () => {
    const request = await receivedRequest();
    const unsigned = channel({ webhookSecret: undefined });
    expect(unsigned.acceptsWebhooks).toBe(false);
    expect(unsigned.verify(request)).toBe(false);
  });
});

describe('email sender', () => {
  it('sends From, To, subject, text, the reply address and the composed headers, with an idempotency key', async () => {
    const message = outbound();
    const { providerMessageId } = await channel().sender.send(message);
    const email = resend.sent.find((sent) => sent.id === providerMessageId);
    expect(email).toMatchObject({
      from,
      to: ['pat@acme.example'],
      subject: 'Re: Quick question from Brightwave',
      text: message.body,
      reply_to: [`reply+${token}@${replyDomain}`],
      headers: { 'List-Unsubscribe': '<https://sales.example.com/u/abc>' },
      idempotencyKey: `${message.orgId}/${message.idempotencyKey}`,
    });
    expect(resend.requests.at(-1)!.authorization).toBe('Bearer re_test_quotahit');
  });

  it('passes attachments to Resend, base64-encoded with their content type', async () => {
    const ics = 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Démo\r\nEND:VCALENDAR\r\n';
    const message = outbound({
      attachments: [{ filename: 'invite.ics', contentType: 'text/calendar; method=REQUEST', content: ics }],
    });
    await channel().sender.send(message);
    const request = resend.requests.at(-1)!;
    expect(request.body!.attachments).toEqual([
      {
        filename: 'invite.ics',
        content_type: 'text/calendar; method=REQUEST',
        content: Buffer.from(ics, 'utf8').toString('base64'),
      },
    ]);
    // Without any, the payload has no attachments field.
    await channel().sender.send(outbound());
    expect(resend.requests.at(-1)!.body).not.toHaveProperty('attachments');
  });

  it('without a reply domain sets no Reply-To; without a subject gives one', async () => {
    const message = outbound({ subject: undefined });
    const { providerMessageId } = await channel({ replyDomain: undefined }).sender.send(message);
    const email = resend.sent.find((sent) => sent.id === providerMessageId)!;
    expect(email.reply_to).toBeUndefined();
    expect(email.subject).toBe('A message from Brightwave Sales');
  });

  it('retries a rate limit after the Retry-After Resend asked for, and sends once', async () => {
    const message = outbound();
    const before = resend.sent.length;
    resend.failNext(429, 2, { retryAfterSeconds: 2 });
    const sender = channel().sender;
    const { providerMessageId } = await sender.send(message);
    expect(resend.sent.length - before).toBe(1);
    expect(waits).toEqual([2_000, 2_000]);
    expect(resend.requests.slice(-3).map((request) => request.status)).toEqual([429, 429, 200]);
    // Every attempt carried the same key.
    expect(new Set(resend.requests.slice(-3).map((request) => request.idempotencyKey)).size).toBe(1);
    expect(providerMessageId).toBe(resend.sent.at(-1)!.id);
  });

  it('retries a 5xx whose email went out, and the retry does not send it again', async () => {
    const message = outbound();
    const before = resend.sent.length;
    resend.failNext(500, 1, { afterAccepting: true });
    const { providerMessageId } = await channel().sender.send(message);
    expect(resend.sent.length - before).toBe(1);
    expect(providerMessageId).toBe(resend.sent.at(-1)!.id);
    expect(resend.requests.slice(-2).map((request) => request.status)).toEqual([500, 200]);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(125);
    expect(waits[0]).toBeLessThanOrEqual(250);
  });

  it('gives up after a few attempts with the outcome unknown; sending again later still sends once', async () => {
    const message = outbound();
    const before = resend.sent.length;
    resend.failNext(503, 4, { afterAccepting: true });
    const sender = channel().sender;
    const failure = await sender.send(message).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(ProviderRejectedError);
    expect((failure as Error).message).toMatch(/did not answer after 4 attempts/);
    expect(waits).toHaveLength(3);
    // Backoff doubles, with jitter: 125-250, 250-500, 500-1000 ms.
    waits.forEach((ms, index) => {
      expect(ms).toBeGreaterThanOrEqual(125 * 2 ** index);
      expect(ms).toBeLessThanOrEqual(250 * 2 ** index);
    });
    const again = await sender.send(message);
    expect(resend.sent.length - before).toBe(1);
    expect(again.providerMessageId).toBe(resend.sent.at(-1)!.id);
  });

  it('does not wait out a Retry-After longer than it allows', async () => {
    resend.failNext(429, 1, { retryAfterSeconds: 120 });
    await expect(channel().sender.send(outbound())).rejects.toThrow(/asked to wait 120s/);
    expect(waits).toEqual([]);
  });

  it('throws ProviderRejectedError when Resend refuses, without retrying', async () => {
    const requests = resend.requests.length;
    const refused = channel({ from: 'not a sender' }).sender.send(outbound());
    await expect(refused).rejects.toBeInstanceOf(ProviderRejectedError);
    await expect(refused).rejects.toThrow(/422 invalid_from_address/);
    expect(resend.requests.length - requests).toBe(1);
    expect(waits).toEqual([]);

    // The same key with another payload: Resend refuses it rather than send a second email.
    const message = outbound();
    await channel().sender.send(message);
    await expect(channel().sender.send({ ...message, body: 'Something else' })).rejects.toThrow(
      /409 invalid_idempotent_request/,
    );
  });

  it('retries when Resend cannot be reached at all', async () => {
    const closed = await startResendLoopback();
    await closed.close();
    await expect(channel({ baseUrl: closed.url }).sender.send(outbound())).rejects.toThrow(
      /did not answer after 4 attempts \(last: no answer/,
    );
    expect(waits).toHaveLength(3);
  });

  it('needs an API key and a sender', () => {
    expect(() => channel({ apiKey: '' })).toThrow(/RESEND_API_KEY/);
    expect(() => channel({ from: '' })).toThrow(/EMAIL_FROM/);
  });
});
