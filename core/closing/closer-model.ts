import type { DealStage } from '../deals/deal-pipeline.ts';
import type { Channel } from '../outbound-message.ts';
import type { BantState } from '../qualification/bant-state.ts';
import type { RetrievedKnowledge } from '../qualification/knowledge-retrieval.ts';
import type { ConversationTurn, QualifierTurnResult, ToolOutcome } from '../qualification/qualifier-model.ts';
import type { ToolSpec } from '../qualification/qualifier-tools.ts';
import type { ClosingState } from './closing-state.ts';
import type { Plan } from './plan-pricing.ts';

/**
 * What the conversation service needs from the closer's model (routing mode A): one turn of a
 * qualified prospect's conversation. Like the qualifier's, the implementations (Claude, the
 * offline closer) live in agents/; every effect — a proposal, a payment link, a booked demo, a
 * person — happens through the closer's tools (core/closing/closer-tools.ts), so prices come from
 * the knowledge base and nothing is sent except through the compliance gate.
 */
export interface CloserContext {
  organization: { name: string };
  channel: Channel;
  disclosure: string;
  /** The knowledge entries that match the message; objection answers come from these only. */
  knowledge: RetrievedKnowledge[];
  /** The organization's plans, read from its pricing entries. */
  plans: Plan[];
  /** What the qualifier learned. */
  state: BantState;
  deal: { stage: DealStage; amountCents: number | null; currency: string } | null;
  closing: ClosingState;
  /** A person has been asked to join. */
  handoffRequested: boolean;
  firstName: string | null;
  /** Varies scripted phrasing per conversation, deterministically. */
  seed: string;
  now: Date;
}

export interface CloserTurnRequest {
  context: CloserContext;
  /** Oldest first. For `reply` it ends with the prospect message being answered. */
  history: ConversationTurn[];
  /** `open`: the lead was just routed to the closer — propose the plan; `reply`: answer the prospect. */
  task: 'open' | 'reply';
  tools: ToolSpec[];
  callTool(name: string, input: unknown): Promise<ToolOutcome>;
  onText?: (delta: string) => void;
  signal?: AbortSignal;
}

export type CloserTurnResult = QualifierTurnResult;

export interface CloserModel {
  readonly name: string;
  runTurn(request: CloserTurnRequest): Promise<CloserTurnResult>;
}
