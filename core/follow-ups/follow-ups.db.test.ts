import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { recordConsent } from '../compliance/consent.ts';
import {
  createConversationServiceDeps,
  receiveInbound,
  startQualification,
  takeOverConversation,
} from '../conversations/conversation-service.ts';
import { listMessages } from '../conversations.ts';
import type { Db } from '../db.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { ProviderRejectedError, sendOutbound } from '../outbound.ts';
import type { Channel, ChannelSender, OutboundDraft } from '../outbound-message.ts';
import { createRep } from '../reps.ts';
import { executeDueFollowUps, followUpClaimLeaseMs } from './execute-due-follow-ups.ts';
import {
  cancelSequences,
  cancelSequencesAfterReply,
  listFollowUpSequences,
  reEngageAfterReply,
  scheduleSequence,
} from './follow-up-sequences.ts';
import { saveFollowUpSettings } from './follow-up-settings.ts';

const minute = 60_000;
const day = 86_400_000;
const t0 = new Date('2026-07-15T16:00:00Z'); // noon in New York
const at = (ms: number) => new Date(t0.getTime() + ms);

let db: Database;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

/** Each test has its own organizations, so one test's due touches are not another's. */
const newOrg = async (name = 'Acme') =>
  (
    await createOrganization(
      db,
      { name, settings: { physicalAddress: '1 Main St, Springfield' } },
      systemActor,
    )
  ).orgId;

type Sent = OutboundDraft & { to: string };

/**
 * The conversation service wired as the server wires it — the real compliance gate and delivery
 * ledger — with live senders that remember every provider call; `fail` makes a call fail.
 */
function harness(orgId: string | null, options: { db?: Db; fail?: (draft: Sent) => boolean } = {}) {
  const calls: Sent[] = [];
  const sender = (channel: Channel): ChannelSender => ({
    channel,
    mode: 'live',
    send: async (draft) => {
      calls.push(draft);
      if (options.fail?.(draft)) throw new ProviderRejectedError('422 the provider said no');
      return { providerMessageId: `pm-${randomUUID()}` };
    },
  });
  const senders = { email: sender('email'), sms: sender('sms'), whatsapp: sender('whatsapp') };
  const unsubscribe = {
    publicUrl: 'https://sales.acme.example',
    secret: randomBytes(32).toString('base64url'),
  };
  const clock = { now: t0 };
  const conversations = createConversationServiceDeps({
    db,
    qualifier: createOfflineQualifier(),
    deliver: (draft) => sendOutbound({ db, senders, unsubscribe, now: () => clock.now }, draft),
    now: () => clock.now,
  });
  const deps = { db: options.db ?? db, conversations };
  return {
    deps,
    clock,
    calls,
    /** Provider calls for follow-up touches (not the qualifier's opening or replies). */
    touches: () => calls.filter((c) => c.idempotencyKey.startsWith('followup:')),
    /** One run as of `now`, for the harness's organization (or all, for `null`). */
    execute: (now: Date, org: string | null = orgId) => {
      clock.now = now;
      return executeDueFollowUps(deps, { orgId: org ?? undefined, now });
    },
  };
}

async function newLead(
  orgId: string,
  options: { consent?: boolean; phoneOnly?: boolean } = {},
): Promise<{ id: string; email: string | null }> {
  const email = `pat-${randomUUID()}@prospect.example`;
  const { lead } = await upsertLead(
    db,
    orgId,
    options.phoneOnly
      ? { phone: `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`, firstName: 'Pat' }
      : { email, firstName: 'Pat', company: 'Initech' },
    systemActor,
  );
  if (options.consent !== false) {
    await recordConsent(
      db,
      orgId,
      {
        contactId: lead.id,
        type: options.phoneOnly ? 'sms_marketing' : 'email_marketing',
        method: 'web_form',
        evidence: { wording: 'Keep me posted.' },
      },
      systemActor,
      at(-day),
    );
  }
  return { id: lead.id, email: lead.email };
}

const touchesOf = async (orgId: string, contactId: string) =>
  (await listFollowUpSequences(db, orgId, { contactId }))[0]!;

const followUpEvents = async (contactId: string) =>
  db.query<{ data: { followUpMessageId: string; channel: string } }>(
    `select data from events where name = 'followup.sent' and data ->> 'contactId' = $1 order by seq`,
    [contactId],
  );

describe('scheduleSequence', () => {
  it('writes every touch rendered, on its channel, at its time; a second call schedules nothing', async () => {
    const acme = await newOrg();
    const lead = await newLead(acme);
    const first = await scheduleSequence(db, acme, lead.id, 'nurture', { now: t0 });
    expect(first.scheduled).toBe(true);
    expect(first.sequence).toMatchObject({ name: 'nurture', status: 'active', contactId: lead.id });
    expect(first.sequence!.messages.map((m) => [m.step, m.channel, m.dueAt, m.status])).toEqual([
      [0, 'email', at(2 * day).toISOString(), 'scheduled'],
      [1, 'email', at(7 * day).toISOString(), 'scheduled'],
      [2, 'email', at(14 * day).toISOString(), 'scheduled'],
    ]);
    expect(first.sequence!.messages[0]!.body).toMatch(/^Hi Pat, .*Whenever the timing suits Initech/);
    expect(first.sequence!.messages[0]!.subject).toBe('Following up from Acme');

    const again = await scheduleSequence(db, acme, lead.id, 'nurture', { now: at(day) });
    expect(again).toMatchObject({ scheduled: false, sequence: { id: first.sequence!.id } });
    const both = await Promise.all([
      scheduleSequence(db, acme, lead.id, 're-engage', { now: t0 }),
      scheduleSequence(db, acme, lead.id, 're-engage', { now: t0 }),
    ]);
    expect(both.map((r) => r.scheduled).sort()).toEqual([false, true]);
    expect((await listFollowUpSequences(db, acme, { contactId: lead.id })).map((s) => s.name).sort()).toEqual(
      ['nurture', 're-engage'],
    );
  });

  it('texts a lead with only a phone, refuses unknown names, and says when a lead cannot be reached', async () => {
    const acme = await newOrg();
    const globex = await newOrg('Globex');
    const texter = await newLead(acme, { phoneOnly: true });
    const sms = await scheduleSequence(db, acme, texter.id, 're-engage', { now: t0 });
    expect(sms.sequence!.messages.map((m) => [m.channel, m.subject])).toEqual([
      ['sms', null],
      ['sms', null],
    ]);
    await expect(scheduleSequence(db, acme, texter.id, 'winback', { now: t0 })).rejects.toThrow(
      /unknown follow-up sequence "winback"; the organization has nurture, re-engage/,
    );
    await expect(scheduleSequence(db, globex, texter.id, 'nurture')).rejects.toThrow(/lead not found/);

    const org = (await createOrganization(db, { name: 'Emailers' }, systemActor)).orgId;
    await saveFollowUpSettings(
      db,
      org,
      {
        sequences: {
          'email-only': { steps: [{ delay: '1d', channels: ['email'], body: 'Hi {{firstName}}' }] },
          nurture: { enabled: false },
        },
      },
      systemActor,
    );
    const phoneOnly = await newLead(org, { phoneOnly: true, consent: false });
    expect(await scheduleSequence(db, org, phoneOnly.id, 'email-only')).toEqual({
      scheduled: false,
      reason: 'no way to reach the lead for step 1 (channels: email)',
    });
    expect(await scheduleSequence(db, org, phoneOnly.id, 'nurture')).toEqual({
      scheduled: false,
      reason: 'the organization turned "nurture" off',
    });
    expect(await listFollowUpSequences(db, org, { contactId: phoneOnly.id })).toEqual([]);
  });
});

describe('reEngageAfterReply', () => {
  /** A prospect message stored in the lead's open email thread, as the conversation service stores it. */
  async function prospectWrites(orgId: string, contactId: string, conversationId: string, body: string) {
    const rows = await db.query<{ id: string }>(
      `insert into messages (org_id, conversation_id, contact_id, direction, channel, sender, body, status)
       values ($1, $2, $3, 'inbound', 'email', 'prospect', $4, 'received') returning id`,
      [orgId, conversationId, contactId, body],
    );
    return rows[0]!.id;
  }

  it('starts re-engage only while the agent is still qualifying the lead, and never on a request to stop', async () => {
    const acme = await newOrg();
    const h = harness(acme);
    const lead = await newLead(acme);
    const opened = await startQualification(h.deps.conversations, acme, lead.id);
    const conversationId = opened.conversationId!;
    const reEngage = async (body: string) =>
      reEngageAfterReply(db, acme, lead.id, await prospectWrites(acme, lead.id, conversationId, body));

    // Before the turn that would close the conversation has run, a request to stop starts nothing.
    expect(await reEngage('Please remove me from your list.')).toMatchObject({
      scheduled: false,
      reason: 'the message may ask to stop',
    });
    const started = await reEngage('Send me the pricing, I will look next week.');
    expect(started).toMatchObject({ scheduled: true, sequence: { name: 're-engage', status: 'active' } });
    await cancelSequences(db, acme, lead.id, 'prospect_replied');

    await db.query(
      `update contacts set qualification = '{"outcome":"NURTURE"}', status = 'nurture' where id = $1`,
      [lead.id],
    );
    expect(await reEngage('Maybe next quarter.')).toMatchObject({
      scheduled: false,
      reason: 'the lead is past qualification',
    });
    await db.query(`update contacts set qualification = '{}', status = 'qualifying' where id = $1`, [
      lead.id,
    ]);
    await db.query(`update conversations set mode = 'human' where id = $1`, [conversationId]);
    expect(await reEngage('Thanks, Dana.')).toMatchObject({
      scheduled: false,
      reason: 'the agent is not holding this conversation',
    });
  });
});

describe('executeDueFollowUps', () => {
  it('sends each touch once, in order, at its time, through the gate into the open thread', async () => {
    const acme = await newOrg();
    const h = harness(acme);
    const lead = await newLead(acme);
    const opened = await startQualification(h.deps.conversations, acme, lead.id);
    expect(opened).toMatchObject({ started: true, channel: 'email', delivery: 'sent' });
    const { sequence } = await scheduleSequence(db, acme, lead.id, 'nurture', { now: t0 });
    const [first, second, third] = sequence!.messages;

    expect(await h.execute(at(2 * day - minute))).toEqual({ sent: 0, failed: 0, skipped: 0 });
    expect(await h.execute(at(2 * day))).toEqual({ sent: 1, failed: 0, skipped: 0 });
    expect(await h.execute(at(2 * day + minute))).toEqual({ sent: 0, failed: 0, skipped: 0 });
    expect(h.touches()).toHaveLength(1);
    expect(h.touches()[0]).toMatchObject({
      purpose: 'marketing',
      to: lead.email,
      idempotencyKey: `followup:${first!.id}`,
      conversationId: opened.conversationId,
    });
    expect(h.touches()[0]!.body).toContain(first!.body);
    expect(h.touches()[0]!.body).toContain('Unsubscribe: https://sales.acme.example/');

    const thread = await listMessages(db, acme, opened.conversationId!);
    const posted = thread.find((m) => m.metadata.idempotencyKey === `followup:${first!.id}`)!;
    expect(posted).toMatchObject({
      direction: 'outbound',
      sender: 'agent',
      status: 'sent',
      body: first!.body,
    });
    let state = await touchesOf(acme, lead.id);
    expect(state.messages[0]).toMatchObject({ status: 'sent', attempts: 1, messageId: posted.id });
    expect(state.messages[0]!.sentAt).toBe(at(2 * day).toISOString());

    expect(await h.execute(at(7 * day))).toEqual({ sent: 1, failed: 0, skipped: 0 });
    expect(await h.execute(at(14 * day))).toEqual({ sent: 1, failed: 0, skipped: 0 });
    expect(h.touches().map((c) => c.idempotencyKey)).toEqual(
      [first, second, third].map((m) => `followup:${m!.id}`),
    );
    state = await touchesOf(acme, lead.id);
    expect(state).toMatchObject({ status: 'completed', endedReason: 'completed' });
    expect((await followUpEvents(lead.id)).map((e) => e.data)).toEqual(
      [first, second, third].map((m) => ({
        orgId: acme,
        contactId: lead.id,
        followUpMessageId: m!.id,
        channel: 'email',
      })),
    );
  });

  it('keeps the spacing: a runner that was down sends one touch and moves the rest back', async () => {
    const acme = await newOrg();
    const h = harness(acme);
    const lead = await newLead(acme);
    const { sequence } = await scheduleSequence(db, acme, lead.id, 're-engage', { now: t0 });
    // Both touches are overdue: only the first goes; the second moves back by the delay.
    expect(await h.execute(at(10 * day))).toEqual({ sent: 1, failed: 0, skipped: 0 });
    const state = await touchesOf(acme, lead.id);
    expect(state.messages.map((m) => [m.status, m.dueAt])).toEqual([
      ['sent', sequence!.messages[0]!.dueAt],
      ['scheduled', at(14 * day).toISOString()],
    ]);
    // Without a thread it starts one, opening with the AI disclosure and the step's subject.
    expect(h.touches()[0]).toMatchObject({ subject: 'Did my message reach you?' });
    expect(h.touches()[0]!.conversationId).toBeUndefined();
    expect(h.touches()[0]!.body).toMatch(
      /^You're chatting with Acme's AI assistant\.[\s\S]*Hi Pat, just making sure/,
    );
  });

  it('skips a touch the gate refuses without marketing consent, with its reason, and goes on', async () => {
    const acme = await newOrg();
    const h = harness(acme);
    const lead = await newLead(acme, { consent: false });
    await scheduleSequence(db, acme, lead.id, 're-engage', { now: t0 });
    expect(await h.execute(at(2 * day))).toEqual({ sent: 0, failed: 0, skipped: 1 });
    expect(await h.execute(at(6 * day))).toEqual({ sent: 0, failed: 0, skipped: 1 });
    expect(h.touches()).toEqual([]);
    const state = await touchesOf(acme, lead.id);
    expect(state.messages.map((m) => [m.status, m.reasons])).toEqual([
      ['skipped', ['no_consent']],
      ['skipped', ['no_consent']],
    ]);
    expect(state.status).toBe('completed');
    expect(await followUpEvents(lead.id)).toEqual([]);
  });

  it('holds a text back during the recipient’s quiet hours and sends it when they end', async () => {
    const acme = await newOrg();
    const h = harness(acme);
    const lead = await newLead(acme, { phoneOnly: true });
    // Started at 01:00 in San Francisco, so the first touch falls due at night there.
    const { sequence } = await scheduleSequence(db, acme, lead.id, 're-engage', { now: at(-8 * 3_600_000) });
    const night = at(2 * day - 8 * 3_600_000);
    expect(await h.execute(night)).toEqual({ sent: 0, failed: 0, skipped: 1 });
    expect(h.touches()).toEqual([]);
    expect((await touchesOf(acme, lead.id)).messages[0]).toMatchObject({
      status: 'scheduled',
      attempts: 0,
      reasons: ['quiet_hours'],
      dueAt: new Date(night.getTime() + 30 * minute).toISOString(),
    });
    expect(await h.execute(at(2 * day))).toEqual({ sent: 1, failed: 0, skipped: 0 });
    expect(h.touches()).toMatchObject([
      { channel: 'sms', idempotencyKey: `followup:${sequence!.messages[0]!.id}` },
    ]);
    expect((await touchesOf(acme, lead.id)).messages[0]).toMatchObject({
      status: 'sent',
      attempts: 1,
      reasons: [],
    });
  });

  it('stops when the prospect replies: the due touch is skipped and the rest cancelled', async () => {
    const acme = await newOrg();
    const h = harness(acme);
    const lead = await newLead(acme);
    const opened = await startQualification(h.deps.conversations, acme, lead.id);
    await scheduleSequence(db, acme, lead.id, 'nurture', { now: t0 });
    const [thread] = await db.query<{ reply_token: string }>(
      'select reply_token from conversations where id = $1',
      [opened.conversationId],
    );
    await receiveInbound(h.deps.conversations, {
      orgId: acme,
      channel: 'email',
      from: { email: lead.email! },
      body: 'Sorry for the silence, our forecasts are a mess.',
      replyToken: thread!.reply_token,
    });
    expect(await h.execute(at(2 * day))).toEqual({ sent: 0, failed: 0, skipped: 1 });
    expect(h.touches()).toEqual([]);
    const state = await touchesOf(acme, lead.id);
    expect(state).toMatchObject({ status: 'cancelled', endedReason: 'prospect_replied' });
    expect(state.messages.map((m) => [m.status, m.reasons])).toEqual([
      ['skipped', ['prospect_replied']],
      ['cancelled', ['prospect_replied']],
      ['cancelled', ['prospect_replied']],
    ]);
  });

  it('a reply cancels only the sequences it answers; a revoked consent cancels them all', async () => {
    const acme = await newOrg();
    const h = harness(acme);
    const lead = await newLead(acme);
    const reply = await receiveInbound(h.deps.conversations, {
      orgId: acme,
      channel: 'email',
      from: { email: lead.email! },
      body: 'Tell me more.',
    });
    // Started after the reply (the NURTURE decision it led to): the reply does not stop it.
    await scheduleSequence(db, acme, lead.id, 'nurture', { now: t0 });
    expect(await cancelSequencesAfterReply(db, acme, lead.id, reply.message.id)).toEqual({ cancelled: 0 });
    await scheduleSequence(db, acme, lead.id, 're-engage', { now: t0 });

    expect(await cancelSequences(db, acme, lead.id, 'consent_revoked')).toEqual({ cancelled: 2 });
    const sequences = await listFollowUpSequences(db, acme, { contactId: lead.id });
    expect(sequences.map((s) => [s.status, s.endedReason])).toEqual([
      ['cancelled', 'consent_revoked'],
      ['cancelled', 'consent_revoked'],
    ]);
    expect(sequences.flatMap((s) => s.messages).every((m) => m.status === 'cancelled')).toBe(true);
    expect(await h.execute(at(30 * day))).toEqual({ sent: 0, failed: 0, skipped: 0 });
    expect(h.touches()).toEqual([]);
  });

  it('recovers a touch a crash left `sending` without sending it twice', async () => {
    // The process "dies" right after the provider took the touch, before the outcome is written.
    let crash = true;
    const crashing = (inner: Db): Db => ({
      query: (sql, params) => {
        if (crash && sql.includes("where id = $1 and status = 'sending'")) {
          crash = false;
          return Promise.reject(new Error('connection lost'));
        }
        return inner.query(sql, params);
      },
      transaction: (work) => inner.transaction((tx) => work(crashing(tx))),
    });
    const acme = await newOrg();
    const h = harness(acme, { db: crashing(db) });
    const lead = await newLead(acme);
    const opened = await startQualification(h.deps.conversations, acme, lead.id);
    const { sequence } = await scheduleSequence(db, acme, lead.id, 're-engage', { now: t0 });
    const touch = sequence!.messages[0]!;

    expect(await h.execute(at(2 * day))).toEqual({ sent: 0, failed: 1, skipped: 0 });
    expect(h.touches()).toHaveLength(1);
    expect((await touchesOf(acme, lead.id)).messages[0]).toMatchObject({ status: 'sending', attempts: 1 });
    // Within the claim's lease another runner leaves it alone (it may still be in flight).
    expect(await h.execute(at(2 * day + minute))).toEqual({ sent: 0, failed: 0, skipped: 0 });

    const recovered = await h.execute(new Date(at(2 * day).getTime() + followUpClaimLeaseMs));
    expect(recovered).toEqual({ sent: 1, failed: 0, skipped: 0 });
    expect(h.touches()).toHaveLength(1);
    expect((await touchesOf(acme, lead.id)).messages[0]).toMatchObject({ status: 'sent', attempts: 1 });
    const thread = await listMessages(db, acme, opened.conversationId!);
    expect(thread.filter((m) => m.metadata.idempotencyKey === `followup:${touch.id}`)).toHaveLength(1);
    expect(await followUpEvents(lead.id)).toHaveLength(1);
  });

  it('retries a touch the provider refused with backoff, and gives up after three attempts', async () => {
    let failures = 1;
    const acme = await newOrg();
    const h = harness(acme, { fail: () => failures-- > 0 });
    const lead = await newLead(acme);
    const { sequence } = await scheduleSequence(db, acme, lead.id, 're-engage', { now: t0 });
    const touch = sequence!.messages[0]!;
    expect(await h.execute(at(2 * day))).toEqual({ sent: 0, failed: 1, skipped: 0 });
    expect((await touchesOf(acme, lead.id)).messages[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      reasons: ['provider_error'],
      retryAt: at(2 * day + 10 * minute).toISOString(),
    });
    // The next step waits for it.
    expect(await h.execute(at(2 * day + 9 * minute))).toEqual({ sent: 0, failed: 0, skipped: 0 });
    expect(await h.execute(at(2 * day + 10 * minute))).toEqual({ sent: 1, failed: 0, skipped: 0 });
    expect(h.touches().map((c) => c.idempotencyKey)).toEqual([
      `followup:${touch.id}`,
      `followup:${touch.id}:attempt-2`,
    ]);

    failures = 100;
    const doomed = await newLead(acme);
    await scheduleSequence(db, acme, doomed.id, 're-engage', { now: t0 });
    for (const ms of [2 * day, 2 * day + 10 * minute, 2 * day + 70 * minute]) {
      expect(await h.execute(at(ms))).toEqual({ sent: 0, failed: 1, skipped: 0 });
    }
    const state = await touchesOf(acme, doomed.id);
    expect(state.messages[0]).toMatchObject({ status: 'failed', attempts: 3, retryAt: null });
    expect(state.messages[1]!.status).toBe('scheduled');
  });

  it('skips a touch while a rep holds the thread', async () => {
    const acme = await newOrg();
    const h = harness(acme);
    const lead = await newLead(acme);
    const opened = await startQualification(h.deps.conversations, acme, lead.id);
    const { repId } = await createRep(
      db,
      { orgId: acme, email: `rep-${randomUUID()}@acme.example`, password: 'correct horse battery' },
      systemActor,
    );
    await takeOverConversation(h.deps.conversations, {
      orgId: acme,
      conversationId: opened.conversationId!,
      repId,
      actor: { type: 'rep', id: repId },
    });
    await scheduleSequence(db, acme, lead.id, 're-engage', { now: t0 });
    expect(await h.execute(at(2 * day))).toEqual({ sent: 0, failed: 0, skipped: 1 });
    expect((await touchesOf(acme, lead.id)).messages[0]).toMatchObject({
      status: 'skipped',
      reasons: ['rep_owns_conversation'],
    });
  });

  it("runs one organization's touches only, and two runners never send one touch twice", async () => {
    const acme = await newOrg();
    const globex = await newOrg('Globex');
    const h = harness(acme);
    const ours = await newLead(acme);
    const theirs = await newLead(globex);
    await scheduleSequence(db, acme, ours.id, 're-engage', { now: t0 });
    await scheduleSequence(db, globex, theirs.id, 're-engage', { now: t0 });
    expect(await h.execute(at(2 * day))).toEqual({ sent: 1, failed: 0, skipped: 0 });
    expect(h.touches().map((c) => c.orgId)).toEqual([acme]);
    expect((await touchesOf(globex, theirs.id)).messages[0]!.status).toBe('scheduled');

    const more = await Promise.all([newLead(globex), newLead(globex), newLead(globex)]);
    for (const lead of more) await scheduleSequence(db, globex, lead.id, 're-engage', { now: t0 });
    // Two runners for every organization at once (earlier tests' organizations have due touches too).
    const runs = await Promise.all([h.execute(at(2 * day), null), h.execute(at(2 * day), null)]);
    const keys = h.touches().map((c) => c.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(h.touches().filter((c) => c.orgId === globex)).toHaveLength(4);
    expect(runs[0]!.sent + runs[1]!.sent).toBe(keys.length - 1);
  });
});
