import { randomUUID } from 'node:crypto';
import { createWebChannel } from '../../channels/web/web-channel.ts';
import type { ClosingDeps } from '../../core/closing/closer-turn.ts';
import type { ConversationFeedEvent } from '../../core/conversations/conversation-feed.ts';
import {
  type ConversationLimits,
  type ConversationServiceDeps,
  createConversationServiceDeps,
  type InboundResult,
  receiveInbound,
} from '../../core/conversations/conversation-service.ts';
import type { Db } from '../../core/db.ts';
import { recordingSender, sendOutbound } from '../../core/outbound.ts';
import type { QualifierModel } from '../../core/qualification/qualifier-model.ts';

/**
 * The conversation service wired as the server wires it — delivery through the real compliance
 * gate with recording senders — plus what tests look at: every feed event and every log line.
 */
export interface ConversationHarness {
  deps: ConversationServiceDeps;
  feed: ConversationFeedEvent[];
  logs: { level: 'info' | 'warn' | 'error'; message: string; details: Record<string, unknown> }[];
  /** One widget message from `visitorId`. */
  chat(orgId: string, visitorId: string, body: string): Promise<InboundResult>;
  events(orgId: string, name: string): Promise<Record<string, unknown>[]>;
}

export function createConversationHarness(options: {
  db: Db;
  model: QualifierModel;
  limits?: Partial<ConversationLimits>;
  nodeId?: string;
  /** The closer (routing mode A); without it, mode A conversations stay with the qualifier. */
  closing?: ClosingDeps;
}): ConversationHarness {
  const { db } = options;
  const logs: ConversationHarness['logs'] = [];
  const feed: ConversationFeedEvent[] = [];
  const senders = {
    web: createWebChannel().sender,
    email: recordingSender('email'),
    sms: recordingSender('sms'),
    whatsapp: recordingSender('whatsapp'),
    voice: recordingSender('voice'),
  };
  const deps = createConversationServiceDeps({
    db,
    qualifier: options.model,
    deliver: (draft) => sendOutbound({ db, senders }, draft),
    limits: options.limits,
    nodeId: options.nodeId,
    ...(options.closing ? { closing: options.closing } : {}),
    log: {
      info: (details, message) => logs.push({ level: 'info', message, details }),
      warn: (details, message) => logs.push({ level: 'warn', message, details }),
      error: (details, message) => logs.push({ level: 'error', message, details }),
    },
  });
  deps.feed.subscribe((event) => feed.push(event));
  return {
    deps,
    feed,
    logs,
    chat: (orgId, visitorId, body) =>
      receiveInbound(deps, { orgId, channel: 'web', from: { visitorId }, body, clientId: randomUUID() }),
    events: async (orgId, name) =>
      (
        await db.query<{ data: Record<string, unknown> }>(
          'select data from events where org_id = $1 and name = $2 order by seq',
          [orgId, name],
        )
      ).map((row) => row.data),
  };
}

export const newVisitorId = () => `visitor-${randomUUID()}`;
