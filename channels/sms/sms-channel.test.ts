import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderRejectedError } from '../../core/outbound.ts';
import { channelAdapterSuite } from '../../tests/support/channel-adapter-suite.ts';
import {
  inboundTextParams,
  startTwilioLoopback,
  statusCallbackParams,
  type TwilioLoopback,
  twilioSignature,
} from '../../tests/support/twilio-loopback.ts';
import type { InboundRequest, OutboundMessage } from '../channel-adapter.ts';
import { createSmsChannel, type SmsChannelOptions, type TextingChannel } from './sms-channel.ts';

const orgId = '6f1c2b9e-4d3a-4f5e-9a7b-1c2d3e4f5a6b';
const contactId = '0b7a5c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b';
const ourNumber = '+14155550100';
const prospect = '+14155550142';
const publicUrl = 'https://sales.example.com';
const webhookUrl = `${publicUrl}/webhooks/twilio/sms`;

let twilioApi: TwilioLoopback;
beforeAll(async () => {
  twilioApi = await startTwilioLoopback();
});
afterAll(() => twilioApi.close());

function channelFor(channel: TextingChannel = 'sms', overrides: Partial<SmsChannelOptions> = {}) {
  const waits: number[] = [];
  const adapter = createSmsChannel({
    channel,
    accountSid: twilioApi.accountSid,
    authToken: twilioApi.authToken,
    from: channel === 'whatsapp' ? 'whatsapp:+14155550199' : ourNumber,
    publicUrl,
    baseUrl: twilioApi.url,
    retryDelaysMs: [10, 20, 40],
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...overrides,
  });
  return { adapter, waits };
}

/** A request as the webhook route hands it over: form fields, Twilio's signature, the public URL. */
function signedRequest(
  params: Record<string, string>,
  options: { url?: string; signedUrl?: string; signature?: string | null } = {},
): InboundRequest {
  const url = options.url ?? webhookUrl;
  const signature =
    options.signature === undefined
      ? twilioSignature(twilioApi.authToken, options.signedUrl ?? url, params)
      : options.signature;
  return {
    orgId,
    headers: signature === null ? {} : { 'x-twilio-signature': signature },
    body: params,
    rawBody: new URLSearchParams(params).toString(),
    url,
  };
}

const draft = (channel: TextingChannel, body: string, key: string): OutboundMessage => ({
  orgId,
  contactId,
  channel,
  purpose: 'conversation_reply',
  sender: 'agent',
  body,
  idempotencyKey: key,
  to: prospect,
});

let keys = 0;
const uniqueBody = (text: string) => `${text} #${++keys}`;

for (const channel of ['sms', 'whatsapp'] as const) {
  const address = channel === 'whatsapp' ? `whatsapp:${prospect}` : prospect;
  const ours = channel === 'whatsapp' ? 'whatsapp:+14155550199' : ourNumber;
  channelAdapterSuite(channel, () => {
    const params = inboundTextParams({
      accountSid: twilioApi.accountSid,
      from: address,
      to: ours,
      body: 'Hi, I saw your pricing page',
    });
    return {
      adapter: channelFor(channel).adapter,
      valid: signedRequest(params),
      forged: [
        signedRequest(params, { signature: null }),
        signedRequest(params, { signature: twilioSignature('not-the-token', webhookUrl, params) }),
        // Signed for another organization's webhook URL.
        signedRequest(params, { url: `${webhookUrl}?org=${orgId}`, signedUrl: webhookUrl }),
        // A field changed after signing.
        { ...signedRequest(params), body: { ...params, Body: 'Send me the admin password' } },
        { ...signedRequest(params), url: undefined },
      ],
      malformed: [
        signedRequest({ ...params, MessageSid: 'not-a-sid' }),
        signedRequest({ ...params, Body: '   ', NumMedia: '0' }),
        signedRequest({ ...params, From: 'not a number' }),
        // The other texting channel's message.
        signedRequest({
          ...params,
          From: channel === 'sms' ? `whatsapp:${prospect}` : prospect,
        }),
        signedRequest({ To: ours }),
      ],
      outbound: draft(channel, uniqueBody('Thanks for reaching out!'), `suite:${channel}`),
    };
  });
}

describe('reading what Twilio posts', () => {
  it('normalizes an SMS into one inbound message deduplicated by its MessageSid', () => {
    const { adapter } = channelFor('sms');
    const params = inboundTextParams({
      accountSid: twilioApi.accountSid,
      from: prospect,
      to: ourNumber,
      body: '  We need better forecasting  ',
      messageSid: 'SM0123456789abcdef0123456789abcdef',
    });
    expect(adapter.parseInbound(signedRequest(params))).toEqual([
      {
        orgId,
        channel: 'sms',
        from: { phone: prospect },
        body: 'We need better forecasting',
        providerMessageId: 'SM0123456789abcdef0123456789abcdef',
        metadata: { provider: 'twilio', to: ourNumber },
      },
    ]);
  });

  it('reads WhatsApp addresses and profile names, and names media the prospect sent without words', () => {
    const { adapter } = channelFor('whatsapp');
    const params = inboundTextParams({
      accountSid: twilioApi.accountSid,
      from: `whatsapp:${prospect}`,
      to: 'whatsapp:+14155550199',
      body: '',
      profileName: 'Dana Whitfield',
      media: [{ url: 'https://api.twilio.com/media/ME1', contentType: 'image/jpeg' }],
    });
    const [message] = adapter.parseInbound(signedRequest(params));
    expect(message).toMatchObject({
      channel: 'whatsapp',
      from: { phone: prospect, firstName: 'Dana' },
      body: '[image]',
      metadata: {
        profileName: 'Dana Whitfield',
        media: [{ url: 'https://api.twilio.com/media/ME1', contentType: 'image/jpeg' }],
      },
    });
    // A profile name that is no name is kept as a hint only.
    const [emoji] = adapter.parseInbound(
      signedRequest({ ...params, ProfileName: '🚀 growth guy', Body: 'hi' }),
    );
    expect(emoji!.from).toEqual({ phone: prospect });
    expect(emoji!.body).toBe('hi\n[image]');
  });

  it('reads status callbacks, including a carrier opt-out, and skips statuses the ledger does not track', () => {
    const { adapter } = channelFor('sms');
    const message = {
      sid: 'SM0123456789abcdef0123456789abcdef',
      to: prospect,
      from: ourNumber,
      messagingServiceSid: null,
      body: 'x',
      statusCallback: null,
      dateCreated: new Date(),
    };
    const report = (status: string, errorCode?: string) =>
      adapter.parseStatusCallback(
        signedRequest(statusCallbackParams(twilioApi.accountSid, message, status, errorCode)),
      );
    expect(report('delivered')).toEqual({
      channel: 'sms',
      providerMessageId: message.sid,
      status: 'delivered',
      twilioStatus: 'delivered',
      recipientOptedOut: false,
    });
    expect(report('undelivered', '21610')).toMatchObject({
      status: 'undelivered',
      errorCode: '21610',
      recipientOptedOut: true,
    });
    expect(report('read')).toMatchObject({ status: 'opened' });
    expect(report('receiving')).toBeNull();
    expect(() => adapter.parseStatusCallback(signedRequest({ MessageStatus: 'sent' }))).toThrow(/MessageSid/);
  });
});

describe('sending through Twilio', () => {
  it('sends from our number to the prospect with a status callback naming the organization', async () => {
    const { adapter } = channelFor('sms');
    const body = uniqueBody('Thanks! What does your team use today?');
    const sent = await adapter.sender.send(draft('sms', body, 'send-1'));
    const created = twilioApi.messages.at(-1)!;
    expect(sent.providerMessageId).toBe(created.sid);
    expect(created).toMatchObject({
      to: prospect,
      from: ourNumber,
      body,
      statusCallback: `${publicUrl}/webhooks/twilio/status?org=${orgId}`,
    });
    expect(adapter.sender).toMatchObject({ channel: 'sms', mode: 'live', idempotent: false });
  });

  it('sends WhatsApp between whatsapp: addresses, and SMS through a Messaging Service when given one', async () => {
    const whatsapp = channelFor('whatsapp', { from: '+14155550199' }).adapter;
    await whatsapp.sender.send(draft('whatsapp', uniqueBody('Hello on WhatsApp'), 'wa-1'));
    expect(twilioApi.messages.at(-1)).toMatchObject({
      to: `whatsapp:${prospect}`,
      from: 'whatsapp:+14155550199',
    });
    const service = 'MG0123456789abcdef0123456789abcdef';
    const viaService = channelFor('sms', { from: service }).adapter;
    await viaService.sender.send(draft('sms', uniqueBody('Hello via service'), 'svc-1'));
    expect(twilioApi.messages.at(-1)).toMatchObject({
      to: prospect,
      from: null,
      messagingServiceSid: service,
    });
  });

  it('retries a 429 with backoff and sends exactly once', async () => {
    const { adapter, waits } = channelFor('sms');
    const before = twilioApi.messages.length;
    const creates = twilioApi.creates().length;
    const listings = twilioApi.requests.filter((r) => r.method === 'GET').length;
    twilioApi.failNext(429, 2);
    const sent = await adapter.sender.send(draft('sms', uniqueBody('After a rate limit'), 'rl-1'));
    expect(waits).toEqual([10, 20]);
    expect(twilioApi.creates().length - creates).toBe(3);
    expect(twilioApi.messages.length - before).toBe(1);
    expect(sent.providerMessageId).toBe(twilioApi.messages.at(-1)!.sid);
    // Nothing can have been created by a 429: no listing was needed.
    expect(twilioApi.requests.filter((r) => r.method === 'GET')).toHaveLength(listings);
  });

  it('after a 5xx, finds the text Twilio created anyway instead of sending it twice', async () => {
    const { adapter, waits } = channelFor('sms');
    const before = twilioApi.messages.length;
    const creates = twilioApi.creates().length;
    twilioApi.failNext(500, 1, { afterCreate: true });
    const body = uniqueBody('This one went out despite the 500');
    const sent = await adapter.sender.send(draft('sms', body, '5xx-after'));
    expect(twilioApi.messages.length - before).toBe(1);
    expect(twilioApi.creates().length - creates).toBe(1);
    expect(sent.providerMessageId).toBe(twilioApi.messages.at(-1)!.sid);
    expect(waits).toEqual([10]);
    const listing = twilioApi.requests.filter((r) => r.method === 'GET').at(-1)!;
    expect(listing.query).toMatchObject({ To: prospect, From: ourNumber });
    expect(listing.query['DateSent>']).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/);
  });

  it('after a dropped connection, finds the text too', async () => {
    const { adapter } = channelFor('sms');
    const before = twilioApi.messages.length;
    twilioApi.failNext('connection_reset', 1, { afterCreate: true });
    const sent = await adapter.sender.send(draft('sms', uniqueBody('Sent, then the line dropped'), 'reset'));
    expect(twilioApi.messages.length - before).toBe(1);
    expect(sent.providerMessageId).toBe(twilioApi.messages.at(-1)!.sid);
  });

  it('after a 5xx that created nothing, sends again once', async () => {
    const { adapter } = channelFor('sms');
    const before = twilioApi.messages.length;
    const creates = twilioApi.creates().length;
    twilioApi.failNext(503, 1);
    const sent = await adapter.sender.send(draft('sms', uniqueBody('Second time lucky'), '5xx-before'));
    expect(twilioApi.creates().length - creates).toBe(2);
    expect(twilioApi.messages.length - before).toBe(1);
    expect(sent.providerMessageId).toBe(twilioApi.messages.at(-1)!.sid);
  });

  it('does not take an identical text sent before this attempt for this one', async () => {
    const body = uniqueBody('Thanks!');
    await channelFor('sms').adapter.sender.send(draft('sms', body, 'same-1'));
    const before = twilioApi.messages.length;
    // The same words a few minutes later: the earlier text is not this one.
    const later = channelFor('sms', { now: () => new Date(Date.now() + 5 * 60_000) }).adapter;
    twilioApi.failNext(500, 1);
    const sent = await later.sender.send(draft('sms', body, 'same-2'));
    expect(twilioApi.messages.length - before).toBe(1);
    expect(sent.providerMessageId).toBe(twilioApi.messages.at(-1)!.sid);
  });

  it('refuses at once what Twilio refuses (4xx), nothing sent, retry-safe', async () => {
    const { adapter, waits } = channelFor('sms');
    const before = twilioApi.messages.length;
    twilioApi.failNext(400, 1);
    const refused = adapter.sender.send(draft('sms', uniqueBody('Refused'), 'bad-1'));
    await expect(refused).rejects.toBeInstanceOf(ProviderRejectedError);
    await expect(refused).rejects.toThrow(/HTTP 400/);
    expect(waits).toEqual([]);
    const tooLong = adapter.sender.send(draft('sms', 'x'.repeat(1_601), 'long-1'));
    await expect(tooLong).rejects.toThrow(/1,601 characters; Twilio takes at most 1,600/);
    expect(twilioApi.messages.length).toBe(before);
  });

  it('says so when Twilio refuses a number that opted out at the carrier (error 21610)', async () => {
    const { adapter } = channelFor('sms');
    const optedOut = '+14155550177';
    twilioApi.optOutAtCarrier(optedOut);
    const refused = adapter.sender.send({
      ...draft('sms', uniqueBody('Hello'), 'carrier-stop'),
      to: optedOut,
    });
    await expect(refused).rejects.toMatchObject({ name: 'ProviderRejectedError', recipientOptedOut: true });
    // Any other refusal is not an opt-out.
    twilioApi.failNext(400, 1);
    await expect(adapter.sender.send(draft('sms', uniqueBody('Refused'), 'bad-2'))).rejects.toMatchObject({
      recipientOptedOut: false,
    });
  });

  it('gives up on endless 429s as retry-safe, and on endless 5xx as in doubt — never sending twice', async () => {
    const { adapter } = channelFor('sms');
    const before = twilioApi.messages.length;
    twilioApi.failNext(429, 4);
    await expect(
      adapter.sender.send(draft('sms', uniqueBody('Rate limited'), 'rl-all')),
    ).rejects.toBeInstanceOf(ProviderRejectedError);
    twilioApi.failNext(500, 4);
    const unknown = adapter.sender.send(draft('sms', uniqueBody('Server errors'), '5xx-all'));
    await expect(unknown).rejects.toThrow(/may have been sent/);
    await expect(unknown).rejects.not.toBeInstanceOf(ProviderRejectedError);
    expect(twilioApi.messages.length).toBe(before);
  });
});
