import { expect, it } from 'vitest';
import { channelAdapterSuite } from '../../tests/support/channel-adapter-suite.ts';
import type { OutboundMessage } from '../channel-adapter.ts';
import { createWebChannel } from './web-channel.ts';

const orgId = '6f1c2b9e-4d3a-4f5e-9a7b-1c2d3e4f5a6b';
const payload = {
  visitorId: 'visitor-12345678',
  clientId: 'c-1',
  body: 'Hi there',
  pageUrl: 'https://acme.example/pricing',
};

channelAdapterSuite('web', () => ({
  adapter: createWebChannel(),
  valid: { orgId, headers: { 'user-agent': 'Mozilla/5.0' }, body: payload },
  forged: [{ orgId: '', headers: {}, body: payload }],
  malformed: [
    { orgId, headers: {}, body: { ...payload, visitorId: 'x' } },
    { orgId, headers: {}, body: { ...payload, clientId: undefined } },
    { orgId, headers: {}, body: { ...payload, isAdmin: true } },
    { orgId, headers: {}, body: 'hello' },
  ],
  outbound: {
    orgId,
    contactId: '0b7a5c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b',
    channel: 'web',
    purpose: 'conversation_reply',
    sender: 'agent',
    body: 'Hello!',
    idempotencyKey: 'reply:m-1',
    to: '0b7a5c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b',
  },
}));

it('names the visitor, keeps pre-chat details and page, and tells the gateway what it sent', async () => {
  const sent: OutboundMessage[] = [];
  const web = createWebChannel({ onSend: (message) => sent.push(message) });
  const [message] = web.parseInbound({
    orgId,
    headers: { 'user-agent': 'Mozilla/5.0' },
    body: { ...payload, email: 'pat@acme.example', firstName: 'Pat' },
  });
  expect(message).toEqual({
    orgId,
    channel: 'web',
    from: { visitorId: 'visitor-12345678', email: 'pat@acme.example', firstName: 'Pat' },
    body: 'Hi there',
    clientId: 'c-1',
    metadata: { pageUrl: 'https://acme.example/pricing', userAgent: 'Mozilla/5.0' },
  });
  const result = await web.sender.send({
    orgId,
    contactId: orgId,
    channel: 'web',
    purpose: 'conversation_reply',
    sender: 'agent',
    body: 'Hello!',
    idempotencyKey: 'reply:m-2',
    to: orgId,
  });
  expect(result.providerMessageId).toBe('web:reply:m-2');
  expect(sent).toHaveLength(1);
});
