import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import type { Database } from '../../server/db/database.ts';
import { createConversationHarness, newVisitorId } from '../../tests/support/conversation-harness.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { listAudit } from '../audit.ts';
import { aiDisclosure } from '../compliance/ai-disclosure.ts';
import { recordConsent } from '../compliance/consent.ts';
import { listConversations, listMessages } from '../conversations.ts';
import { createDemoOrganization } from '../demo-organization.ts';
import { DomainError } from '../errors.ts';
import { getLead, upsertLead } from '../leads.ts';
import { createOrganization, getOrganization } from '../organizations.ts';
import type { QualifierModel, QualifierTurnRequest } from '../qualification/qualifier-model.ts';
import {
  closeConversation,
  receiveInbound,
  sendRepMessage,
  startQualification,
  takeOverConversation,
} from './conversation-service.ts';

let db: Database;
let orgId: string;
let repId: string;
let disclosure: string;

beforeAll(async () => {
  db = await createTestDatabase();
  orgId = (await createDemoOrganization(db, 'demo-password-1')).orgId;
  repId = (await db.query<{ id: string }>('select id from users where org_id = $1', [orgId]))[0]!.id;
  disclosure = aiDisclosure(await getOrganization(db, orgId), 'web');
});
afterAll(() => db.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A model that answers "re: <message>" after a delay that is longest for the first messages, so
 * turns run side by side would finish out of order; it records how many turns of one
 * conversation ever ran at once.
 */
function echoModel(delays: (text: string) => number = () => 5) {
  const running = new Map<string, number>();
  const stats = { maxConcurrentPerConversation: 0, calls: 0 };
  const model: QualifierModel = {
    name: 'echo',
    async runTurn(request: QualifierTurnRequest) {
      const key = request.context.seed;
      running.set(key, (running.get(key) ?? 0) + 1);
      stats.maxConcurrentPerConversation = Math.max(stats.maxConcurrentPerConversation, running.get(key)!);
      stats.calls++;
      const text = request.history.at(-1)!.text;
      try {
        await sleep(delays(text));
        request.onText?.('re: ');
        request.onText?.(text);
        return {
          text: `re: ${text}`,
          model: 'echo',
          usage: { inputTokens: 10, outputTokens: 5 },
          costMicroUsd: 0,
        };
      } finally {
        running.set(key, running.get(key)! - 1);
      }
    },
  };
  return { model, stats };
}

describe('receiving messages', () => {
  it('creates an anonymous contact and conversation for a new visitor, once', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const visitor = newVisitorId();
    const [a, b] = await Promise.all([
      h.chat(orgId, visitor, 'Hello'),
      h.chat(orgId, visitor, 'Anyone there?'),
    ]);
    expect(a.conversation.id).toBe(b.conversation.id);
    expect(a.contactId).toBe(b.contactId);
    const lead = await getLead(db, orgId, a.contactId);
    expect(lead).toMatchObject({ email: null, phone: null, source: 'web_inbound', status: 'qualifying' });
    expect((await h.events(orgId, 'lead.created')).filter((e) => e.contactId === a.contactId)).toHaveLength(
      1,
    );
    const received = (await h.events(orgId, 'conversation.message.received')).filter(
      (e) => e.conversationId === a.conversation.id,
    );
    expect(received.map((e) => e.messageId).sort()).toEqual([a.message.id, b.message.id].sort());
    expect(
      (await h.events(orgId, 'lead.qualification.started')).filter((e) => e.contactId === a.contactId),
    ).toEqual([expect.objectContaining({ conversationId: a.conversation.id, channel: 'web' })]);
  });

  it('stores a message once per client id or provider id; a duplicate does nothing else', async () => {
    const { model, stats } = echoModel();
    const h = createConversationHarness({ db, model });
    const visitor = newVisitorId();
    const input = {
      orgId,
      channel: 'web' as const,
      from: { visitorId: visitor },
      body: 'hi',
      clientId: 'c-1',
    };
    const first = await receiveInbound(h.deps, input);
    const again = await receiveInbound(h.deps, input);
    expect(again.duplicate).toBe(true);
    expect(again.message.id).toBe(first.message.id);
    expect(again.reply?.id).toBe(first.reply?.id);
    expect(stats.calls).toBe(1);
    const messages = await listMessages(db, orgId, first.conversation.id);
    expect(messages.filter((m) => m.direction === 'inbound')).toHaveLength(1);
    expect(
      (await h.events(orgId, 'conversation.message.received')).filter(
        (e) => e.conversationId === first.conversation.id,
      ),
    ).toHaveLength(1);

    const sms = {
      orgId,
      channel: 'sms' as const,
      from: { phone: '+14155550142' },
      body: 'hello',
      providerMessageId: 'SM123',
    };
    const [x, y] = await Promise.all([receiveInbound(h.deps, sms), receiveInbound(h.deps, sms)]);
    expect(x.message.id).toBe(y.message.id);
    expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
    expect(stats.calls).toBe(2);
  });

  it('answers the turns of one conversation in order, one at a time, however they arrive', async () => {
    // The first messages take longest: run concurrently, their replies would come last.
    const { model, stats } = echoModel((text) => 60 - Number(text.split(' ')[1]) * 10);
    const h = createConversationHarness({ db, model });
    const visitor = newVisitorId();
    const opened = await h.chat(orgId, visitor, 'message 0');
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => h.chat(orgId, visitor, `message ${i}`)));
    expect(stats.maxConcurrentPerConversation).toBe(1);
    for (const result of results) expect(result.reply!.body).toBe(`re: ${result.message.body}`);
    const messages = await listMessages(db, orgId, opened.conversation.id);
    const inbound = messages.filter((m) => m.direction === 'inbound').map((m) => m.body);
    const replies = messages
      .filter((m) => m.direction === 'outbound')
      .map((m) => m.body.replace(/^[\s\S]*\n\n/, ''));
    // Each reply follows its message's order of arrival, whatever each took.
    expect(replies).toEqual(inbound.map((body) => `re: ${body}`));
    // Each reply answers the message it says it answers.
    for (const reply of messages.filter((m) => m.direction === 'outbound').slice(1)) {
      const answered = messages.find((m) => m.id === reply.metadata.inReplyTo)!;
      expect(reply.body).toBe(`re: ${answered.body}`);
    }
  });

  it('keeps turns in order across two server nodes sharing the database', async () => {
    const { model, stats } = echoModel((text) => 40 - Number(text.split(' ')[1]) * 5);
    const nodeA = createConversationHarness({ db, model, nodeId: 'node-a' });
    const nodeB = createConversationHarness({ db, model, nodeId: 'node-b' });
    const visitor = newVisitorId();
    const opened = await nodeA.chat(orgId, visitor, 'message 0');
    await Promise.all(
      [1, 2, 3, 4, 5, 6].map((i) => (i % 2 ? nodeA : nodeB).chat(orgId, visitor, `message ${i}`)),
    );
    expect(stats.maxConcurrentPerConversation).toBe(1);
    const messages = await listMessages(db, orgId, opened.conversation.id);
    const inbound = messages.filter((m) => m.direction === 'inbound').map((m) => m.body);
    const replies = messages
      .filter((m) => m.direction === 'outbound')
      .map((m) => m.body.replace(/^[\s\S]*\n\n/, ''));
    expect(replies).toEqual(inbound.map((body) => `re: ${body}`));
    expect(
      await db.query('select * from conversation_turn_leases where conversation_id = $1', [
        opened.conversation.id,
      ]),
    ).toEqual([]);
  });

  it('never shows one prospect another prospect’s data when they chat at once', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const ann = newVisitorId();
    const bob = newVisitorId();
    const script = {
      [ann]: [
        'Hi',
        'Our forecasts are always wrong.',
        'We use Gong today.',
        'We have around $50k a year for this.',
      ],
      [bob]: [
        'Hello',
        'We cannot see which deals will slip.',
        'We use Clari today.',
        'We have around $20k a year for this.',
      ],
    };
    const results = await Promise.all(
      [ann, bob].map(async (visitor) => {
        const out = [];
        for (const line of script[visitor]!) out.push(await h.chat(orgId, visitor, line));
        return out;
      }),
    );
    const [annTurns, bobTurns] = results as [(typeof results)[0], (typeof results)[0]];
    expect(annTurns[0]!.contactId).not.toBe(bobTurns[0]!.contactId);
    const annText = annTurns.map((t) => t.reply!.body).join('\n');
    const bobText = bobTurns.map((t) => t.reply!.body).join('\n');
    expect(annText).toContain('$50,000');
    expect(annText).not.toMatch(/\$20,000|Clari/);
    expect(bobText).toContain('$20,000');
    expect(bobText).not.toMatch(/\$50,000|Gong/);
    for (const [turns, other] of [
      [annTurns, script[bob]!],
      [bobTurns, script[ann]!],
    ] as const) {
      const messages = await listMessages(db, orgId, turns[0]!.conversation.id);
      for (const line of other.slice(1)) expect(messages.map((m) => m.body)).not.toContain(line);
    }
    expect((await getLead(db, orgId, annTurns[0]!.contactId)).qualification.bant).toMatchObject({
      budget: { amountCents: 5_000_000 },
      competition: { current: ['Gong'] },
    });
    expect((await getLead(db, orgId, bobTurns[0]!.contactId)).qualification.bant).toMatchObject({
      budget: { amountCents: 2_000_000 },
      competition: { current: ['Clari'] },
    });
    // Live events name their conversation: a gateway routes each to its own visitor only.
    const annConversation = annTurns[0]!.conversation.id;
    const annEvents = h.feed.filter((event) => event.conversationId === annConversation);
    expect(JSON.stringify(annEvents)).not.toMatch(/\$20,000|Clari/);
  });

  it('refuses a message over the length limit with a clear 400-kind error, storing nothing', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const visitor = newVisitorId();
    const error = await h.chat(orgId, visitor, 'x'.repeat(4_001)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/too long: 4,001 characters, the limit is 4,000/),
    });
    expect(await db.query('select 1 from conversations where visitor_id = $1', [visitor])).toEqual([]);
  });

  it('limits messages per visitor and per conversation (429-kind), storing nothing over the limit', async () => {
    const { model } = echoModel(() => 0);
    const h = createConversationHarness({ db, model, limits: { messagesPerMinute: 3 } });
    const visitor = newVisitorId();
    for (let i = 0; i < 3; i++) await h.chat(orgId, visitor, `message ${i}`);
    const error = await h.chat(orgId, visitor, 'one too many').catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'rate_limited',
      message: expect.stringMatching(/at most 3 a minute/),
    });
    // The database count holds across nodes, too.
    const other = createConversationHarness({ db, model, limits: { messagesPerMinute: 3 } });
    await expect(other.chat(orgId, visitor, 'from another node')).rejects.toMatchObject({
      kind: 'rate_limited',
    });
    const [conversation] = await db.query<{ id: string }>(
      'select id from conversations where visitor_id = $1',
      [visitor],
    );
    const messages = await listMessages(db, orgId, conversation!.id);
    expect(messages.filter((m) => m.direction === 'inbound')).toHaveLength(3);
  });

  it('streams the reply through the feed before storing it', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const result = await h.chat(orgId, newVisitorId(), 'Hello');
    const conversationId = result.conversation.id;
    const events = h.feed.filter((event) => event.conversationId === conversationId);
    const streamed = events
      .filter((event) => event.type === 'reply.delta')
      .map((event) => (event.type === 'reply.delta' ? event.delta : ''))
      .join('');
    expect(streamed).toBe(result.reply!.body);
    const types = events.map((event) =>
      event.type === 'message' ? `message:${event.message.direction}` : event.type,
    );
    expect(types[0]).toBe('message:inbound');
    expect(types.indexOf('typing')).toBeLessThan(types.indexOf('reply.delta'));
    expect(types.at(-1)).toBe('message:outbound');
    expect(result.reply!.status).toBe('sent');
  });

  it('records token usage and cost of each agent turn', async () => {
    const model: QualifierModel = {
      name: 'priced',
      runTurn: async () => ({
        text: 'Hello!',
        model: 'priced',
        usage: { inputTokens: 1200, outputTokens: 80 },
        costMicroUsd: 4800,
      }),
    };
    const h = createConversationHarness({ db, model });
    const result = await h.chat(orgId, newVisitorId(), 'Hi');
    const turns = await db.query(
      'select model, input_tokens, output_tokens, cost_micro_usd from agent_turns where conversation_id = $1',
      [result.conversation.id],
    );
    expect(turns).toEqual([{ model: 'priced', input_tokens: 1200, output_tokens: 80, cost_micro_usd: 4800 }]);
  });

  it('answers with an apology and asks for a person when the model fails', async () => {
    const model: QualifierModel = {
      name: 'broken',
      runTurn: async () => {
        throw new Error('model down');
      },
    };
    const h = createConversationHarness({ db, model });
    const result = await h.chat(orgId, newVisitorId(), 'Hi');
    expect(result.reply!.body).toMatch(/having trouble/);
    expect(
      (await h.events(orgId, 'conversation.handoff.requested')).filter(
        (e) => e.conversationId === result.conversation.id,
      ),
    ).toEqual([expect.objectContaining({ reason: 'the agent could not answer' })]);
    expect(h.logs.some((line) => line.level === 'error' && line.message === 'qualifier model failed')).toBe(
      true,
    );
  });

  it('ignores tool calls with invalid arguments, logs them, and still answers', async () => {
    const model: QualifierModel = {
      name: 'sloppy',
      async runTurn(request) {
        const bad = await request.callTool('update_qualification', { budget: { amountUsd: 'lots' } });
        const unknown = await request.callTool('delete_contact', { id: 'someone-else' });
        expect([bad.isError, unknown.isError]).toEqual([true, true]);
        return {
          text: 'Tell me more?',
          model: 'sloppy',
          usage: { inputTokens: 1, outputTokens: 1 },
          costMicroUsd: 0,
        };
      },
    };
    const h = createConversationHarness({ db, model });
    const result = await h.chat(orgId, newVisitorId(), 'We have lots of money');
    expect(result.reply!.body).toMatch(/Tell me more\?$/);
    expect(result.reply!.metadata.invalidToolCalls).toBe(2);
    expect(result.bant).toEqual({});
    expect(
      h.logs.filter((line) => line.message === 'invalid tool call ignored').map((l) => l.details.tool),
    ).toEqual(['update_qualification', 'delete_contact']);
  });
});

describe('modes', () => {
  it('lets a rep take over and write, silences the agent, and audits each change', async () => {
    const { model, stats } = echoModel(() => 0);
    const h = createConversationHarness({ db, model });
    const visitor = newVisitorId();
    const opened = await h.chat(orgId, visitor, 'Hi');
    const conversationId = opened.conversation.id;
    const actor = { type: 'rep' as const, id: repId };
    await expect(
      sendRepMessage(h.deps, { orgId, conversationId, repId, body: 'Hello!' }),
    ).rejects.toMatchObject({
      kind: 'conflict',
    });
    const taken = await takeOverConversation(h.deps, { orgId, conversationId, repId, actor });
    expect(taken).toMatchObject({ mode: 'human', assignedRepId: repId });
    expect(h.feed.at(-1)).toMatchObject({ type: 'mode', mode: 'human', assignedRepId: repId });
    const sent = await sendRepMessage(h.deps, {
      orgId,
      conversationId,
      repId,
      body: 'Dana here — how can I help?',
      clientId: 'r1',
    });
    expect(sent).toMatchObject({ sender: 'rep', authorId: repId, status: 'sent' });
    const again = await sendRepMessage(h.deps, {
      orgId,
      conversationId,
      repId,
      body: 'Dana here — how can I help?',
      clientId: 'r1',
    });
    expect(again.id).toBe(sent.id);
    const calls = stats.calls;
    const quiet = await h.chat(orgId, visitor, 'Thanks Dana');
    expect(quiet.reply).toBeNull();
    expect(stats.calls).toBe(calls + 1); // extraction only
    const closed = await closeConversation(h.deps, { orgId, conversationId, actor, reason: 'resolved' });
    expect(closed).toMatchObject({ status: 'closed', mode: 'closed' });
    await expect(takeOverConversation(h.deps, { orgId, conversationId, repId, actor })).rejects.toMatchObject(
      {
        kind: 'conflict',
      },
    );
    // A message after the close starts a new conversation, with the disclosure again.
    const next = await h.chat(orgId, visitor, 'One more thing');
    expect(next.conversation.id).not.toBe(conversationId);
    expect(next.reply!.body.startsWith(disclosure)).toBe(true);
    const actions = (await listAudit(db, orgId, { contactId: opened.contactId })).map(
      (entry) => entry.action,
    );
    expect(actions).toEqual(expect.arrayContaining(['conversation.taken_over', 'conversation.closed']));
  });

  it('refuses another organization’s rep and conversation', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const other = await createOrganization(db, { name: 'Globex' }, systemActor);
    const opened = await h.chat(orgId, newVisitorId(), 'Hi');
    await expect(
      takeOverConversation(h.deps, {
        orgId: other.orgId,
        conversationId: opened.conversation.id,
        repId,
        actor: systemActor,
      }),
    ).rejects.toMatchObject({ kind: 'not_found' });
    await expect(
      receiveInbound(h.deps, {
        orgId: other.orgId,
        channel: 'web',
        from: { contactId: opened.contactId },
        body: 'hi',
      }),
    ).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('hands over by the organization’s rules: keywords and large budgets', async () => {
    const { orgId: rulesOrg } = await createOrganization(
      db,
      {
        name: 'Rules Inc',
        settings: { handoffRules: { keywords: ['contract'], budgetAtLeastCents: 10_000_000 } } as Record<
          string,
          unknown
        >,
      },
      systemActor,
    );
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const keyword = await h.chat(rulesOrg, newVisitorId(), 'Can you send me a contract to review?');
    expect(keyword.reply!.body).toMatch(/person/);
    const big = await h.chat(rulesOrg, newVisitorId(), 'We have a budget of $250k a year.');
    expect(big.reply!.body).toMatch(/noted a budget of about \$250,000[\s\S]*person/i);
    const reasons = (await h.events(rulesOrg, 'conversation.handoff.requested')).map((event) => event.reason);
    expect(reasons).toEqual([
      'the prospect mentioned "contract"',
      'budget $250,000 a year is at least $100,000',
    ]);
  });
});

describe('startQualification', () => {
  it('opens on email with the disclosure and a first question; without consent the gate refuses and that is stored', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const { lead } = await upsertLead(
      db,
      orgId,
      { email: `pat-${randomUUID()}@acme.example`, firstName: 'Pat' },
      systemActor,
    );
    const started = await startQualification(h.deps, orgId, lead.id);
    expect(started).toMatchObject({ started: true, channel: 'email', delivery: 'refused' });
    const messages = await listMessages(db, orgId, started.conversationId!);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.body.startsWith(`${disclosure}\n\nHi Pat, thanks for your interest`)).toBe(true);
    expect(messages[0]!).toMatchObject({ direction: 'outbound', sender: 'agent', status: 'refused' });
    expect(messages[0]!.metadata.delivery).toMatchObject({ status: 'refused', reasons: ['no_consent'] });
    expect((await getLead(db, orgId, lead.id)).status).toBe('qualifying');
    expect(
      (await h.events(orgId, 'lead.qualification.started')).filter((e) => e.contactId === lead.id),
    ).toEqual([expect.objectContaining({ conversationId: started.conversationId, channel: 'email' })]);

    const again = await startQualification(h.deps, orgId, lead.id);
    expect(again).toMatchObject({ started: false, conversationId: started.conversationId });
    expect(await listConversations(db, orgId, { contactId: lead.id })).toHaveLength(1);
    expect(
      (await h.events(orgId, 'lead.qualification.started')).filter((e) => e.contactId === lead.id),
    ).toHaveLength(1);

    // The prospect's reply joins the thread; the refused opening was never seen, so the reply discloses again.
    const [conversation] = await db.query<{ reply_token: string }>(
      'select reply_token from conversations where id = $1',
      [started.conversationId],
    );
    const reply = await receiveInbound(h.deps, {
      orgId,
      channel: 'email',
      from: { email: lead.email! },
      body: 'Our forecasts are a mess.',
      replyToken: conversation!.reply_token,
    });
    expect(reply.conversation.id).toBe(started.conversationId);
    expect(reply.reply!.body.startsWith(disclosure)).toBe(true);
  });

  it('delivers with consent, and falls back to SMS for a lead with only a phone', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const { lead } = await upsertLead(db, orgId, { email: `sam-${randomUUID()}@acme.example` }, systemActor);
    await recordConsent(
      db,
      orgId,
      {
        contactId: lead.id,
        type: 'email_marketing',
        method: 'web_form',
        evidence: { wording: 'Email me about Brightwave.' },
      },
      systemActor,
    );
    expect(await startQualification(h.deps, orgId, lead.id)).toMatchObject({
      started: true,
      delivery: 'recorded',
    });

    const phoneOnly = (await upsertLead(db, orgId, { phone: '+14155550177' }, systemActor)).lead;
    expect(await startQualification(h.deps, orgId, phoneOnly.id)).toMatchObject({
      started: true,
      channel: 'sms',
    });
  });

  it('leaves alone a lead already chatting', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const chat = await h.chat(orgId, newVisitorId(), 'Hi');
    expect(await startQualification(h.deps, orgId, chat.contactId)).toMatchObject({
      started: false,
      conversationId: chat.conversation.id,
    });
  });
});
