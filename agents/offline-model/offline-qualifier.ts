import { type BantItem, formatUsd, type Outcome } from '../../core/qualification/bant-state.ts';
import type {
  QualifierModel,
  QualifierTurnRequest,
  QualifierTurnResult,
} from '../../core/qualification/qualifier-model.ts';
import {
  closingLine,
  pick,
  question,
  topicOfQuestion,
  unknownAnswerLine,
} from '../../core/qualification/qualifier-script.ts';
import type { UpdateQualificationArgs } from '../../core/qualification/qualifier-tools.ts';
import { contactDetailsFor } from './extract-contact.ts';
import { extractSignals, isQuestion, splitSentences } from './extract-signals.ts';
import { answerFromKnowledge, statedTeamSize } from './knowledge-answer.ts';

/**
 * The deterministic offline model: what answers when no ANTHROPIC_API_KEY is set. It follows the
 * same protocol as Claude — reads the conversation, records what it heard through
 * `update_qualification`, reads the tool's answer (what is missing, whether an outcome is
 * decided) and writes one reply: an answer from the knowledge base if asked, a short
 * acknowledgement, then the next question or the closing. Same input, same reply.
 */
export interface OfflineQualifierOptions {
  /** Product names to recognize as competition (the loadout's list). */
  competitors?: readonly string[];
}

interface ToolAnswer {
  missing?: BantItem[];
  outcome?: Outcome | null;
}

export function createOfflineQualifier(options: OfflineQualifierOptions = {}): QualifierModel {
  return {
    name: 'offline',
    async runTurn(request: QualifierTurnRequest): Promise<QualifierTurnResult> {
      const { context, history } = request;
      const message = history.at(-1)?.text ?? '';
      const previousAgent = [...history.slice(0, -1)].reverse().find((turn) => turn.role === 'agent');
      const lastAsked = previousAgent ? askedIn(previousAgent.text) : null;
      const args = extractSignals(message, {
        now: context.now,
        lastAsked,
        ...(options.competitors ? { competitors: options.competitors } : {}),
      });

      let answer: ToolAnswer | null = null;
      const canRecord = request.tools.some((tool) => tool.name === 'update_qualification');
      if (canRecord && Object.keys(args).length > 0) {
        const result = await request.callTool('update_qualification', args);
        if (!result.isError) answer = JSON.parse(result.content) as ToolAnswer;
      }
      // Who they are (name, company, headcount, phone …) goes to the contact, as Claude would record it.
      if (request.tools.some((tool) => tool.name === 'record_contact_details')) {
        const details = contactDetailsFor(history, options.competitors ? { tools: options.competitors } : {});
        if (Object.keys(details).length > 0) await request.callTool('record_contact_details', details);
      }
      const usage = {
        inputTokens: estimateTokens(history.map((turn) => turn.text).join(' ')) + 400,
        outputTokens: 0,
      };
      if (request.task === 'extract') return { text: '', model: 'offline', usage, costMicroUsd: 0 };

      const seed = context.seed;
      const turn = context.agentTurns;
      const parts: string[] = [];
      const questions = splitSentences(message).filter(isQuestion);
      if (questions.length > 0) {
        const said = history.filter((t) => t.role === 'prospect').map((t) => t.text);
        parts.push(
          answerFromKnowledge(questions.join(' '), context.knowledge, statedTeamSize(said)) ??
            unknownAnswerLine(seed),
        );
      }
      const decidedNow = !context.outcome && answer?.outcome ? answer.outcome : null;
      // A closing thanks them already: then the acknowledgement only says what was heard.
      const heard = acknowledge(args, seed, turn, decidedNow !== null);
      if (heard) parts.push(heard);

      if (decidedNow) {
        parts.push(closingLine(decidedNow, context.organization.name, seed));
        // A promise to follow up means nothing to an anonymous visitor: ask how to reach them.
        if (decidedNow !== 'DISQUALIFIED' && !context.reachable)
          parts.push("What's the best email address or phone number to reach you?");
      } else if (context.outcome) {
        if (questions.length === 0) {
          parts.push(
            pick(
              ['Happy to help with anything else you need.', 'Anything else I can help with?'],
              seed,
              turn,
            ),
          );
        }
      } else {
        const missing = answer?.missing ?? context.missing;
        const next = missing[0];
        if (next) parts.push(question(next, context.organization.name, seed, turn));
        else parts.push('Is there anything else you would like to know?');
      }
      const text = parts.join(' ');
      for (const piece of text.match(/\S+\s*/g) ?? []) request.onText?.(piece);
      return {
        text,
        model: 'offline',
        usage: { ...usage, outputTokens: estimateTokens(text) },
        costMicroUsd: 0,
      };
    },
  };
}

/** The topic of the last question in an agent message (its closing question, if several). */
function askedIn(text: string): BantItem | null {
  const questions = splitSentences(text).filter((sentence) => sentence.trim().endsWith('?'));
  const last = questions.at(-1);
  return last ? topicOfQuestion(last) : null;
}

function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** One short sentence saying back what was just learned — the prospect's own facts only. */
function acknowledge(
  args: UpdateQualificationArgs,
  seed: string,
  turn: number,
  plain: boolean,
): string | null {
  const heard: string[] = [];
  const amount = args.budget?.amount ?? args.budget?.amountUsd;
  if (amount !== undefined) {
    const period =
      args.budget?.period === 'month' ? ' a month' : args.budget?.period === 'year' ? ' a year' : '';
    const currency = args.budget?.amount !== undefined ? (args.budget.currency ?? 'USD') : 'USD';
    const named =
      currency === 'USD'
        ? formatUsd(Math.round(amount * 100))
        : amount.toLocaleString('en-US', { style: 'currency', currency, maximumFractionDigits: 0 });
    heard.push(`a budget of about ${named}${period}`);
  } else if (args.budget?.stated === true) {
    heard.push('that there is budget for this');
  }
  if (args.authority?.decisionMaker) heard.push(`that your ${args.authority.decisionMaker} signs off`);
  else if (args.authority?.role) heard.push(`that you're the ${args.authority.role}`);
  if (args.timeline?.withinDays !== undefined && args.timeline.withinDays < 365) {
    heard.push(`a timeline of about ${args.timeline.withinDays} days`);
  }
  const tools = [...(args.competition?.current ?? [])];
  if (tools.length > 0) heard.push(`that you use ${tools.join(' and ')} today`);
  if (args.competition?.evaluating?.length)
    heard.push(`that you're also looking at ${args.competition.evaluating.join(' and ')}`);
  if (heard.length === 0) {
    if (plain) return null;
    if (args.need?.identified)
      return pick(
        ['That makes sense.', 'Thanks, that helps.', 'Got it — that is a common pain.'],
        seed,
        turn,
      );
    if (args.budget?.stated === false || args.need?.identified === false)
      return 'Understood, thanks for being clear.';
    if (args.authority || args.competition || args.timeline)
      return pick(['Got it, thanks.', 'Thanks, noted.'], seed, turn);
    return null;
  }
  if (plain) return `Noted: ${heard.join(', ')}.`;
  const opener = pick(['Thanks — noted', 'Got it — noted', 'Helpful, thanks — noted'], seed, turn);
  return `${opener} ${heard.join(', ')}.`;
}
