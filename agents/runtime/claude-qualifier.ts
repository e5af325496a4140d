import Anthropic from '@anthropic-ai/sdk';
import type {
  ConversationTurn,
  QualifierModel,
  QualifierTurnRequest,
  QualifierTurnResult,
} from '../../core/qualification/qualifier-model.ts';
import { type QualifierLoadout, turnCostMicroUsd } from './agent-config.ts';
import { runClaudeToolLoop } from './claude-tool-loop.ts';
import { renderPrompt } from './system-prompt.ts';

/**
 * The qualifier on Claude, through the Anthropic SDK with streaming (the tool loop is
 * `runClaudeToolLoop`). Model, temperature, max tokens, prompt and tools all come from the loadout.
 */
export interface ClaudeQualifierOptions {
  loadout: QualifierLoadout;
  apiKey: string;
  /** ANTHROPIC_BASE_URL: another endpoint speaking the Messages API (tests use a loopback one). */
  baseURL?: string;
  maxRetries?: number;
}

type MessageParam = Anthropic.Messages.MessageParam;

export function createClaudeQualifier(options: ClaudeQualifierOptions): QualifierModel {
  const { config, prompts } = options.loadout;
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    maxRetries: options.maxRetries ?? 2,
    timeout: config.limits.modelTimeoutMs,
  });
  const systemTemplate = prompts.system!;

  return {
    name: config.model.name,
    async runTurn(request: QualifierTurnRequest): Promise<QualifierTurnResult> {
      const system = renderPrompt(systemTemplate, request.context);
      const messages = toMessages(request.history, request.context.organization.name);
      const { text, model, usage } = await runClaudeToolLoop({
        client,
        config,
        system,
        messages,
        tools: request.tools,
        callTool: request.callTool,
        extract: request.task === 'extract',
        ...(request.onText ? { onText: request.onText } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return { text, model, usage, costMicroUsd: turnCostMicroUsd(config, config.model.name, usage) };
    },
  };
}

/**
 * The conversation as Messages API turns: prospect → user, agent or rep → assistant, consecutive
 * lines of one side joined, starting with a user turn as the API requires.
 */
export function toMessages(history: ConversationTurn[], organization: string): MessageParam[] {
  const messages: MessageParam[] = [];
  for (const turn of history) {
    const role = turn.role === 'prospect' ? 'user' : 'assistant';
    const last = messages.at(-1);
    if (last && last.role === role) last.content = `${last.content as string}\n\n${turn.text}`;
    else messages.push({ role, content: turn.text });
  }
  if (messages[0]?.role === 'assistant') {
    messages.unshift({ role: 'user', content: `(${organization} started this conversation.)` });
  }
  return messages;
}
