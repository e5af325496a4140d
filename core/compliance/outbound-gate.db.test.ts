import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { sendOutbound } from '../outbound.ts';
import type { ChannelSender, OutboundDraft } from '../outbound-message.ts';
import { createRep } from '../reps.ts';
import { type ConsentMethod, type ConsentType, recordConsent, revokeConsent } from './consent.ts';
import { addToDoNotCallList, importNationalRegistry, setContactDoNotCall } from './do-not-call.ts';
import { checkOutbound, type OutboundCheck, refusalReasons } from './outbound-gate.ts';
import { setContactTimezone } from './recipient.ts';
import { suppressAddress } from './suppressions.ts';

let db: Database;
let orgId: string;
let otherOrgId: string;
const repEmail = 'rita.rep@acme.example';
// A Wednesday: 12:00 in New York and Miami, 09:00 in San Francisco.
const noon = new Date('2026-07-15T16:00:00Z');
const hoursLater = (h: number) => new Date(noon.getTime() + h * 3_600_000);

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  ({ orgId: otherOrgId } = await createOrganization(db, { name: 'Globex' }, systemActor));
  await createRep(db, { orgId, email: repEmail, password: 'correct horse battery' }, systemActor);
});
afterAll(() => db.close());

let n = 0;
/** A contact with a number in `areaCode` and the given consents (web form: written). */
async function contact(
  options: {
    areaCode?: string;
    email?: boolean;
    phone?: boolean;
    consent?: ConsentType[];
    method?: ConsentMethod;
  } = {},
  org = orgId,
): Promise<{ id: string; phone: string; email: string }> {
  n += 1;
  const phone = `+1${options.areaCode ?? '212'}555${String(1000 + n)}`;
  const email = `gate${n}@example.com`;
  const { lead } = await upsertLead(
    db,
    org,
    {
      ...(options.phone === false ? {} : { phone }),
      ...(options.email === false ? {} : { email }),
    },
    systemActor,
  );
  for (const type of options.consent ?? []) {
    await recordConsent(
      db,
      org,
      {
        contactId: lead.id,
        type,
        method: options.method ?? 'web_form',
        evidence: { wording: `I agree to ${type}` },
      },
      systemActor,
      hoursLater(-24),
    );
  }
  return { id: lead.id, phone, email };
}

const check = (input: Omit<OutboundCheck, 'orgId'> & { orgId?: string }) =>
  checkOutbound(db, { orgId, now: noon, ...input });

const everySms: ConsentType[] = ['sms_marketing'];

describe('marketing needs the channel’s consent', () => {
  it('refuses without consent, and allows with it', async () => {
    const prospect = await contact();
    expect(await check({ contactId: prospect.id, channel: 'sms', purpose: 'marketing' })).toMatchObject({
      allowed: false,
      reasons: ['no_consent'],
    });
    const consented = await contact({ consent: everySms });
    expect(await check({ contactId: consented.id, channel: 'sms', purpose: 'marketing' })).toMatchObject({
      allowed: true,
      reasons: [],
    });
    // SMS consent says nothing about email or WhatsApp beyond texts.
    expect(
      (await check({ contactId: consented.id, channel: 'email', purpose: 'marketing' })).reasons,
    ).toEqual(['no_consent']);
    expect(
      (await check({ contactId: consented.id, channel: 'whatsapp', purpose: 'marketing' })).allowed,
    ).toBe(true);
  });

  it('needs AI-voice consent for an AI call, not for a rep’s own call', async () => {
    const prospect = await contact({ consent: ['marketing_calls'] });
    expect((await check({ contactId: prospect.id, channel: 'voice', purpose: 'marketing' })).reasons).toEqual(
      ['no_consent'],
    );
    expect(
      (
        await check({
          contactId: prospect.id,
          channel: 'voice',
          purpose: 'marketing',
          artificialVoice: false,
        })
      ).allowed,
    ).toBe(true);
    const both = await contact({ consent: ['marketing_calls', 'ai_voice_calls'] });
    expect((await check({ contactId: both.id, channel: 'voice', purpose: 'marketing' })).allowed).toBe(true);
  });

  it('refuses after revocation, and so does a reply in the conversation', async () => {
    const prospect = await contact({ consent: everySms });
    await revokeConsent(
      db,
      orgId,
      { contactId: prospect.id, type: 'sms_marketing', method: 'sms_keyword' },
      systemActor,
    );
    expect((await check({ contactId: prospect.id, channel: 'sms', purpose: 'marketing' })).reasons).toEqual([
      'consent_revoked',
    ]);
    expect(
      (await check({ contactId: prospect.id, channel: 'sms', purpose: 'conversation_reply' })).reasons,
    ).toEqual(['consent_revoked']);
    expect(
      (await check({ contactId: prospect.id, channel: 'sms', purpose: 'transactional' })).reasons,
    ).toEqual(['consent_revoked']);
    // Nothing unasked-for in the web chat after an opt-out; answers there still go.
    expect((await check({ contactId: prospect.id, channel: 'web', purpose: 'marketing' })).reasons).toEqual([
      'consent_revoked',
    ]);
    expect(
      (await check({ contactId: prospect.id, channel: 'web', purpose: 'conversation_reply' })).allowed,
    ).toBe(true);
    // Email is another channel: replies there still go.
    expect(
      (await check({ contactId: prospect.id, channel: 'email', purpose: 'conversation_reply' })).allowed,
    ).toBe(true);
  });

  it('lets a reply go without marketing consent, at any hour: the prospect started it', async () => {
    const prospect = await contact();
    for (const channel of ['sms', 'email', 'web', 'whatsapp'] as const) {
      expect((await check({ contactId: prospect.id, channel, purpose: 'conversation_reply' })).allowed).toBe(
        true,
      );
    }
    expect((await check({ contactId: prospect.id, channel: 'web', purpose: 'marketing' })).allowed).toBe(
      true,
    );
    const lateAtNight = new Date('2026-07-16T03:00:00Z'); // 23:00 in New York
    expect(
      (
        await check({
          contactId: prospect.id,
          channel: 'sms',
          purpose: 'conversation_reply',
          now: lateAtNight,
        })
      ).allowed,
    ).toBe(true);
  });
});

describe('suppressed addresses', () => {
  it('refuses an unsubscribed address, except for a receipt by email', async () => {
    const prospect = await contact({ consent: ['email_marketing'] });
    await suppressAddress(db, orgId, {
      channel: 'email',
      address: prospect.email.toUpperCase(),
      reason: 'unsubscribed',
    });
    expect((await check({ contactId: prospect.id, channel: 'email', purpose: 'marketing' })).reasons).toEqual(
      ['unsubscribed'],
    );
    expect(
      (await check({ contactId: prospect.id, channel: 'email', purpose: 'conversation_reply' })).reasons,
    ).toEqual(['unsubscribed']);
    expect(
      (await check({ contactId: prospect.id, channel: 'email', purpose: 'transactional' })).allowed,
    ).toBe(true);
  });

  it('refuses a hard-bounced or complaining address for every purpose', async () => {
    const bounced = await contact({ consent: ['email_marketing'] });
    await suppressAddress(db, orgId, { channel: 'email', address: bounced.email, reason: 'hard_bounce' });
    const complained = await contact({ consent: ['email_marketing'] });
    await suppressAddress(db, orgId, { channel: 'email', address: complained.email, reason: 'complaint' });
    for (const purpose of ['marketing', 'conversation_reply', 'transactional'] as const) {
      expect((await check({ contactId: bounced.id, channel: 'email', purpose })).reasons).toEqual([
        'hard_bounced',
      ]);
      expect((await check({ contactId: complained.id, channel: 'email', purpose })).reasons).toEqual([
        'complained',
      ]);
    }
  });
});

describe('Do-Not-Call', () => {
  it('refuses calls and texts to a contact flagged Do-Not-Call, but not email', async () => {
    const prospect = await contact({ consent: ['sms_marketing', 'email_marketing'] });
    await setContactDoNotCall(db, orgId, prospect.id, true, systemActor);
    expect((await check({ contactId: prospect.id, channel: 'sms', purpose: 'marketing' })).reasons).toEqual([
      'dnc_internal',
    ]);
    expect(
      (await check({ contactId: prospect.id, channel: 'sms', purpose: 'conversation_reply' })).reasons,
    ).toEqual(['dnc_internal']);
    expect(
      (
        await check({
          contactId: prospect.id,
          channel: 'voice',
          purpose: 'conversation_reply',
          artificialVoice: false,
        })
      ).reasons,
    ).toEqual(['dnc_internal']);
    expect((await check({ contactId: prospect.id, channel: 'email', purpose: 'marketing' })).allowed).toBe(
      true,
    );
  });

  it("refuses a number on the organization's list", async () => {
    const prospect = await contact({ consent: everySms });
    await addToDoNotCallList(db, orgId, prospect.phone, systemActor);
    expect((await check({ contactId: prospect.id, channel: 'sms', purpose: 'marketing' })).reasons).toEqual([
      'dnc_org_list',
    ]);
    // Another organization's list is its own business.
    const elsewhere = await contact({ consent: everySms }, otherOrgId);
    await addToDoNotCallList(db, otherOrgId, elsewhere.phone, systemActor);
    const mine = await contact({ consent: everySms });
    expect((await check({ contactId: mine.id, channel: 'sms', purpose: 'marketing' })).allowed).toBe(true);
  });

  it('refuses marketing to a number on the national registry unless the consent is signed and written', async () => {
    const verbal = await contact({ areaCode: '303', consent: ['marketing_calls'], method: 'verbal_call' });
    const written = await contact({ areaCode: '303', consent: ['marketing_calls'], method: 'web_form' });
    await importNationalRegistry(
      db,
      orgId,
      {
        text: `${verbal.phone.slice(2)}\n${written.phone.slice(2)}\n`,
        areaCode: '303',
        dataDate: '2026-07-10',
      },
      systemActor,
      noon,
    );
    const call = { channel: 'voice', purpose: 'marketing', artificialVoice: false } as const;
    expect(await check({ contactId: verbal.id, ...call })).toMatchObject({
      allowed: false,
      reasons: ['dnc_national'],
    });
    expect(await check({ contactId: written.id, ...call })).toMatchObject({ allowed: true, warnings: [] });
    // The registry restricts solicitations, not answers to the prospect's own messages.
    expect(
      (await check({ contactId: verbal.id, channel: 'sms', purpose: 'conversation_reply' })).allowed,
    ).toBe(true);
  });

  it('warns when the national registry data is missing or more than 31 days old', async () => {
    const prospect = await contact({ areaCode: '720', consent: everySms });
    expect((await check({ contactId: prospect.id, channel: 'sms', purpose: 'marketing' })).warnings).toEqual([
      'dnc_national_not_imported',
    ]);
    await importNationalRegistry(
      db,
      orgId,
      { text: '7205550000\n', areaCode: '720', dataDate: '2026-06-01' },
      systemActor,
      noon,
    );
    const decision = await check({ contactId: prospect.id, channel: 'sms', purpose: 'marketing' });
    expect(decision).toMatchObject({ allowed: true, warnings: ['dnc_national_stale'] });
  });
});

describe('quiet hours', () => {
  it('refuses marketing and transactional texts and calls outside 8:00–21:00 recipient time', async () => {
    const newYork = await contact({ consent: everySms });
    const sanFrancisco = await contact({ areaCode: '415', consent: everySms });
    const early = new Date('2026-07-15T13:30:00Z'); // 09:30 in New York, 06:30 in San Francisco
    expect(
      (await check({ contactId: newYork.id, channel: 'sms', purpose: 'marketing', now: early })).allowed,
    ).toBe(true);
    expect(
      (await check({ contactId: sanFrancisco.id, channel: 'sms', purpose: 'marketing', now: early })).reasons,
    ).toEqual(['quiet_hours']);
    expect(
      (await check({ contactId: sanFrancisco.id, channel: 'sms', purpose: 'transactional', now: early }))
        .reasons,
    ).toEqual(['quiet_hours']);
    // Email has no quiet hours.
    expect(
      (
        await check({
          contactId: sanFrancisco.id,
          channel: 'email',
          purpose: 'conversation_reply',
          now: early,
        })
      ).allowed,
    ).toBe(true);
  });

  it('refuses when the recipient’s time zone is unknown, until it is set', async () => {
    const tollFree = await contact({ areaCode: '800', consent: everySms });
    expect((await check({ contactId: tollFree.id, channel: 'sms', purpose: 'marketing' })).reasons).toEqual([
      'quiet_hours_unknown_timezone',
    ]);
    await setContactTimezone(db, orgId, tollFree.id, 'America/Chicago', systemActor);
    expect((await check({ contactId: tollFree.id, channel: 'sms', purpose: 'marketing' })).allowed).toBe(
      true,
    );
    await expect(
      setContactTimezone(db, orgId, tollFree.id, 'Mars/Olympus', systemActor),
    ).rejects.toMatchObject({
      kind: 'invalid',
    });
  });

  it('closes at 20:00 in Florida', async () => {
    const miami = await contact({ areaCode: '305', consent: everySms });
    const eightPm = new Date('2026-07-16T00:00:00Z');
    expect(
      (await check({ contactId: miami.id, channel: 'sms', purpose: 'marketing', now: eightPm })).reasons,
    ).toEqual(['quiet_hours']);
  });
});

describe('the Florida and Oklahoma cap: three solicitations in 24 hours', () => {
  const calls: string[] = [];
  const sender: ChannelSender = {
    channel: 'voice',
    mode: 'live',
    idempotent: true,
    send: async (draft) => {
      calls.push(draft.idempotencyKey);
      return { providerMessageId: `call-${calls.length}` };
    },
  };
  const call = (contactId: string, key: string, at: Date) =>
    sendOutbound(
      { db, senders: { voice: sender }, now: () => at },
      {
        orgId,
        contactId,
        channel: 'voice',
        purpose: 'marketing',
        sender: 'agent',
        body: 'Hi, this is Acme about your pipeline analytics trial.',
        idempotencyKey: key,
      },
    );

  it('refuses the fourth call to Oklahoma within 24 hours, and allows it once the first is older', async () => {
    const tulsa = await contact({ areaCode: '918', consent: ['marketing_calls', 'ai_voice_calls'] });
    for (const h of [0, 1, 2]) expect((await call(tulsa.id, `ok-${h}`, hoursLater(h))).status).toBe('sent');
    const fourth = await call(tulsa.id, 'ok-3', hoursLater(3));
    expect(fourth).toMatchObject({ status: 'refused', reasons: ['call_cap'] });
    expect(calls).toEqual(['ok-0', 'ok-1', 'ok-2']);
    expect((await call(tulsa.id, 'ok-3', hoursLater(24.5))).status).toBe('sent');
  });

  it('counts texts as calls in Florida, and does not cap New York', async () => {
    const miami = await contact({
      areaCode: '305',
      consent: ['marketing_calls', 'ai_voice_calls', 'sms_marketing'],
    });
    const texts: OutboundDraft[] = [];
    const sms: ChannelSender = {
      channel: 'sms',
      mode: 'live',
      send: async (draft) => {
        texts.push(draft);
        return { providerMessageId: `sms-${texts.length}` };
      },
    };
    for (const h of [0, 1]) {
      const result = await sendOutbound(
        { db, senders: { sms }, now: () => hoursLater(h) },
        {
          orgId,
          contactId: miami.id,
          channel: 'sms',
          purpose: 'marketing',
          sender: 'agent',
          body: 'Acme: your trial ends soon. Reply STOP to opt out.',
          idempotencyKey: `fl-text-${h}`,
        },
      );
      expect(result.status).toBe('sent');
    }
    expect((await call(miami.id, 'fl-call-2', hoursLater(2))).status).toBe('sent');
    expect((await call(miami.id, 'fl-call-3', hoursLater(3))).reasons).toEqual(['call_cap']);

    const newYork = await contact({ consent: ['marketing_calls', 'ai_voice_calls'] });
    for (const h of [0, 1, 2, 3, 4])
      expect((await call(newYork.id, `ny-${h}`, hoursLater(h))).status).toBe('sent');
  });
});

describe('addresses', () => {
  it('refuses a channel the contact has no address for', async () => {
    const emailOnly = await contact({ phone: false, consent: everySms });
    expect(
      (await check({ contactId: emailOnly.id, channel: 'sms', purpose: 'conversation_reply' })).reasons,
    ).toEqual(['no_address']);
  });

  it("refuses another address than the prospect's own: consent does not travel", async () => {
    const prospect = await contact({ consent: everySms });
    expect(
      (await check({ contactId: prospect.id, channel: 'sms', purpose: 'marketing', to: '+12125559999' }))
        .reasons,
    ).toEqual(['address_mismatch']);
    expect(
      (
        await check({
          contactId: prospect.id,
          channel: 'sms',
          purpose: 'marketing',
          to: prospect.phone.slice(2),
        })
      ).allowed,
    ).toBe(true);
  });

  it("answers 404 for another organization's contact", async () => {
    const theirs = await contact({}, otherOrgId);
    await expect(
      check({ contactId: theirs.id, channel: 'email', purpose: 'conversation_reply' }),
    ).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('opt-out confirmation', () => {
  it('goes once, right after the opt-out, and never by call', async () => {
    const prospect = await contact({ consent: everySms });
    const confirmation = { contactId: prospect.id, channel: 'sms', purpose: 'opt_out_confirmation' } as const;
    expect((await check(confirmation)).reasons).toEqual(['no_recent_opt_out']);
    await revokeConsent(
      db,
      orgId,
      { contactId: prospect.id, type: 'sms_marketing', method: 'sms_keyword' },
      systemActor,
      noon,
    );
    expect(await check(confirmation)).toMatchObject({ allowed: true, reasons: [] });
    expect((await check({ ...confirmation, channel: 'voice' })).reasons).toEqual(['not_by_call']);
    expect((await check({ ...confirmation, now: hoursLater(0.1) })).reasons).toEqual(['no_recent_opt_out']);

    const texts: string[] = [];
    const sms: ChannelSender = {
      channel: 'sms',
      mode: 'recorded',
      send: async (draft) => {
        texts.push(draft.body);
        return { providerMessageId: 'recorded-1' };
      },
    };
    const draft = {
      orgId,
      contactId: prospect.id,
      channel: 'sms',
      purpose: 'opt_out_confirmation',
      sender: 'system',
      body: "You're unsubscribed from Acme messages. No more messages will be sent. Reply START to resubscribe.",
    } as const;
    const deps = { db, senders: { sms }, now: () => hoursLater(0.01) };
    expect((await sendOutbound(deps, { ...draft, idempotencyKey: 'confirm-1' })).status).toBe('recorded');
    expect(await sendOutbound(deps, { ...draft, idempotencyKey: 'confirm-2' })).toMatchObject({
      status: 'refused',
      reasons: ['opt_out_already_confirmed'],
    });
    expect(texts).toHaveLength(1);
    // And nothing else goes to this number any more.
    expect(
      (
        await sendOutbound(deps, {
          ...draft,
          purpose: 'conversation_reply',
          idempotencyKey: 'reply-after-stop',
        })
      ).reasons,
    ).toEqual(['consent_revoked']);
    expect(texts).toHaveLength(1);
  });
});

describe('rep notifications', () => {
  it("go to the organization's rep, never to a prospect", async () => {
    const prospect = await contact();
    const note = { contactId: prospect.id, purpose: 'rep_notification' } as const;
    expect((await check({ ...note, channel: 'email', to: 'Rita.Rep@acme.example' })).allowed).toBe(true);
    expect((await check({ ...note, channel: 'email', to: prospect.email })).reasons).toEqual([
      'not_a_rep_address',
    ]);
    expect((await check({ ...note, channel: 'email' })).reasons).toEqual(['no_address']);
    expect((await check({ ...note, channel: 'sms', to: prospect.phone })).reasons).toEqual([
      'not_a_rep_address',
    ]);
    expect((await check({ ...note, channel: 'sms', to: '+14155550000' })).allowed).toBe(true);
  });
});

it('has a test for every refusal reason it can give', async () => {
  // Keep this list in step with the tests above (and core/outbound.db.test.ts).
  const tested = [
    'no_address',
    'address_mismatch',
    'no_consent',
    'consent_revoked',
    'unsubscribed',
    'hard_bounced',
    'complained',
    'dnc_internal',
    'dnc_org_list',
    'dnc_national',
    'quiet_hours',
    'quiet_hours_unknown_timezone',
    'call_cap',
    'no_recent_opt_out',
    'opt_out_already_confirmed',
    'not_by_call',
    'not_a_rep_address',
  ];
  expect([...refusalReasons].sort()).toEqual(tested.sort());
});
