import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import type { Database } from '../../server/db/database.ts';
import {
  type ConversationHarness,
  createConversationHarness,
  newVisitorId,
} from '../../tests/support/conversation-harness.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import type { Db } from '../db.ts';
import { createDemoOrganization } from '../demo-organization.ts';
import { eventSchemas } from '../events.ts';
import { acceptInbound } from './conversation-service.ts';

let db: Database;
let orgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  orgId = (await createDemoOrganization(db, 'demo-password-1')).orgId;
});
afterAll(() => db.close());

const inboundOf = (conversationId: string) =>
  db.query<{ body: string; client_id: string; seq: number }>(
    `select body, client_id, seq from messages where conversation_id = $1 and direction = 'inbound' order by seq`,
    [conversationId],
  );

/** Widget message `n` of `visitor`, as the gateway hands it over. */
const send = (h: ConversationHarness, visitor: string, n: number, body = `message ${n}`) =>
  acceptInbound(h.deps, {
    orgId,
    channel: 'web',
    from: { visitorId: visitor },
    body,
    clientId: `${visitor}:${n}`,
  });

/**
 * Counts the writes that store prospect messages — a batch's statement or a message's own
 * (interactive) transaction — to see messages stored together. Agent turns are not counted.
 */
function countingStores(inner: Db): { db: Db; stores: () => number } {
  let stores = 0;
  return {
    db: {
      query: (sql, params, options) => {
        if (sql.includes('insert into messages')) stores++;
        return inner.query(sql, params, options);
      },
      transaction: (work, options) => {
        if (options?.interactive) stores++;
        return inner.transaction(work, options);
      },
    },
    stores: () => stores,
  };
}

describe('widget messages to open chats (group commit)', () => {
  it('stores the messages of many visitors at once in one statement, each once, in order', async () => {
    const counting = countingStores(db);
    const h = createConversationHarness({ db: counting.db, model: createOfflineQualifier() });
    const visitors = Array.from({ length: 12 }, newVisitorId);
    const opened = await Promise.all(visitors.map((visitor) => h.chat(orgId, visitor, 'Hi there')));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const before = counting.stores();
    // Every visitor sends twice at once, and the first message once more (a re-send).
    const acks = await Promise.all(
      visitors.flatMap((visitor) => [send(h, visitor, 1), send(h, visitor, 2), send(h, visitor, 1)]),
    );
    // One store per message would be 36; a batch holds one message of each visitor.
    expect(counting.stores() - before).toBeLessThanOrEqual(6);

    for (const [index, visitor] of visitors.entries()) {
      const [first, second, again] = acks.slice(index * 3, index * 3 + 3);
      expect(first!.duplicate).toBe(false);
      expect(second!.duplicate).toBe(false);
      expect(again).toMatchObject({ duplicate: true, message: { id: first!.message.id } });
      expect(first!.conversationId).toBe(opened[index]!.conversation.id);
      const stored = await inboundOf(first!.conversationId);
      expect(stored.map((m) => m.body)).toEqual(['Hi there', 'message 1', 'message 2']);
      expect(stored.map((m) => m.client_id).slice(1)).toEqual([`${visitor}:1`, `${visitor}:2`]);
    }
    // Each stored message is announced once, for the workflows.
    const announced = await h.events(orgId, 'conversation.message.received');
    const ids = new Set(acks.filter((ack) => !ack.duplicate).map((ack) => ack.message.id));
    const ours = announced.filter((event) => ids.has(event.messageId as string));
    expect(ours).toHaveLength(ids.size);
    // Written in SQL, they carry what `emitEvent` would have checked.
    for (const event of ours) eventSchemas['conversation.message.received'].parse(event);
  });

  it('stores any text exactly as typed, whatever array syntax it contains', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const visitor = newVisitorId();
    const first = await h.chat(orgId, visitor, 'Hi there');
    const bodies = [
      'He said "hi", {ok} \\ NULL',
      'it\'s {"a","b"} and\nnew lines\ttabs',
      'NULL',
      'ünïcödé 🎉 <script>alert(1)</script>',
    ];
    for (const [n, body] of bodies.entries()) await send(h, visitor, n + 1, body);
    expect((await inboundOf(first.conversation.id)).map((m) => m.body)).toEqual(['Hi there', ...bodies]);
  });

  it('refuses a visitor over the limit and stores nothing for them', async () => {
    const h = createConversationHarness({
      db,
      model: createOfflineQualifier(),
      limits: { messagesPerMinute: 2 },
    });
    const visitor = newVisitorId();
    const first = await h.chat(orgId, visitor, 'Hi there');
    const results = await Promise.allSettled([send(h, visitor, 1), send(h, visitor, 2), send(h, visitor, 3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ kind: 'rate_limited' });
    expect((await inboundOf(first.conversation.id)).map((m) => m.body)).toEqual(['Hi there', 'message 1']);
  });

  it('stores one at a time when a batch fails, losing nothing', async () => {
    // The batch's statement fails (as a broken connection would); each message then takes the full path.
    const failing: Db = {
      query: (sql, params, options) =>
        sql.includes('on conflict (conversation_id, client_id)')
          ? Promise.reject(new Error('connection lost'))
          : db.query(sql, params, options),
      transaction: (work, options) => db.transaction(work, options),
    };
    const h = createConversationHarness({ db: failing, model: createOfflineQualifier() });
    const visitors = [newVisitorId(), newVisitorId()];
    const opened = await Promise.all(visitors.map((visitor) => h.chat(orgId, visitor, 'Hi there')));
    const acks = await Promise.all(visitors.map((visitor) => send(h, visitor, 1, 'after the failure')));
    expect(acks.map((ack) => ack.duplicate)).toEqual([false, false]);
    for (const chat of opened) {
      expect((await inboundOf(chat.conversation.id)).map((m) => m.body)).toEqual([
        'Hi there',
        'after the failure',
      ]);
    }
    expect(h.logs.some((line) => line.message.includes('storing them one by one'))).toBe(true);
  });

  it('leaves a message naming an email address to the full path, in its turn, which lets the contact learn it', async () => {
    const h = createConversationHarness({ db, model: createOfflineQualifier() });
    const visitor = newVisitorId();
    const first = await h.chat(orgId, visitor, 'Hi there');
    // Sent together (two tabs): the batched one and the full-path one keep their order.
    await Promise.all([
      send(h, visitor, 1, 'One more thing'),
      send(h, visitor, 2, 'You can reach me at dana@batch.example'),
    ]);
    expect((await inboundOf(first.conversation.id)).map((m) => m.body)).toEqual([
      'Hi there',
      'One more thing',
      'You can reach me at dana@batch.example',
    ]);
    const [contact] = await db.query<{ email: string | null }>('select email from contacts where id = $1', [
      first.contactId,
    ]);
    expect(contact!.email).toBe('dana@batch.example');
  });
});
