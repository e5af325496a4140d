import type { ClosingDeps } from '../closing/closer-turn.ts';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';
import { listKnowledgeEntries } from '../knowledge-base.ts';
import { getOrganization, type Organization } from '../organizations.ts';
import type { DeliveryResult, OutboundDraft } from '../outbound-message.ts';
import { createRateLimiter, type RateLimiter } from '../qualification/guardrails.ts';
import type { KnowledgeDocument } from '../qualification/knowledge-retrieval.ts';
import type { QualifierModel } from '../qualification/qualifier-model.ts';
import { qualifierToolNames } from '../qualification/qualifier-tools.ts';
import { type ConversationFeed, createConversationFeed } from './conversation-feed.ts';
import { createOpenChatBatcher, type OpenChatBatcher } from './open-chat-batch.ts';
import { createTurnScheduler, type TurnScheduler } from './turn-scheduler.ts';

/**
 * What the conversation service needs, created once per process by the composition root: the
 * database, the qualifier model, delivery through the compliance gate, and the service's own
 * in-process state (turn queues, rate counters, a short-lived cache of each organization's
 * settings and knowledge base).
 */
export interface ConversationLimits {
  /** Longer prospect messages are refused (400). */
  maxMessageChars: number;
  /** Per visitor and per conversation; more are refused (429). */
  messagesPerMinute: number;
  /** Messages of the conversation the model sees. */
  historyMessages: number;
  /** Knowledge entries retrieved for a turn. */
  knowledgeEntries: number;
}

export const defaultConversationLimits: ConversationLimits = {
  maxMessageChars: 4_000,
  messagesPerMinute: 20,
  historyMessages: 20,
  knowledgeEntries: 4,
};

export interface ConversationLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface ConversationServiceDeps {
  db: Db;
  /** The qualifier model (Claude or offline), from agents/runtime. */
  qualifier: QualifierModel;
  /** The compliance gate and delivery ledger: `(draft) => sendOutbound({db, senders}, draft)`. */
  deliver: (draft: OutboundDraft) => Promise<DeliveryResult>;
  /** Live events for the socket gateway and console. */
  feed: ConversationFeed;
  scheduler: TurnScheduler;
  visitorLimiter: RateLimiter;
  /** Stores widget messages to open chats together (group commit). */
  openChats: OpenChatBatcher;
  /** The organization and its knowledge base, cached for a few seconds (read on every turn). */
  organizations: OrganizationCache;
  limits: ConversationLimits;
  /** The tools the loadout enables (all of the qualifier's by default). */
  tools: readonly string[];
  /** The closer agent (routing mode A); without it, mode A conversations stay with the qualifier. */
  closing?: ClosingDeps;
  log: ConversationLog;
  now: () => Date;
}

export interface ConversationServiceOptions {
  db: Db;
  qualifier: QualifierModel;
  deliver: (draft: OutboundDraft) => Promise<DeliveryResult>;
  feed?: ConversationFeed;
  limits?: Partial<ConversationLimits>;
  tools?: readonly string[];
  closing?: ClosingDeps;
  log?: ConversationLog;
  now?: () => Date;
  /** This server node's name in turn leases. */
  nodeId?: string;
  /** How long an organization's settings and knowledge base are cached; 0 turns the cache off. */
  organizationCacheMs?: number;
}

const silentLog: ConversationLog = { info: () => {}, warn: () => {}, error: () => {} };

/** The service's dependencies with its in-process state (turn queues, rate counters) created once. */
export function createConversationServiceDeps(options: ConversationServiceOptions): ConversationServiceDeps {
  const limits = { ...defaultConversationLimits, ...options.limits };
  const log = options.log ?? silentLog;
  const visitorLimiter = createRateLimiter({ limit: limits.messagesPerMinute, windowMs: 60_000 });
  return {
    db: options.db,
    qualifier: options.qualifier,
    deliver: options.deliver,
    feed:
      options.feed ?? createConversationFeed((error) => log.error({ err: error }, 'feed listener failed')),
    scheduler: createTurnScheduler({ db: options.db, nodeId: options.nodeId }),
    visitorLimiter,
    openChats: createOpenChatBatcher({
      db: options.db,
      visitorLimiter,
      messagesPerMinute: limits.messagesPerMinute,
      rateLimited: () => tooManyMessages(limits),
      onBatchFailed: (error, size) =>
        log.warn({ err: error, size }, 'storing a batch of widget messages failed; storing them one by one'),
    }),
    organizations: createOrganizationCache(options.db, options.organizationCacheMs ?? 5_000),
    limits,
    tools: options.tools ?? qualifierToolNames,
    ...(options.closing ? { closing: options.closing } : {}),
    log,
    now: options.now ?? (() => new Date()),
  };
}

export function tooManyMessages(limits: ConversationLimits): DomainError {
  return new DomainError(
    'rate_limited',
    `too many messages: at most ${limits.messagesPerMinute} a minute; please wait a moment`,
    { limit: limits.messagesPerMinute, windowSeconds: 60 },
  );
}

export interface OrganizationCache {
  get(
    orgId: string,
  ): Promise<{ organization: Organization; knowledge: (KnowledgeDocument & { id: string })[] }>;
}

/**
 * Settings and knowledge base change rarely and are read on every turn: keep them for `ttlMs`,
 * so an edit takes effect within seconds without a query per turn.
 */
export function createOrganizationCache(db: Db, ttlMs: number): OrganizationCache {
  const cached = new Map<string, { at: number; value: ReturnType<OrganizationCache['get']> }>();
  return {
    get(orgId) {
      const now = Date.now();
      const hit = cached.get(orgId);
      if (hit && now - hit.at < ttlMs) return hit.value;
      const value = Promise.all([getOrganization(db, orgId), listKnowledgeEntries(db, orgId)]).then(
        ([organization, knowledge]) => ({ organization, knowledge }),
      );
      if (ttlMs > 0) {
        if (cached.size > 10_000) cached.clear();
        cached.set(orgId, { at: now, value });
        value.catch(() => cached.delete(orgId));
      }
      return value;
    },
  };
}
