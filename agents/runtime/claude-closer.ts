import Anthropic from '@anthropic-ai/sdk';
import type { CloserModel, CloserTurnRequest, CloserTurnResult } from '../../core/closing/closer-model.ts';
import { type Loadout, turnCostMicroUsd } from './agent-config.ts';
import { toMessages } from './claude-qualifier.ts';
import { runClaudeToolLoop } from './claude-tool-loop.ts';
import { renderCloserPrompt } from './system-prompt.ts';

/**
 * The closer on Claude: the same streaming tool loop as the qualifier, with the closer's loadout
 * (agents/closer) and tools. For the opening turn the conversation ends with the qualifier's last
 * reply, so a bracketed note from the product (never prospect text) asks for the opening message.
 */
export function createClaudeCloser(options: {
  loadout: Loadout;
  apiKey: string;
  baseURL?: string;
  maxRetries?: number;
}): CloserModel {
  const { config, prompts } = options.loadout;
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    maxRetries: options.maxRetries ?? 2,
    timeout: config.limits?.modelTimeoutMs ?? 60_000,
  });
  return {
    name: config.model.name,
    async runTurn(request: CloserTurnRequest): Promise<CloserTurnResult> {
      const organization = request.context.organization.name;
      const messages = toMessages(request.history, organization);
      if (request.task === 'open') {
        messages.push({
          role: 'user',
          content: `(${organization}: this qualified prospect was just handed to you. Write your first message: propose the plan that fits what they told you, with propose_plan.)`,
        });
      }
      const { text, model, usage } = await runClaudeToolLoop({
        client,
        config,
        system: renderCloserPrompt(prompts.system!, request.context),
        messages,
        tools: request.tools,
        callTool: request.callTool,
        ...(request.onText ? { onText: request.onText } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return { text, model, usage, costMicroUsd: turnCostMicroUsd(config, config.model.name, usage) };
    },
  };
}
