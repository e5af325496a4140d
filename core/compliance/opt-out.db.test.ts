import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization, updateOrganizationSettings } from '../organizations.ts';
import { sendOutbound } from '../outbound.ts';
import type { ChannelSender, OutboundDraft } from '../outbound-message.ts';
import { type ConsentType, currentConsent, recordConsent } from './consent.ts';
import { handleInboundText, unsubscribeByEmailLink } from './opt-out.ts';
import { suppressionsFor } from './suppressions.ts';

let db: Database;
let orgId: string;
const sent: (OutboundDraft & { to: string })[] = [];
const recorder = (channel: OutboundDraft['channel']): ChannelSender => ({
  channel,
  mode: 'recorded',
  idempotent: true,
  send: async (draft) => {
    sent.push(draft);
    return { providerMessageId: `recorded-${sent.length}` };
  },
});
const senders = {
  sms: recorder('sms'),
  email: recorder('email'),
  web: recorder('web'),
  whatsapp: recorder('whatsapp'),
};

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterAll(() => db.close());

let n = 0;
async function consentingContact(types: ConsentType[] = ['sms_marketing', 'email_marketing']) {
  n += 1;
  const { lead } = await upsertLead(
    db,
    orgId,
    { email: `optout${n}@example.com`, phone: `+1212555${String(2000 + n)}` },
    systemActor,
  );
  for (const type of types) {
    await recordConsent(
      db,
      orgId,
      { contactId: lead.id, type, method: 'web_form', evidence: { wording: `I agree to ${type}` } },
      systemActor,
    );
  }
  return lead.id;
}

const inbound = (contactId: string, message: string, channel: OutboundDraft['channel'] = 'sms') =>
  handleInboundText(db, { orgId, contactId, channel, message, inboundId: `in-${contactId}-${message}` });

describe('SMS keywords', () => {
  it.each(['STOP', 'stopall', 'Unsubscribe', 'CANCEL', 'end', 'QUIT.', 'revoke!', ' optout '])(
    '%j revokes SMS consent at once and confirms once, without marketing',
    async (keyword) => {
      const contactId = await consentingContact();
      const result = await inbound(contactId, keyword);
      expect(result).toMatchObject({ action: 'opted_out', revoked: ['sms_marketing'] });
      const state = await currentConsent(db, orgId, contactId);
      expect(state.sms_marketing.status).toBe('revoked');
      expect(state.email_marketing.status).toBe('given'); // STOP by text is about texts
      if (result.action !== 'opted_out' || !result.reply) throw new Error('expected a confirmation');
      expect(result.reply).toMatchObject({ purpose: 'opt_out_confirmation', channel: 'sms', contactId });
      expect(result.reply.body).toBe(
        "You're unsubscribed from Acme messages. No more messages will be sent. Reply START to resubscribe.",
      );

      const before = sent.length;
      expect((await sendOutbound({ db, senders }, result.reply)).status).toBe('recorded');
      // A retry of the same inbound message, and a second STOP, send nothing more.
      expect((await sendOutbound({ db, senders }, result.reply)).status).toBe('recorded');
      const second = await handleInboundText(db, {
        orgId,
        contactId,
        channel: 'sms',
        message: keyword,
        inboundId: `second-stop-${contactId}`,
      });
      if (second.action !== 'opted_out' || !second.reply) throw new Error('expected a confirmation draft');
      expect(second.revoked).toEqual([]);
      expect((await sendOutbound({ db, senders }, second.reply)).reasons).toEqual([
        'opt_out_already_confirmed',
      ]);
      expect(sent.length).toBe(before + 1);
    },
  );

  it.each(['START', 'unstop', 'Yes!'])(
    '%j after STOP re-subscribes, with the keyword as evidence',
    async (keyword) => {
      const contactId = await consentingContact();
      await inbound(contactId, 'STOP');
      const result = await inbound(contactId, keyword);
      expect(result).toMatchObject({ action: 'opted_in', reply: { purpose: 'conversation_reply' } });
      const state = await currentConsent(db, orgId, contactId);
      expect(state.sms_marketing).toMatchObject({ status: 'given', method: 'sms_keyword' });
      if (result.action !== 'opted_in') throw new Error('expected opt-in');
      expect((await sendOutbound({ db, senders }, result.reply)).status).toBe('recorded');
    },
  );

  it('treats a bare "yes" as an answer, not an opt-in, when nobody opted out', async () => {
    n += 1;
    const { lead } = await upsertLead(db, orgId, { phone: `+1212555${3000 + n}` }, systemActor);
    expect(await inbound(lead.id, 'yes')).toEqual({ action: 'none' });
    expect((await currentConsent(db, orgId, lead.id)).sms_marketing.status).toBe('none');
  });

  it("answers HELP with the organization's help text, or a default that names the opt-out", async () => {
    const contactId = await consentingContact();
    const fallback = await inbound(contactId, 'help');
    expect(fallback).toMatchObject({ action: 'help' });
    if (fallback.action !== 'help') throw new Error('expected help');
    expect(fallback.reply.body).toMatch(/^Acme: .*Reply STOP to opt out/);
    await updateOrganizationSettings(
      db,
      orgId,
      { helpText: 'Acme sales: call 555-0100 or email help@acme.example. Reply STOP to opt out.' },
      systemActor,
    );
    const custom = await inbound(contactId, 'HELP!');
    if (custom.action !== 'help') throw new Error('expected help');
    expect(custom.reply.body).toBe(
      'Acme sales: call 555-0100 or email help@acme.example. Reply STOP to opt out.',
    );
  });

  it('passes everything else on to the conversation', async () => {
    const contactId = await consentingContact();
    expect(await inbound(contactId, 'Can you stop by on Tuesday?')).toEqual({ action: 'none' });
    expect(await inbound(contactId, 'What does the Growth plan cost?')).toEqual({ action: 'none' });
    // Keywords are a texting convention; in an email "STOP" alone still reads as plain language.
    expect(await inbound(contactId, 'HELP', 'email')).toEqual({ action: 'none' });
  });
});

describe('plain-language opt-out', () => {
  it.each([
    ['sms', 'Please stop texting me'],
    ['email', 'Remove me from your list.'],
    ['web', "Don't contact me again"],
    ['whatsapp', 'unsubscribe me'],
  ] as const)('on %s, %j revokes every consent and confirms', async (channel, message) => {
    const contactId = await consentingContact(['sms_marketing', 'email_marketing', 'marketing_calls']);
    const result = await inbound(contactId, message, channel);
    expect(result.action).toBe('opted_out');
    const state = await currentConsent(db, orgId, contactId);
    for (const type of ['sms_marketing', 'email_marketing', 'marketing_calls', 'ai_voice_calls'] as const) {
      expect(state[type].status).toBe('revoked');
    }
    if (result.action !== 'opted_out' || !result.reply) throw new Error('expected a confirmation');
    expect(result.reply.body).toMatch(/^You're unsubscribed from Acme messages\./);
    expect((await sendOutbound({ db, senders }, result.reply)).status).toBe('recorded');
    // After it, marketing on any channel is refused.
    for (const ch of ['sms', 'email'] as const) {
      const marketing = await sendOutbound(
        { db, senders },
        {
          orgId,
          contactId,
          channel: ch,
          purpose: 'marketing',
          sender: 'agent',
          body: 'Our spring offer',
          idempotencyKey: `after-${contactId}-${ch}`,
        },
      );
      expect(marketing.status).toBe('refused');
      expect(marketing.reasons).toContain('consent_revoked');
    }
  });
});

describe('email one-click unsubscribe', () => {
  it('revokes email marketing and suppresses the address at once, idempotently', async () => {
    const contactId = await consentingContact();
    const first = await unsubscribeByEmailLink(db, {
      orgId,
      contactId,
      ip: '::ffff:127.0.0.1',
      userAgent: 'Mail/1.0',
    });
    expect(first).toEqual({ organizationName: 'Acme', alreadyUnsubscribed: false });
    const state = await currentConsent(db, orgId, contactId);
    expect(state.email_marketing).toMatchObject({ status: 'revoked', method: 'email_link' });
    expect(state.sms_marketing.status).toBe('given');
    expect(await suppressionsFor(db, orgId, 'email', `optout${n}@example.com`)).toEqual(['unsubscribed']);
    expect(await unsubscribeByEmailLink(db, { orgId, contactId })).toMatchObject({
      alreadyUnsubscribed: true,
    });
    const [record] = await db.query<{ evidence: { ip?: string } }>(
      `select evidence from consent_records where contact_id = $1 and method = 'email_link'`,
      [contactId],
    );
    expect(record!.evidence.ip).toBe('127.0.0.1');
  });
});
