import { randomUUID } from 'node:crypto';
import type { MessageRow } from '../conversations.ts';
import type { Db } from '../db.ts';
import type { RateLimiter } from '../qualification/guardrails.ts';
import type { ParsedInboundMessage } from './inbound-message.ts';
import { mentionsEmail } from './visitor-identity.ts';

/**
 * Group commit for the most common inbound message: a widget visitor writing in the chat they
 * already have open. Messages that arrive while a batch is being stored wait and are stored
 * together in the next one — one set-based statement for all of them, instead of a transaction
 * of seven statements each — so acknowledgements keep up when thousands of widgets write at
 * once. At low load a batch holds one message and is stored at once: nothing waits for a timer.
 *
 * Everything else — a visitor's first message (a contact and a chat to create), a message that
 * names an email address (the contact may learn it), any other channel — takes the full path
 * (`storeInbound`), as does a message whose batch failed: the full path stores it once, by its
 * client id. One visitor's messages are stored one at a time and in the order they arrived,
 * whichever path each takes.
 */
export interface StoredInbound {
  /** The same client or provider id was stored before: `message` is that earlier one. */
  duplicate: boolean;
  message: MessageRow;
}

/** The outcome of one message of a batch; `full_path` hands it to `storeInbound`. */
type BatchOutcome = StoredInbound | 'rate_limited' | 'full_path';

interface Waiting {
  inbound: ParsedInboundMessage & { clientId: string; from: { visitorId: string } };
  sender: string;
  /** Not for a batch: stored through `fullPath` when its sender's turn comes. */
  fullPathOnly: boolean;
  fullPath: () => Promise<StoredInbound>;
  resolve: (stored: StoredInbound) => void;
  reject: (error: unknown) => void;
}

export interface OpenChatBatcher {
  /**
   * Stores one prospect message: in a batch when it can be, else through `fullPath`. Rejects with
   * what `rateLimited()` makes when the visitor or chat is over its limit.
   */
  store(inbound: ParsedInboundMessage, fullPath: () => Promise<StoredInbound>): Promise<StoredInbound>;
}

export interface OpenChatBatcherOptions {
  db: Db;
  visitorLimiter: RateLimiter;
  messagesPerMinute: number;
  rateLimited: () => Error;
  /** The most messages stored in one statement. */
  maxBatch?: number;
  onBatchFailed?: (error: unknown, size: number) => void;
}

export function createOpenChatBatcher(options: OpenChatBatcherOptions): OpenChatBatcher {
  const maxBatch = options.maxBatch ?? 200;
  let waiting: Waiting[] = [];
  /** Senders with a message being stored: their next one waits, so their order holds. */
  const busy = new Set<string>();
  let draining = false;
  let drainScheduled = false;

  function scheduleDrain(): void {
    if (draining || drainScheduled) return;
    drainScheduled = true;
    // One turn of the event loop first, so the messages read from sockets together go together.
    setImmediate(() => {
      drainScheduled = false;
      void drain();
    });
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      for (;;) {
        const batch = takeBatch();
        if (batch.length === 0) return;
        await storeBatchOrFallBack(batch);
      }
    } finally {
      draining = false;
    }
  }

  /**
   * The oldest waiting message of each sender that is not busy, up to `maxBatch`; one that is
   * not for a batch starts on the full path instead.
   */
  function takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const left: Waiting[] = [];
    const seen = new Set<string>();
    for (const item of waiting) {
      const next = !busy.has(item.sender) && !seen.has(item.sender) && batch.length < maxBatch;
      seen.add(item.sender);
      if (!next) {
        left.push(item);
      } else {
        busy.add(item.sender);
        if (item.fullPathOnly) settle(item, item.fullPath);
        else batch.push(item);
      }
    }
    waiting = left;
    return batch;
  }

  function settle(item: Waiting, work: () => Promise<StoredInbound>): void {
    work()
      .then(item.resolve, item.reject)
      .finally(() => {
        busy.delete(item.sender);
        if (waiting.length > 0) scheduleDrain();
      });
  }

  async function storeBatchOrFallBack(batch: Waiting[]): Promise<void> {
    let outcomes: BatchOutcome[];
    try {
      outcomes = await storeBatch(
        options.db,
        batch.map((item) => item.inbound),
        options.visitorLimiter,
        options.messagesPerMinute,
      );
    } catch (error) {
      // Nothing of the batch was stored (one statement): each message takes the full path alone.
      options.onBatchFailed?.(error, batch.length);
      outcomes = batch.map(() => 'full_path');
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome === 'full_path') {
        settle(item, item.fullPath);
        return;
      }
      if (outcome === 'rate_limited') item.reject(options.rateLimited());
      else item.resolve(outcome);
      busy.delete(item.sender);
    });
  }

  return {
    store(inbound, fullPath) {
      const { orgId, channel, from, clientId } = inbound;
      // Other senders (email, texts, the API) are kept in order by the full path's sender lock.
      if (channel !== 'web' || from.visitorId === undefined) return fullPath();
      const batchable =
        clientId !== undefined &&
        !inbound.providerMessageId &&
        !inbound.replyToken &&
        !from.contactId &&
        !from.email &&
        !from.phone &&
        !mentionsEmail(inbound.body);
      return new Promise((resolve, reject) => {
        waiting.push({
          inbound: inbound as Waiting['inbound'],
          // The full path's rate-limiter key.
          sender: `${orgId}:${from.visitorId}`,
          fullPathOnly: !batchable,
          fullPath,
          resolve,
          reject,
        });
        scheduleDrain();
      });
    },
  };
}

/**
 * Stores a batch of widget messages, at most one per sender, in one statement (so one round trip
 * and atomic without a transaction around it): finds each visitor's open chat, recognizes a
 * re-sent client id, applies the per-minute limits, inserts the messages in arrival order (so
 * `seq` follows it), touches their chats and announces each (`conversation.message.received`,
 * the same data `emitEvent` writes). Returns each message's outcome in input order.
 */
async function storeBatch(
  db: Db,
  batch: Waiting['inbound'][],
  limiter: RateLimiter,
  messagesPerMinute: number,
): Promise<BatchOutcome[]> {
  const senders = batch.map((inbound) => `${inbound.orgId}:${inbound.from.visitorId}`);
  // Counted only once stored: a re-sent message is acknowledged whatever the limit.
  const allowed = senders.map((sender) => limiter.allows(sender));
  const rows = await db.query<{
    conversation_id: string | null;
    duplicate: MessageRow | null;
    recent: number;
    stored: MessageRow | null;
  }>(
    `with input as (
       select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])
         with ordinality as i(id, org_id, visitor_id, client_id, body, metadata, allowed, ord)
     ), checked as (
       select i.*, c.id as conversation_id, c.contact_id,
         (select to_jsonb(m) from messages m where m.conversation_id = c.id and m.client_id = i.client_id) as duplicate,
         (select count(*) from messages m where m.org_id = i.org_id and m.conversation_id = c.id
            and m.direction = 'inbound' and m.created_at > now() - interval '1 minute') as recent
       from input i
       left join lateral (
         select id, contact_id from conversations c
         where c.org_id = i.org_id and c.channel = 'web' and c.visitor_id = i.visitor_id and c.status = 'open'
         order by c.created_at desc limit 1
       ) c on true
     ), stored as (
       insert into messages (id, org_id, conversation_id, contact_id, direction, channel, sender, body,
         status, client_id, metadata)
       select id, org_id, conversation_id, contact_id, 'inbound', 'web', 'prospect', body, 'received',
         client_id, metadata::jsonb
       from checked
       where conversation_id is not null and duplicate is null and allowed and recent < $8
       order by ord
       on conflict (conversation_id, client_id) where client_id is not null do nothing
       returning *
     ), touched as (
       update conversations c set last_message_at = s.created_at, updated_at = now()
       from stored s where c.org_id = s.org_id and c.id = s.conversation_id
     ), announced as (
       insert into events (org_id, name, data)
       select org_id, 'conversation.message.received', jsonb_build_object('orgId', org_id,
         'contactId', contact_id, 'conversationId', conversation_id, 'messageId', id, 'channel', channel)
       from stored order by seq
     )
     select c.conversation_id, c.duplicate, c.recent::int, to_jsonb(s) as stored
     from checked c left join stored s on s.id = c.id order by c.ord`,
    [
      batch.map(() => randomUUID()),
      batch.map((inbound) => inbound.orgId),
      batch.map((inbound) => inbound.from.visitorId),
      batch.map((inbound) => inbound.clientId),
      batch.map((inbound) => inbound.body),
      batch.map((inbound) => JSON.stringify(inbound.metadata ?? {})),
      allowed,
      messagesPerMinute,
    ],
    // The senders' widgets are waiting for the acknowledgement.
    { interactive: true },
  );
  return rows.map((row, index): BatchOutcome => {
    if (row.duplicate) return { duplicate: true, message: fromJson(row.duplicate) };
    if (row.stored) {
      limiter.take(senders[index]!);
      return { duplicate: false, message: fromJson(row.stored) };
    }
    // No open chat: a first message, or the visitor's last chat closed.
    if (!row.conversation_id) return 'full_path';
    if (!allowed[index] || row.recent >= messagesPerMinute) return 'rate_limited';
    // Stored meanwhile by another node under the same client id: the full path finds it.
    return 'full_path';
  });
}

/** A message row read back through `to_jsonb` has its timestamps as text. */
function fromJson(row: MessageRow): MessageRow {
  return { ...row, seq: Number(row.seq), created_at: new Date(row.created_at) };
}
