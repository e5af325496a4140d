import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.ts';
import { createTestDatabase } from '../tests/support/test-database.ts';
import { systemActor } from './actor.ts';
import { recordConsent } from './compliance/consent.ts';
import { suppressionsFor } from './compliance/suppressions.ts';
import { findDeliveryOrganization, recordDeliveryStatus } from './delivery-status.ts';
import { upsertLead } from './leads.ts';
import { createOrganization } from './organizations.ts';
import { sendOutbound } from './outbound.ts';
import type { Channel, ChannelSender } from './outbound-message.ts';

let db: Database;
let orgId: string;
let otherOrgId: string;
const noon = new Date('2026-07-15T16:00:00Z'); // 12:00 in New York: inside texting hours

const liveSender = (channel: Channel): ChannelSender => ({
  channel,
  mode: 'live',
  send: async (draft) => ({ providerMessageId: `pm-${draft.idempotencyKey}` }),
});
const senders = { email: liveSender('email'), sms: liveSender('sms') };

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  ({ orgId: otherOrgId } = await createOrganization(db, { name: 'Globex' }, systemActor));
});
afterAll(() => db.close());

let n = 0;
/** A contact with consent and one delivered marketing message on `channel`; its provider id. */
async function sent(channel: 'email' | 'sms') {
  n += 1;
  const email = `status${n}@example.com`;
  const phone = `+1212555${String(6000 + n)}`;
  const { lead } = await upsertLead(db, orgId, { email, phone }, systemActor);
  await recordConsent(
    db,
    orgId,
    {
      contactId: lead.id,
      type: channel === 'email' ? 'email_marketing' : 'sms_marketing',
      method: 'web_form',
      evidence: { wording: 'I agree' },
    },
    systemActor,
  );
  const result = await sendOutbound(
    { db, senders, now: () => noon },
    {
      orgId,
      contactId: lead.id,
      channel,
      purpose: channel === 'email' ? 'transactional' : 'marketing',
      sender: 'agent',
      body: 'Your trial ends Friday. Reply STOP to opt out.',
      idempotencyKey: `status-${n}`,
    },
  );
  expect(result.status).toBe('sent');
  return { contactId: lead.id, email, phone, providerMessageId: result.providerMessageId! };
}

const update = (providerMessageId: string, status: string, eventId: string, extra = {}) =>
  recordDeliveryStatus(db, {
    orgId,
    channel: 'sms',
    providerMessageId,
    status: status as 'sent',
    eventId,
    provider: 'test',
    ...extra,
  });

const ledger = async (providerMessageId: string) =>
  (
    await db.query<{ provider_status: string | null; provider_error: string | null }>(
      'select provider_status, provider_error from outbound_deliveries where provider_message_id = $1',
      [providerMessageId],
    )
  )[0]!;

describe('delivery status from a provider', () => {
  it('moves forward only, whatever order the callbacks arrive in', async () => {
    const { providerMessageId } = await sent('sms');
    expect((await update(providerMessageId, 'delivered', 'e1')).outcome).toBe('applied');
    expect((await update(providerMessageId, 'sent', 'e2')).outcome).toBe('unchanged');
    expect((await update(providerMessageId, 'queued', 'e3')).outcome).toBe('unchanged');
    expect((await ledger(providerMessageId)).provider_status).toBe('delivered');
    // A failure after delivery is still news (a late carrier report); a complaint outranks all.
    expect((await update(providerMessageId, 'undelivered', 'e4', { error: '30003' })).outcome).toBe(
      'applied',
    );
    expect(await ledger(providerMessageId)).toEqual({
      provider_status: 'undelivered',
      provider_error: '30003',
    });
  });

  it('applies the same provider event once and announces each change once', async () => {
    const { providerMessageId, contactId } = await sent('sms');
    expect((await update(providerMessageId, 'sent', 'twice')).outcome).toBe('applied');
    expect((await update(providerMessageId, 'sent', 'twice')).outcome).toBe('duplicate');
    const events = await db.query<{ data: { status: string; deliveryId: string } }>(
      `select data from events where org_id = $1 and name = 'message.status.updated' and data ->> 'contactId' = $2`,
      [orgId, contactId],
    );
    expect(events.map((e) => e.data.status)).toEqual(['sent']);
  });

  it('ignores a provider id nobody sent, and one of another organization', async () => {
    expect((await update('pm-nobody', 'delivered', 'e-x')).outcome).toBe('unknown');
    const { providerMessageId } = await sent('sms');
    const foreign = await recordDeliveryStatus(db, {
      orgId: otherOrgId,
      channel: 'sms',
      providerMessageId,
      status: 'failed',
      eventId: 'e-foreign',
      provider: 'test',
    });
    expect(foreign.outcome).toBe('unknown');
    expect((await ledger(providerMessageId)).provider_status).toBeNull();
    expect(await findDeliveryOrganization(db, providerMessageId)).toBe(orgId);
    expect(await findDeliveryOrganization(db, 'pm-nobody')).toBeNull();
  });

  it('suppresses the address on a hard bounce or a complaint, not on a soft bounce', async () => {
    const soft = await sent('email');
    await recordDeliveryStatus(db, {
      orgId,
      channel: 'email',
      providerMessageId: soft.providerMessageId,
      status: 'bounced',
      permanent: false,
      eventId: 'soft',
      provider: 'test',
    });
    expect(await suppressionsFor(db, orgId, 'email', soft.email)).toEqual([]);

    const hard = await sent('email');
    await recordDeliveryStatus(db, {
      orgId,
      channel: 'email',
      providerMessageId: hard.providerMessageId,
      status: 'bounced',
      permanent: true,
      eventId: 'hard',
      provider: 'test',
    });
    expect(await suppressionsFor(db, orgId, 'email', hard.email)).toEqual(['hard_bounce']);

    const complained = await sent('email');
    await recordDeliveryStatus(db, {
      orgId,
      channel: 'email',
      providerMessageId: complained.providerMessageId,
      status: 'delivered',
      eventId: 'c1',
      provider: 'test',
    });
    await recordDeliveryStatus(db, {
      orgId,
      channel: 'email',
      providerMessageId: complained.providerMessageId,
      status: 'complained',
      eventId: 'c2',
      provider: 'test',
    });
    expect(await suppressionsFor(db, orgId, 'email', complained.email)).toEqual(['complaint']);

    // The gate now refuses the next email to the bounced address.
    const next = await sendOutbound(
      { db, senders, now: () => noon },
      {
        orgId,
        contactId: hard.contactId,
        channel: 'email',
        purpose: 'transactional',
        sender: 'agent',
        body: 'Your receipt',
        idempotencyKey: `after-bounce-${hard.contactId}`,
      },
    );
    expect(next.status).toBe('refused');
    expect(next.reasons).toContain('hard_bounced');
  });

  it('blocks a number the carrier reports as opted out', async () => {
    const texted = await sent('sms');
    await update(texted.providerMessageId, 'failed', 'optout', { error: '21610', recipientOptedOut: true });
    expect(await suppressionsFor(db, orgId, 'sms', texted.phone)).toEqual(['unsubscribed']);
  });

  it('refuses a malformed update and changes nothing', async () => {
    const { providerMessageId } = await sent('sms');
    await expect(update(providerMessageId, 'teleported', 'bad')).rejects.toThrow();
    expect((await ledger(providerMessageId)).provider_status).toBeNull();
  });
});
