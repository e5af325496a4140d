import type { MessageRow } from '../conversations.ts';
import type { ConversationServiceDeps } from './conversation-deps.ts';
import { deliverStored } from './conversation-store.ts';
import { answerPending } from './conversation-turn.ts';
import { TurnsStoppedError } from './turn-scheduler.ts';

/**
 * Prospect messages are acknowledged (widget ack, webhook 200) as soon as they are stored, and
 * answered right after. If the process dies in between, the message stays `received` with no one
 * answering it: this sweep, run at start-up and every half minute by the composition root, finds
 * such messages and answers them in turn order. Likewise a reply is stored (`pending`) in the
 * turn's transaction and delivered after it commits; one a crash left pending is delivered by the
 * sweep, exactly once through the delivery ledger (its idempotency key). A conversation whose turn lease another node
 * still holds is left to that node; `answerPending` takes the lease itself, so two sweeps on two
 * nodes never answer the same message twice.
 */
export interface WaitingSweepOptions {
  /** Only messages stored longer ago than this: younger ones are still being answered normally. */
  olderThanMs?: number;
  /** Conversations per sweep, oldest waiting first; the rest wait for the next sweep. */
  limit?: number;
}

export async function answerWaitingMessages(
  deps: ConversationServiceDeps,
  options: WaitingSweepOptions = {},
): Promise<{ conversations: number; failed: number; replies: number }> {
  const olderThanMs = options.olderThanMs ?? 30_000;
  // The system's own sweep across organizations, like the workflow runtime's: each conversation
  // found is then answered strictly within its organization.
  const waiting = await deps.db.query<{ org_id: string; conversation_id: string }>(
    `select m.org_id, m.conversation_id, min(m.seq) as first_seq
     from messages m
     left join conversation_turn_leases l on l.conversation_id = m.conversation_id and l.expires_at > now()
     where m.direction = 'inbound' and m.status = 'received'
       and m.created_at < now() - make_interval(secs => $1::double precision / 1000)
       and l.conversation_id is null
     group by m.org_id, m.conversation_id
     order by first_seq
     limit $2`,
    [olderThanMs, options.limit ?? 50],
  );
  let failed = 0;
  for (const { org_id, conversation_id } of waiting) {
    try {
      await answerPending(deps, org_id, conversation_id);
    } catch (error) {
      if (error instanceof TurnsStoppedError) break; // shutting down: the next sweep goes on
      failed++;
      deps.log.error(
        { err: error, orgId: org_id, conversationId: conversation_id },
        'answering a waiting message failed',
      );
    }
  }
  if (waiting.length > 0) {
    deps.log.info({ conversations: waiting.length, failed }, 'answered messages left waiting');
  }
  const replies = await deliverStrandedReplies(deps, olderThanMs, options.limit ?? 50);
  return { conversations: waiting.length, failed, replies };
}

/** Replies stored but never handed to their channel (the process died after the turn committed). */
async function deliverStrandedReplies(
  deps: ConversationServiceDeps,
  olderThanMs: number,
  limit: number,
): Promise<number> {
  const stranded = await deps.db.query<MessageRow>(
    `select m.* from messages m
     left join conversation_turn_leases l on l.conversation_id = m.conversation_id and l.expires_at > now()
     where m.direction = 'outbound' and m.status = 'pending'
       and m.created_at < now() - make_interval(secs => $1::double precision / 1000)
       and l.conversation_id is null
     order by m.seq
     limit $2`,
    [olderThanMs, limit],
  );
  for (const message of stranded) {
    if (deps.scheduler.stopped) break;
    await deliverStored(deps, message);
  }
  if (stranded.length > 0) deps.log.info({ replies: stranded.length }, 'delivered replies left pending');
  return stranded.length;
}
