import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { revokeConsent } from '../compliance/consent.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { sendOutbound } from '../outbound.ts';
import type { Channel, ChannelSender } from '../outbound-message.ts';
import { findTextingOrganization } from './texting-organization.ts';

let db: Database;
let sent = 0;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

const liveSender = (channel: Channel): ChannelSender => ({
  channel,
  mode: 'live',
  send: async () => ({ providerMessageId: `SM${String(++sent).padStart(32, '0')}` }),
});
const senders = { sms: liveSender('sms'), whatsapp: liveSender('whatsapp') };

/** Texts `phone` from `orgId` through the real gate and ledger; → the delivery's status. */
async function textFrom(orgId: string, phone: string, channel: Channel = 'sms', optedOut = false) {
  const { lead } = await upsertLead(db, orgId, { phone }, systemActor);
  if (optedOut) {
    await revokeConsent(
      db,
      orgId,
      { contactId: lead.id, type: 'sms_marketing', method: 'sms_keyword', evidence: { message: 'STOP' } },
      { type: 'prospect', id: lead.id },
    );
  }
  const result = await sendOutbound(
    { db, senders },
    {
      orgId,
      contactId: lead.id,
      channel,
      purpose: 'conversation_reply',
      sender: 'agent',
      body: 'Thanks for your message!',
      idempotencyKey: `test:${orgId}:${phone}:${++sent}`,
    },
  );
  return result.status;
}

describe('the organization of an inbound text', () => {
  it('is the only organization of a single-organization installation, and none before there is one', async () => {
    expect(await findTextingOrganization(db, { from: '+14155550100' })).toEqual({ orgId: null, by: 'none' });
    const { orgId } = await createOrganization(db, { name: 'Solo' }, systemActor);
    expect(await findTextingOrganization(db, { from: '+14155550100' })).toEqual({
      orgId,
      by: 'only_organization',
    });
    // A webhook URL naming no organization does not change that.
    expect(
      await findTextingOrganization(db, { from: '+14155550100', orgParameter: 'not-an-id' }),
    ).toMatchObject({ orgId, by: 'only_organization' });
  });

  it('is the organization that most recently texted the number, whichever texting channel', async () => {
    const { orgId: acme } = await createOrganization(db, { name: 'Acme' }, systemActor);
    const { orgId: globex } = await createOrganization(db, { name: 'Globex' }, systemActor);
    expect(await textFrom(acme, '+14155550111')).toBe('sent');
    expect(await findTextingOrganization(db, { from: '+14155550111' })).toEqual({
      orgId: acme,
      by: 'recent_delivery',
    });
    expect(await textFrom(globex, '(415) 555-0111', 'whatsapp')).toBe('sent');
    // WhatsApp's address and a bare national number are the same prospect's number.
    for (const from of ['+14155550111', 'whatsapp:+14155550111', '4155550111']) {
      expect(await findTextingOrganization(db, { from })).toEqual({ orgId: globex, by: 'recent_delivery' });
    }
  });

  it('ignores texts that never left (refused by the gate)', async () => {
    const { orgId: initech } = await createOrganization(db, { name: 'Initech' }, systemActor);
    expect(await textFrom(initech, '+14155550122', 'sms', true)).toBe('refused');
    // Several organizations and no delivery that reached the number: nobody claims it.
    expect(await findTextingOrganization(db, { from: '+14155550122' })).toEqual({ orgId: null, by: 'none' });
  });

  it('is the organization the signed webhook URL names, before any other rule', async () => {
    const { orgId: hooli } = await createOrganization(db, { name: 'Hooli' }, systemActor);
    expect(await findTextingOrganization(db, { from: '+14155550111', orgParameter: hooli })).toEqual({
      orgId: hooli,
      by: 'webhook_url',
    });
    // An id that names no organization falls through to the other rules.
    const unknown = '1b7e4f0a-9c2d-4e3f-8a5b-6c7d8e9f0a1b';
    expect(await findTextingOrganization(db, { from: '+14155550111', orgParameter: unknown })).toMatchObject({
      by: 'recent_delivery',
    });
    expect(await findTextingOrganization(db, { from: 'not a number', orgParameter: '' })).toEqual({
      orgId: null,
      by: 'none',
    });
  });
});
