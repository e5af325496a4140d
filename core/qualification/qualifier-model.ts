import type { Channel } from '../outbound-message.ts';
import type { BantItem, BantState, Outcome } from './bant-state.ts';
import type { RetrievedKnowledge } from './knowledge-retrieval.ts';
import type { QualificationRules } from './outcome-rules.ts';
import type { ToolSpec } from './qualifier-tools.ts';

/**
 * What the conversation service needs from a model: one qualifier turn. The implementations
 * (Claude through the Anthropic SDK, the deterministic offline model) live in agents/runtime; the
 * domain only sees this interface, so it never imports a model SDK.
 */
export interface QualifierContext {
  organization: { name: string };
  channel: Channel;
  /** The AI disclosure the conversation opened with. */
  disclosure: string;
  /** The only facts the agent may state about the organization, most relevant first. */
  knowledge: RetrievedKnowledge[];
  state: BantState;
  /** Items still to learn, in the order to ask about them. */
  missing: BantItem[];
  rules: QualificationRules;
  /** Set once the conversation has reached an outcome. */
  outcome: { outcome: Outcome; reasons: string[] } | null;
  /** A person has been asked to join. */
  handoffRequested: boolean;
  /** The prospect's first name, if known (for a friendlier tone). */
  firstName: string | null;
  /**
   * The team can follow up with them (an email or phone is known, or they wrote by email or
   * text). When false, a promise that "the team will be in touch" must ask how to reach them.
   */
  reachable: boolean;
  /** Agent replies so far in this conversation. */
  agentTurns: number;
  /** Varies scripted phrasing per conversation, deterministically. */
  seed: string;
  now: Date;
}

export interface ConversationTurn {
  role: 'prospect' | 'agent';
  text: string;
}

export interface ToolOutcome {
  /** What the model reads back (JSON text). */
  content: string;
  isError: boolean;
}

export interface QualifierTurnRequest {
  context: QualifierContext;
  /** Oldest first; ends with the prospect message being answered. */
  history: ConversationTurn[];
  /** `reply`: answer the prospect; `extract`: a person is talking, only record what was said. */
  task: 'reply' | 'extract';
  tools: ToolSpec[];
  /** Runs a tool for this conversation only. */
  callTool(name: string, input: unknown): Promise<ToolOutcome>;
  /** Receives the reply as it is produced. */
  onText?: (delta: string) => void;
  signal?: AbortSignal;
}

export interface QualifierTurnResult {
  /** The reply to send (empty for `extract`). */
  text: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
  costMicroUsd: number;
}

export interface QualifierModel {
  /** `offline` or the provider's model name, for logs and the start-up banner. */
  readonly name: string;
  runTurn(request: QualifierTurnRequest): Promise<QualifierTurnResult>;
}
