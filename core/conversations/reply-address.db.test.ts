import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { recordingSender, sendOutbound } from '../outbound.ts';
import type { ChannelSender } from '../outbound-message.ts';
import {
  findInboundEmailOrganization,
  findReplyThread,
  findReplyToken,
  formatReplyAddress,
  parseReplyToken,
} from './reply-address.ts';

const token = '0123456789abcdef0123456789abcdef';

describe('reply addresses', () => {
  it('formats and parses reply+TOKEN@domain, bare or with a display name', () => {
    const address = formatReplyAddress(token, 'Reply.Example.com');
    expect(address).toBe(`reply+${token}@reply.example.com`);
    expect(parseReplyToken(address)).toBe(token);
    expect(parseReplyToken(`Brightwave Sales <${address}>`, 'reply.example.com')).toBe(token);
    expect(parseReplyToken(`REPLY+${token}@REPLY.EXAMPLE.COM`, 'reply.example.com')).toBe(token);
  });

  it('finds no token in other addresses, at other domains, or of the wrong shape', () => {
    expect(parseReplyToken(`reply+${token}@elsewhere.example`, 'reply.example.com')).toBeNull();
    expect(parseReplyToken('sales@reply.example.com')).toBeNull();
    expect(parseReplyToken(`pat+${token}@reply.example.com`)).toBeNull();
    expect(parseReplyToken('reply+short@reply.example.com')).toBeNull();
    expect(parseReplyToken("reply+abc'; drop table x;--@reply.example.com")).toBeNull();
    expect(parseReplyToken('no at sign')).toBeNull();
    expect(() => formatReplyAddress('bad token!', 'reply.example.com')).toThrow(/reply token/);
  });

  it('takes the first reply token among the recipients', () => {
    expect(
      findReplyToken(
        ['sales@brightwave.example', `Sales <reply+${token}@reply.example.com>`],
        'reply.example.com',
      ),
    ).toBe(token);
    expect(findReplyToken(['sales@brightwave.example'])).toBeNull();
  });
});

describe('finding the organization of an inbound email', () => {
  let db: Database;
  let acme: string;
  let globex: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    acme = (await createOrganization(db, { name: 'Acme' }, systemActor)).orgId;
    globex = (await createOrganization(db, { name: 'Globex' }, systemActor)).orgId;
  });
  afterAll(() => db.close());

  async function conversation(orgId: string, email: string) {
    const { lead } = await upsertLead(db, orgId, { email }, systemActor);
    const [row] = await db.query<{ id: string; reply_token: string }>(
      `insert into conversations (org_id, contact_id, channel, subject) values ($1, $2, 'email', 'Hello')
       returning id, reply_token`,
      [orgId, lead.id],
    );
    return { contactId: lead.id, conversationId: row!.id, token: row!.reply_token };
  }

  const liveEmail: ChannelSender = {
    channel: 'email',
    mode: 'live',
    idempotent: true,
    send: async () => ({ providerMessageId: randomUUID() }),
  };

  async function emailed(orgId: string, contactId: string, at: Date, sender: ChannelSender = liveEmail) {
    const result = await sendOutbound(
      { db, senders: { email: sender }, now: () => at },
      {
        orgId,
        contactId,
        channel: 'email',
        purpose: 'conversation_reply',
        sender: 'agent',
        subject: 'Hello',
        body: 'Hello again',
        idempotencyKey: randomUUID(),
      },
    );
    expect(['sent', 'recorded']).toContain(result.status);
  }

  it('finds the thread of a reply token, in whichever organization it is', async () => {
    const thread = await conversation(globex, `lee-${randomUUID()}@prospect.example`);
    expect(await findReplyThread(db, thread.token)).toEqual({
      orgId: globex,
      conversationId: thread.conversationId,
    });
    expect(
      await findInboundEmailOrganization(db, { replyToken: thread.token, from: 'anyone@else.example' }),
    ).toEqual({ orgId: globex, conversationId: thread.conversationId, via: 'reply_token' });
    expect(await findReplyThread(db, token)).toBeNull();
    expect(await findReplyThread(db, 'not a token')).toBeNull();
  });

  it('without a known token, takes the organization that most recently emailed the sender', async () => {
    const address = `pat-${randomUUID()}@prospect.example`;
    const atAcme = await conversation(acme, address);
    const atGlobex = await conversation(globex, address);
    await emailed(acme, atAcme.contactId, new Date('2026-03-01T10:00:00Z'));
    await emailed(globex, atGlobex.contactId, new Date('2026-03-02T10:00:00Z'));
    // Mail that never left (recorded only) is no reason to expect a reply.
    await emailed(acme, atAcme.contactId, new Date('2026-03-03T10:00:00Z'), recordingSender('email'));

    expect(
      await findInboundEmailOrganization(db, { replyToken: token, from: address.toUpperCase() }),
    ).toEqual({
      orgId: globex,
      via: 'recent_delivery',
    });
    expect(await findInboundEmailOrganization(db, { from: address })).toEqual({
      orgId: globex,
      via: 'recent_delivery',
    });
    expect(await findInboundEmailOrganization(db, { from: 'stranger@nowhere.example' })).toBeNull();
  });
});
