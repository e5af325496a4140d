import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoCredentials } from '../core/demo-organization.ts';
import { loadConfig } from '../server/config.ts';
import { type RunningServer, startServer } from '../server/start-server.ts';
import { type ResendLoopback, signWebhook, startResendLoopback } from './support/resend-loopback.ts';
import {
  inboundTextParams,
  postTwilioWebhook,
  startTwilioLoopback,
  type TwilioLoopback,
} from './support/twilio-loopback.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * The server as `npm start` composes it, with provider keys set: email goes out through Resend
 * and texts through Twilio (both the real SDKs, pointed at loopback servers by their base URLs),
 * and prospects' answers come back through the signed webhooks into the same conversations.
 */
const publicUrl = 'https://sales.brightwave.example';
const webhookSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const replyDomain = 'reply.brightwave.example';
const ourNumber = '+15005550006';

let server: RunningServer;
let resend: ResendLoopback;
let twilio: TwilioLoopback;
let base: string;
let demo: DemoCredentials;

beforeAll(async () => {
  [resend, twilio] = await Promise.all([startResendLoopback(), startTwilioLoopback()]);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'qh-channels-'));
  server = await startServer(
    loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      PUBLIC_URL: publicUrl,
      RESEND_API_KEY: 're_test_quotahit',
      RESEND_WEBHOOK_SECRET: webhookSecret,
      RESEND_BASE_URL: resend.url,
      EMAIL_FROM: 'Brightwave Sales <sales@brightwave.example>',
      EMAIL_REPLY_DOMAIN: replyDomain,
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: ourNumber,
      TWILIO_BASE_URL: twilio.url,
    }),
    pino({ level: 'silent' }),
  );
  base = `http://127.0.0.1:${server.port}`;
  demo = server.demo!;
}, 90_000);

afterAll(async () => {
  await server?.close();
  await Promise.all([resend?.close(), twilio?.close()]);
});

const api = async (method: string, route: string, body?: unknown) => {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${demo.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('live providers, composed as npm start composes them', () => {
  it('answers a text by text through Twilio, with a status callback on our public URL', async () => {
    const prospect = '+14155550123';
    const answered = await postTwilioWebhook(
      base,
      `${publicUrl}/webhooks/twilio/sms?org=${demo.orgId}`,
      inboundTextParams({
        accountSid: twilio.accountSid,
        from: prospect,
        to: ourNumber,
        body: 'Hi, we need help qualifying inbound leads.',
      }),
      { authToken: twilio.authToken },
    );
    expect(answered.status).toBe(200);
    expect(answered.text).toContain('<Response/>');

    await waitFor(() => twilio.creates().some((create) => create.form.To === prospect), 'the answer by SMS');
    const reply = twilio.creates().find((create) => create.form.To === prospect)!;
    expect(reply.form.From).toBe(ourNumber);
    expect(reply.form.Body).toMatch(/AI/);
    expect(reply.form.StatusCallback).toBe(`${publicUrl}/webhooks/twilio/status?org=${demo.orgId}`);

    const found = await api('GET', `/api/leads?phone=${encodeURIComponent(prospect)}`);
    const contact = (found.body.items as { id: string }[])[0]!;
    const conversations = await api('GET', `/api/conversations?contactId=${contact.id}`);
    expect(conversations.body.items).toMatchObject([{ channel: 'sms' }]);
  });

  it('answers by email through Resend, and the prospect’s reply threads back and is answered', async () => {
    const address = 'jordan@northwind.example';
    const lead = await api('POST', '/api/leads', {
      email: address,
      firstName: 'Jordan',
      company: 'Northwind',
    });
    expect(lead.status).toBe(201);
    const first = await api('POST', '/api/agents/qualifier', {
      contactId: lead.body.id,
      message: 'We are evaluating tools for our SDR team.',
      channel: 'email',
    });
    expect(first.status).toBe(200);
    await waitFor(() => resend.sent.some((sent) => sent.to.includes(address)), 'the answer by email');
    const answer = resend.sent.find((sent) => sent.to.includes(address))!;
    const replyTo = answer.reply_to?.[0] ?? '';
    expect(replyTo).toMatch(new RegExp(`^reply\\+\\w+@${replyDomain.replace(/\./g, '\\.')}$`));

    const event = resend.receiveEmail({
      from: `Jordan <${address}>`,
      to: [replyTo],
      subject: `Re: ${answer.subject}`,
      text: `Our budget is about $30k a year.\n\nOn Mon, Nov 23, 2026 at 9:00 AM Brightwave Sales wrote:\n> ${answer.text ?? ''}`,
    });
    const payload = JSON.stringify(event);
    const delivered = await fetch(`${base}/webhooks/resend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(webhookSecret, payload) },
      body: payload,
    });
    expect(delivered.status).toBe(200);
    await waitFor(
      () => resend.sent.filter((sent) => sent.to.includes(address)).length >= 2,
      'the second answer',
    );

    const conversations = await api('GET', `/api/conversations?contactId=${lead.body.id}`);
    const items = conversations.body.items as { id: string; channel: string }[];
    expect(items).toHaveLength(1);
    const messages = await api('GET', `/api/conversations/${items[0]!.id}/messages`);
    const inbound = (messages.body.items as { direction: string; body: string }[]).filter(
      (message) => message.direction === 'inbound',
    );
    // Only the new text reached the agent, not the quoted history.
    expect(inbound.map((message) => message.body)).toEqual([
      'We are evaluating tools for our SDR team.',
      'Our budget is about $30k a year.',
    ]);
  });

  it('refuses unsigned provider webhooks', async () => {
    const unsigned = await fetch(`${base}/webhooks/resend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"email.received","data":{}}',
    });
    expect(unsigned.status).toBe(400);
    const forged = await postTwilioWebhook(
      base,
      `${publicUrl}/webhooks/twilio/sms?org=${demo.orgId}`,
      inboundTextParams({ accountSid: twilio.accountSid, from: '+14155550199', to: ourNumber, body: 'hi' }),
      { authToken: 'not-the-token' },
    );
    expect(forged.status).toBe(403);
  });
});
