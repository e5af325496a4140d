import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.ts';
import { createTestDatabase } from '../tests/support/test-database.ts';
import { systemActor } from './actor.ts';
import { listAudit } from './audit.ts';
import { type ConsentType, recordConsent, revokeConsent } from './compliance/consent.ts';
import { readUnsubscribeToken } from './compliance/unsubscribe-link.ts';
import { upsertLead } from './leads.ts';
import { createOrganization, updateOrganizationSettings } from './organizations.ts';
import {
  inFlightLeaseMs,
  listDeliveries,
  ProviderRejectedError,
  recordingSender,
  sendOutbound,
} from './outbound.ts';
import type { Channel, ChannelSender, OutboundDraft } from './outbound-message.ts';
import { createRep } from './reps.ts';

let db: Database;
let orgId: string;
let otherOrgId: string;
const noon = new Date('2026-07-15T16:00:00Z'); // 12:00 in New York
const later = (ms: number) => new Date(noon.getTime() + ms);
const unsubscribe = {
  publicUrl: 'https://sales.acme.example',
  secret: randomBytes(32).toString('base64url'),
};

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  ({ orgId: otherOrgId } = await createOrganization(db, { name: 'Globex' }, systemActor));
  await createRep(db, { orgId, email: 'rita@acme.example', password: 'correct horse battery' }, systemActor);
});
afterAll(() => db.close());

/** A sender that remembers every call; `behave` decides what each call does. */
function spySender(
  channel: Channel,
  options: { mode?: 'live' | 'recorded'; idempotent?: boolean } = {},
  behave: (draft: OutboundDraft & { to: string }) => Promise<{ providerMessageId: string }> = async (
    draft,
  ) => ({
    providerMessageId: `pm-${draft.idempotencyKey}`,
  }),
) {
  const calls: (OutboundDraft & { to: string })[] = [];
  const sender: ChannelSender = {
    channel,
    mode: options.mode ?? 'live',
    idempotent: options.idempotent,
    send: (draft) => {
      calls.push(draft);
      return behave(draft);
    },
  };
  return { sender, calls };
}

let n = 0;
async function contact(consent: ConsentType[] = [], org = orgId) {
  n += 1;
  const email = `outbound${n}@example.com`;
  const phone = `+1212555${String(4000 + n)}`;
  const { lead } = await upsertLead(db, org, { email, phone }, systemActor);
  for (const type of consent) {
    await recordConsent(
      db,
      org,
      { contactId: lead.id, type, method: 'web_form', evidence: { wording: `I agree to ${type}` } },
      systemActor,
    );
  }
  return { id: lead.id, email, phone };
}

const draft = (contactId: string, overrides: Partial<OutboundDraft> = {}): OutboundDraft => ({
  orgId,
  contactId,
  channel: 'sms',
  purpose: 'marketing',
  sender: 'agent',
  body: 'Acme: your trial ends Friday. Reply STOP to opt out.',
  idempotencyKey: `key-${contactId}-${overrides.channel ?? 'sms'}-${overrides.purpose ?? 'marketing'}`,
  ...overrides,
});

describe('the gate comes first', () => {
  it('never calls a sender when the gate refuses, and records the refusal', async () => {
    const { sender, calls } = spySender('sms');
    const noConsent = await contact();
    const revoked = await contact(['sms_marketing']);
    await revokeConsent(db, orgId, { contactId: revoked.id, type: 'sms_marketing' }, systemActor);

    const deps = { db, senders: { sms: sender }, now: () => noon };
    expect(await sendOutbound(deps, draft(noConsent.id))).toMatchObject({
      status: 'refused',
      reasons: ['no_consent'],
    });
    expect(await sendOutbound(deps, draft(revoked.id))).toMatchObject({
      status: 'refused',
      reasons: ['consent_revoked'],
    });
    expect(
      await sendOutbound(
        deps,
        draft(revoked.id, { purpose: 'conversation_reply', idempotencyKey: 'reply-1' }),
      ),
    ).toMatchObject({ status: 'refused', reasons: ['consent_revoked'] });
    expect(calls).toEqual([]);

    const [ledger] = await listDeliveries(db, orgId, { contactId: noConsent.id });
    expect(ledger).toMatchObject({ status: 'refused', reasons: ['no_consent'], to: noConsent.phone });
    const audit = await listAudit(db, orgId, { contactId: noConsent.id });
    expect(audit.at(-1)).toMatchObject({
      action: 'outbound.refused',
      outcome: 'refused',
      details: { channel: 'sms', purpose: 'marketing', reasons: ['no_consent'] },
    });
  });

  it('checks again on retry: a refused key goes once it is allowed', async () => {
    const { sender, calls } = spySender('sms');
    const prospect = await contact(['sms_marketing']);
    const night = new Date('2026-07-16T03:00:00Z'); // 23:00 in New York
    const message = draft(prospect.id);
    expect(await sendOutbound({ db, senders: { sms: sender }, now: () => night }, message)).toMatchObject({
      status: 'refused',
      reasons: ['quiet_hours'],
    });
    const morning = new Date('2026-07-16T14:00:00Z');
    expect((await sendOutbound({ db, senders: { sms: sender }, now: () => morning }, message)).status).toBe(
      'sent',
    );
    expect(calls).toHaveLength(1);
  });

  it('refuses a key reused for another message', async () => {
    const { sender } = spySender('sms');
    const a = await contact(['sms_marketing']);
    const b = await contact(['sms_marketing']);
    const deps = { db, senders: { sms: sender }, now: () => noon };
    await sendOutbound(deps, draft(a.id, { idempotencyKey: 'shared-key' }));
    await expect(sendOutbound(deps, draft(b.id, { idempotencyKey: 'shared-key' }))).rejects.toMatchObject({
      kind: 'conflict',
    });
  });

  it("refuses another organization's contact", async () => {
    const theirs = await contact(['sms_marketing'], otherOrgId);
    const { sender, calls } = spySender('sms');
    await expect(
      sendOutbound({ db, senders: { sms: sender }, now: () => noon }, draft(theirs.id)),
    ).rejects.toMatchObject({ kind: 'not_found' });
    expect(calls).toEqual([]);
  });
});

describe('one idempotency key, one send', () => {
  it('sends once and returns the stored result to every retry', async () => {
    const { sender, calls } = spySender('sms');
    const prospect = await contact(['sms_marketing']);
    const deps = { db, senders: { sms: sender }, now: () => noon };
    const first = await sendOutbound(deps, draft(prospect.id));
    const second = await sendOutbound(deps, draft(prospect.id));
    expect(first).toMatchObject({ status: 'sent', providerMessageId: `pm-key-${prospect.id}-sms-marketing` });
    expect(second).toEqual(first);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      to: prospect.phone,
      idempotencyKey: `key-${prospect.id}-sms-marketing`,
    });
  });

  it('after a crash mid-send, a provider that cannot dedupe is never called again: the delivery is in doubt', async () => {
    const hang = spySender('sms', {}, () => new Promise(() => {})); // the process "dies" inside the call
    const prospect = await contact(['sms_marketing']);
    const message = draft(prospect.id);
    void sendOutbound({ db, senders: { sms: hang.sender }, now: () => noon }, message);
    await waitFor(() => hang.calls.length === 1);
    const [row] = await listDeliveries(db, orgId, { contactId: prospect.id });
    expect(row).toMatchObject({ status: 'sending', attempts: 1 });

    const retry = spySender('sms');
    // Within the lease the first attempt may still be running.
    expect(
      await sendOutbound(
        { db, senders: { sms: retry.sender }, now: () => later(inFlightLeaseMs / 2) },
        message,
      ),
    ).toMatchObject({ status: 'failed', reasons: ['delivery_in_progress'] });
    // After it, the message may or may not have gone: mark it, do not send it again.
    const deps = { db, senders: { sms: retry.sender }, now: () => later(inFlightLeaseMs * 2) };
    expect(await sendOutbound(deps, message)).toMatchObject({
      status: 'failed',
      reasons: ['delivery_in_doubt'],
    });
    expect(await sendOutbound(deps, message)).toMatchObject({
      status: 'failed',
      reasons: ['delivery_in_doubt'],
    });
    expect(retry.calls).toEqual([]);
    expect((await listDeliveries(db, orgId, { contactId: prospect.id }))[0]!.status).toBe('in_doubt');
    expect((await listAudit(db, orgId, { contactId: prospect.id })).at(-1)).toMatchObject({
      action: 'outbound.in_doubt',
      outcome: 'failed',
    });
  });

  it('after a crash mid-send, a provider that dedupes by key gets the same key once more', async () => {
    const hang = spySender('sms', { idempotent: true }, () => new Promise(() => {}));
    const prospect = await contact(['sms_marketing']);
    const message = draft(prospect.id);
    void sendOutbound({ db, senders: { sms: hang.sender }, now: () => noon }, message);
    await waitFor(() => hang.calls.length === 1);

    const retry = spySender('sms', { idempotent: true });
    const deps = { db, senders: { sms: retry.sender }, now: () => later(inFlightLeaseMs * 2) };
    expect((await sendOutbound(deps, message)).status).toBe('sent');
    expect((await sendOutbound(deps, message)).status).toBe('sent');
    expect(retry.calls.map((call) => call.idempotencyKey)).toEqual([message.idempotencyKey]);
    expect((await listDeliveries(db, orgId, { contactId: prospect.id }))[0]).toMatchObject({
      status: 'sent',
      attempts: 2,
    });
  });

  it('marks a send that failed without an answer in doubt, and one the provider rejected as retryable', async () => {
    const prospect = await contact(['sms_marketing']);
    const lost = spySender('sms', {}, async () => {
      throw new Error('socket hang up');
    });
    const deps = { db, senders: { sms: lost.sender }, now: () => noon };
    const message = draft(prospect.id, { idempotencyKey: 'lost-1' });
    expect(await sendOutbound(deps, message)).toMatchObject({
      status: 'failed',
      reasons: ['delivery_in_doubt'],
    });
    expect(await sendOutbound(deps, message)).toMatchObject({
      status: 'failed',
      reasons: ['delivery_in_doubt'],
    });
    expect(lost.calls).toHaveLength(1);

    let attempt = 0;
    const flaky = spySender('sms', {}, async (d) => {
      attempt += 1;
      if (attempt === 1) throw new ProviderRejectedError('429 Too Many Requests');
      return { providerMessageId: `pm-${d.idempotencyKey}` };
    });
    const retryable = draft(prospect.id, { idempotencyKey: 'rejected-1' });
    const flakyDeps = { db, senders: { sms: flaky.sender }, now: () => noon };
    expect(await sendOutbound(flakyDeps, retryable)).toMatchObject({
      status: 'failed',
      reasons: ['provider_error'],
    });
    expect(await sendOutbound(flakyDeps, retryable)).toMatchObject({ status: 'sent' });
    expect(flaky.calls).toHaveLength(2);
  });

  it('blocks a number the provider says opted out with it, so nothing is tried again', async () => {
    const prospect = await contact(['sms_marketing']);
    const carrier = spySender('sms', {}, async () => {
      throw new ProviderRejectedError('Twilio refused: 21610', { recipientOptedOut: true });
    });
    const deps = { db, senders: { sms: carrier.sender }, now: () => noon };
    expect(await sendOutbound(deps, draft(prospect.id, { idempotencyKey: 'carrier-1' }))).toMatchObject({
      status: 'failed',
      reasons: ['recipient_opted_out'],
    });
    const next = await sendOutbound(
      deps,
      draft(prospect.id, { idempotencyKey: 'carrier-2', purpose: 'conversation_reply' }),
    );
    expect(next.status).toBe('refused');
    expect(carrier.calls).toHaveLength(1);
  });

  it('fails clearly when the channel has no sender, and sends once one is configured', async () => {
    const prospect = await contact(['email_marketing']);
    const message = draft(prospect.id, { channel: 'email', purpose: 'conversation_reply' });
    expect(await sendOutbound({ db, senders: {}, now: () => noon }, message)).toMatchObject({
      status: 'failed',
      reasons: ['no_sender'],
    });
    expect(
      (await sendOutbound({ db, senders: { email: recordingSender('email') }, now: () => noon }, message))
        .status,
    ).toBe('recorded');
  });
});

describe('recorded mode', () => {
  it('keeps the message in the ledger for the console', async () => {
    const prospect = await contact();
    const result = await sendOutbound(
      { db, senders: { email: recordingSender('email') }, now: () => noon },
      draft(prospect.id, {
        channel: 'email',
        purpose: 'conversation_reply',
        subject: 'Re: pricing',
        body: 'Growth is $99 per user per month.',
      }),
    );
    expect(result.status).toBe('recorded');
    const [row] = await listDeliveries(db, orgId, { contactId: prospect.id });
    expect(row).toMatchObject({
      status: 'recorded',
      mode: 'recorded',
      to: prospect.email,
      subject: 'Re: pricing',
      body: 'Growth is $99 per user per month.',
    });
  });

  it("keeps an email's attachments in the ledger and hands them to the sender; other channels drop them", async () => {
    const prospect = await contact();
    const attachments = [
      { filename: 'invite.ics', contentType: 'text/calendar; method=REQUEST', content: 'BEGIN:VCALENDAR' },
    ];
    const email = spySender('email', { mode: 'recorded' });
    const sms = spySender('sms', { mode: 'recorded' });
    const deps = { db, senders: { email: email.sender, sms: sms.sender }, now: () => noon };
    await sendOutbound(deps, draft(prospect.id, { channel: 'email', purpose: 'transactional', attachments }));
    await sendOutbound(deps, draft(prospect.id, { channel: 'sms', purpose: 'transactional', attachments }));
    expect(email.calls[0]!.attachments).toEqual(attachments);
    expect(sms.calls[0]!.attachments).toBeUndefined();
    const rows = await db.query<{ channel: string; attachments: unknown }>(
      'select channel, attachments from outbound_deliveries where contact_id = $1 order by channel',
      [prospect.id],
    );
    expect(rows).toEqual([
      { channel: 'email', attachments },
      { channel: 'sms', attachments: null },
    ]);
    await expect(
      sendOutbound(
        deps,
        draft(prospect.id, {
          channel: 'email',
          idempotencyKey: 'bad-attachment',
          attachments: [{ filename: '../etc/passwd', contentType: 'text/plain', content: 'x' }],
        }),
      ),
    ).rejects.toThrow(/plain file name/);
  });
});

describe('what the prospect receives', () => {
  it('opens every AI call with the disclosure, and a rep’s own call without it', async () => {
    const prospect = await contact(['marketing_calls', 'ai_voice_calls']);
    const voice = spySender('voice');
    const deps = { db, senders: { voice: voice.sender }, now: () => noon };
    await sendOutbound(
      deps,
      draft(prospect.id, { channel: 'voice', body: 'Hi Pat, calling about your trial.' }),
    );
    expect(voice.calls[0]!.body).toBe(
      'This call uses AI technology: you are speaking with an AI assistant calling for Acme.\n\n' +
        'Hi Pat, calling about your trial.',
    );
    await sendOutbound(
      deps,
      draft(prospect.id, {
        channel: 'voice',
        sender: 'rep',
        body: 'Hi Pat, Rita here.',
        idempotencyKey: 'rep-call',
      }),
    );
    expect(voice.calls[1]!.body).toBe('Hi Pat, Rita here.');
  });

  it("uses the organization's own disclosure text when it has one", async () => {
    const { orgId: brightOrg } = await createOrganization(
      db,
      { name: 'Bright', settings: { aiDisclosure: 'Heads up: this is an automated AI call from Bright.' } },
      systemActor,
    );
    const prospect = await contact(['marketing_calls', 'ai_voice_calls'], brightOrg);
    const voice = spySender('voice');
    await sendOutbound(
      { db, senders: { voice: voice.sender }, now: () => noon },
      { ...draft(prospect.id, { channel: 'voice', body: 'Hello!' }), orgId: brightOrg },
    );
    expect(voice.calls[0]!.body).toBe('Heads up: this is an automated AI call from Bright.\n\nHello!');
  });

  it('gives marketing email the one-click unsubscribe headers, a link and the postal address', async () => {
    await updateOrganizationSettings(
      db,
      orgId,
      { physicalAddress: '1 Market St, San Francisco, CA 94105' },
      systemActor,
    );
    const prospect = await contact(['email_marketing']);
    const email = spySender('email');
    const result = await sendOutbound(
      { db, senders: { email: email.sender }, now: () => noon, unsubscribe },
      draft(prospect.id, {
        channel: 'email',
        subject: 'Your trial',
        body: 'Hi Pat,\nyour trial ends Friday.',
      }),
    );
    expect(result.status).toBe('sent');
    const sent = email.calls[0]!;
    const link = /^<(https:\/\/sales\.acme\.example\/unsubscribe\/([\w.-]+))>$/.exec(
      sent.headers?.['List-Unsubscribe'] ?? '',
    );
    expect(link).not.toBeNull();
    expect(sent.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(readUnsubscribeToken(unsubscribe.secret, link![2]!)).toEqual({ orgId, contactId: prospect.id });
    expect(sent.body).toBe(
      `Hi Pat,\nyour trial ends Friday.\n\n--\nAcme, 1 Market St, San Francisco, CA 94105\nUnsubscribe: ${link![1]}`,
    );
  });

  it('never gives a live provider a marketing email without an unsubscribe link', async () => {
    const prospect = await contact(['email_marketing']);
    const email = spySender('email');
    const message = draft(prospect.id, { channel: 'email' });
    expect(
      await sendOutbound({ db, senders: { email: email.sender }, now: () => noon }, message),
    ).toMatchObject({
      status: 'refused',
      reasons: ['no_unsubscribe_link'],
    });
    expect(email.calls).toEqual([]);
    // Recorded mode keeps it, with a warning, so the demo works without a public URL.
    const recorded = await sendOutbound(
      { db, senders: { email: recordingSender('email') }, now: () => noon },
      { ...message, idempotencyKey: 'recorded-marketing' },
    );
    expect(recorded).toMatchObject({ status: 'recorded', warnings: ['no_unsubscribe_link'] });
  });

  it("sends a rep notification to the rep's address", async () => {
    const prospect = await contact();
    const email = spySender('email');
    const result = await sendOutbound(
      { db, senders: { email: email.sender }, now: () => noon },
      draft(prospect.id, {
        channel: 'email',
        purpose: 'rep_notification',
        sender: 'system',
        to: 'rita@acme.example',
        subject: 'Hot lead',
        body: 'Pat is ready for a demo.',
      }),
    );
    expect(result.status).toBe('sent');
    expect(email.calls[0]).toMatchObject({ to: 'rita@acme.example', body: 'Pat is ready for a demo.' });
    expect(email.calls[0]!.headers).toBeUndefined();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
