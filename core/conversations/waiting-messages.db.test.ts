import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import type { Database } from '../../server/db/database.ts';
import { createConversationHarness, newVisitorId } from '../../tests/support/conversation-harness.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import type { ConversationRow } from '../conversations.ts';
import { listMessages } from '../conversations.ts';
import type { Db } from '../db.ts';
import { createDemoOrganization } from '../demo-organization.ts';
import type { QualifierModel } from '../qualification/qualifier-model.ts';
import { acceptInbound, receiveInbound } from './conversation-service.ts';
import { insertOutbound } from './conversation-store.ts';
import { answerWaitingMessages } from './waiting-messages.ts';

let db: Database;
let orgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  orgId = (await createDemoOrganization(db, 'demo-password-1')).orgId;
});
afterAll(() => db.close());

/**
 * A conversation whose last prospect message was stored but never answered, as when the process
 * died between the acknowledgement and the answer.
 */
async function strandedConversation(
  harness: ReturnType<typeof createConversationHarness>,
  ageSeconds: number,
) {
  const first = await harness.chat(orgId, newVisitorId(), 'Hi, I run sales ops at a 200-person company.');
  const conversationId = first.conversation.id;
  await db.query(
    `insert into messages (org_id, conversation_id, contact_id, direction, channel, sender, body, status, created_at)
     values ($1, $2, $3, 'inbound', 'web', 'prospect', 'Are you still there?', 'received',
             now() - make_interval(secs => $4))`,
    [orgId, conversationId, first.contactId, ageSeconds],
  );
  return conversationId;
}

const lastMessage = async (conversationId: string) => (await listMessages(db, orgId, conversationId)).at(-1)!;

describe('messages left waiting by a crash', () => {
  it('are answered by the sweep, once', async () => {
    const harness = createConversationHarness({ db, model: createOfflineQualifier() });
    const conversationId = await strandedConversation(harness, 60);
    expect((await lastMessage(conversationId)).direction).toBe('inbound');

    const swept = await answerWaitingMessages(harness.deps);
    expect(swept.conversations).toBeGreaterThanOrEqual(1);
    const reply = await lastMessage(conversationId);
    expect(reply).toMatchObject({ direction: 'outbound', sender: 'agent' });

    // Nothing is waiting any more: a second sweep answers nothing twice.
    await answerWaitingMessages(harness.deps);
    expect((await lastMessage(conversationId)).id).toBe(reply.id);
    const pending = await db.query(
      `select 1 from messages where conversation_id = $1 and direction = 'inbound' and status = 'received'`,
      [conversationId],
    );
    expect(pending).toHaveLength(0);
  });

  it('include replies stored but never delivered: the sweep delivers each once, on its channel', async () => {
    const harness = createConversationHarness({ db, model: createOfflineQualifier() });
    const web = await harness.chat(orgId, newVisitorId(), 'Hi there');
    const sms = await receiveInbound(harness.deps, {
      orgId,
      channel: 'sms',
      from: { phone: '+14155550142' },
      body: 'Hi, texting about pricing',
      providerMessageId: 'SM-stranded-1',
    });
    // The turn committed its reply, then the process died before handing it to the channel.
    const stranded: string[] = [];
    for (const conversationId of [web.conversation.id, sms.conversation.id]) {
      const [conversation] = await db.query<ConversationRow>('select * from conversations where id = $1', [
        conversationId,
      ]);
      const row = await insertOutbound(db, conversation!, {
        sender: 'agent',
        purpose: 'conversation_reply',
        body: 'Thanks, here is what it costs.',
        idempotencyKey: `stranded-${conversationId}`,
      });
      await db.query(`update messages set created_at = now() - interval '1 minute' where id = $1`, [row.id]);
      stranded.push(row.id);
    }
    harness.feed.length = 0;

    const swept = await answerWaitingMessages(harness.deps);
    expect(swept.replies).toBeGreaterThanOrEqual(2);
    const statuses = await db.query<{ id: string; status: string }>(
      'select id, status from messages where id = any($1::uuid[]) order by channel',
      [stranded],
    );
    expect(statuses.map((row) => row.status).sort()).toEqual(['recorded', 'sent']);
    // The visitor's widget is pushed the web reply; the text went through the delivery ledger once.
    expect(harness.feed.some((event) => event.type === 'message' && event.message.id === stranded[0])).toBe(
      true,
    );
    const ledger = async () =>
      db.query('select 1 from outbound_deliveries where idempotency_key = any($1::text[])', [
        stranded.map((_, i) => `stranded-${[web.conversation.id, sms.conversation.id][i]}`),
      ]);
    expect(await ledger()).toHaveLength(2);
    await answerWaitingMessages(harness.deps);
    expect(await ledger()).toHaveLength(2);
  });

  it('leaves young messages and conversations another node is answering alone', async () => {
    const harness = createConversationHarness({ db, model: createOfflineQualifier() });
    const young = await strandedConversation(harness, 1);
    const leased = await strandedConversation(harness, 60);
    await db.query(
      `insert into conversation_turn_leases (conversation_id, org_id, holder, expires_at)
       values ($1, $2, 'another-node', now() + interval '2 minutes')
       on conflict (conversation_id) do update set holder = excluded.holder, expires_at = excluded.expires_at`,
      [leased, orgId],
    );
    await answerWaitingMessages(harness.deps);
    expect((await lastMessage(young)).direction).toBe('inbound');
    expect((await lastMessage(leased)).direction).toBe('inbound');
  });
});

/** The offline model, holding its first turn until the test lets it go. */
function heldFirstTurn() {
  const offline = createOfflineQualifier();
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = 0;
  const model: QualifierModel = {
    name: 'slow',
    async runTurn(request) {
      if (started++ === 0) await held;
      return offline.runTurn(request);
    },
  };
  return { model, turns: () => started, release };
}

describe('a server shutting down', () => {
  it('finishes the turn it is running, starts no other, and leaves the rest to the next sweep', async () => {
    const { model: slowModel, turns, release } = heldFirstTurn();
    const stopping = createConversationHarness({ db, model: slowModel });
    const visitorId = newVisitorId();
    const send = (body: string) =>
      acceptInbound(stopping.deps, { orgId, channel: 'web', from: { visitorId }, body });
    const first = await send('Hi, we need better forecasting.');
    await vi.waitFor(() => expect(turns()).toBe(1));
    await send('We have about $40k for it.'); // its turn is queued behind the running one

    const stopped = stopping.deps.scheduler.stop(10_000);
    release();
    await stopped;
    const messages = await listMessages(db, orgId, first.conversationId);
    expect(messages.map((m) => [m.direction, m.status])).toEqual([
      ['inbound', 'processed'],
      ['inbound', 'received'], // stored while the first answer was being written
      ['outbound', 'sent'],
    ]);
    expect(stopping.logs.filter((line) => line.level === 'error')).toEqual([]);

    // The next node's sweep answers what was left.
    await db.query(
      `update messages set created_at = now() - interval '1 minute' where conversation_id = $1`,
      [first.conversationId],
    );
    const next = createConversationHarness({ db, model: createOfflineQualifier() });
    await answerWaitingMessages(next.deps);
    const after = await listMessages(db, orgId, first.conversationId);
    expect(after.map((m) => [m.direction, m.status])).toEqual([
      ['inbound', 'processed'],
      ['inbound', 'processed'],
      ['outbound', 'sent'],
      ['outbound', 'sent'],
    ]);
  });

  it('stops a turn with many messages waiting after the answer it is writing', async () => {
    const { model: slowModel, turns, release } = heldFirstTurn();
    const opener = createConversationHarness({ db, model: createOfflineQualifier() });
    const conversationId = await strandedConversation(opener, 120);
    await db.query(
      `insert into messages (org_id, conversation_id, contact_id, direction, channel, sender, body, status, created_at)
       select org_id, conversation_id, contact_id, 'inbound', 'web', 'prospect', 'Hello?', 'received', created_at
       from messages where conversation_id = $1 and status = 'received'`,
      [conversationId],
    );
    const stopping = createConversationHarness({ db, model: slowModel });

    const sweep = answerWaitingMessages(stopping.deps); // one turn answers both, one after the other
    await vi.waitFor(() => expect(turns()).toBe(1));
    const stopped = stopping.deps.scheduler.stop(10_000);
    release();
    await Promise.all([stopped, sweep]);
    const inbound = (await listMessages(db, orgId, conversationId)).filter((m) => m.direction === 'inbound');
    expect(inbound.map((m) => m.status)).toEqual(['processed', 'processed', 'received']);
    expect(turns()).toBe(1);
  });

  it('logs a turn the closing database cuts off as information, not as an error', async () => {
    const { model: slowModel, turns, release } = heldFirstTurn();
    // The database as the server closes it under a turn that outlived the shutdown's wait.
    let closed = false;
    const closing: Db = {
      query: (sql, params, options) =>
        closed ? Promise.reject(new Error('the database is closed')) : db.query(sql, params, options),
      transaction: (work, options) =>
        closed ? Promise.reject(new Error('the database is closed')) : db.transaction(work, options),
    };
    const stopping = createConversationHarness({ db: closing, model: slowModel });
    await acceptInbound(stopping.deps, {
      orgId,
      channel: 'web',
      from: { visitorId: newVisitorId() },
      body: 'Hi, we need better forecasting.',
    });
    await vi.waitFor(() => expect(turns()).toBe(1));
    await stopping.deps.scheduler.stop(50); // gives up on the turn still running
    closed = true;
    release();
    await vi.waitFor(() =>
      expect(stopping.logs).toContainEqual(
        expect.objectContaining({ level: 'info', message: 'the database is closed' }),
      ),
    );
    expect(stopping.logs.filter((line) => line.level === 'error')).toEqual([]);
  });
});
