import Anthropic from '@anthropic-ai/sdk';
import type {
  ConversationTurn,
  QualifierModel,
  QualifierTurnRequest,
  QualifierTurnResult,
} from '../../core/qualification/qualifier-model.ts';
import { type QualifierLoadout, turnCostMicroUsd } from './agent-config.ts';
import { renderPrompt } from './system-prompt.ts';

/**
 * The qualifier on Claude, through the Anthropic SDK with streaming: each model call streams its
 * text out as it is produced (`onText`, on to the widget), tool calls are run through the
 * conversation's tools and their results sent back, until the model ends its turn or the
 * loadout's `maxToolRounds` is reached. Model, temperature, max tokens, prompt and tools all come
 * from the loadout.
 */
export interface ClaudeQualifierOptions {
  loadout: QualifierLoadout;
  apiKey: string;
  /** ANTHROPIC_BASE_URL: another endpoint speaking the Messages API (tests use a loopback one). */
  baseURL?: string;
  maxRetries?: number;
}

type MessageParam = Anthropic.Messages.MessageParam;
type ContentBlockParam = Anthropic.Messages.ContentBlockParam;

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
      const tools: Anthropic.Messages.Tool[] = request.tools.map((tool) => ({
        name: tool.name,
        description: tool.description,
        input_schema: tool.inputSchema as Anthropic.Messages.Tool.InputSchema,
      }));
      const extracting = request.task === 'extract';
      const usage = { inputTokens: 0, outputTokens: 0 };
      const texts: string[] = [];
      let model: string = config.model.name;

      for (let round = 0; round < config.limits.maxToolRounds; round++) {
        const toolChoice: Anthropic.Messages.ToolChoice | undefined =
          tools.length === 0
            ? undefined
            : extracting
              ? // Listening only: some tool must be called; with several, Claude picks (and may call both).
                tools.length === 1
                ? { type: 'tool', name: tools[0]!.name }
                : { type: 'any' }
              : { type: 'auto' };
        const stream = client.messages.stream(
          {
            model: config.model.name,
            max_tokens: config.model.maxTokens,
            temperature: config.model.temperature,
            system,
            messages,
            ...(tools.length > 0 ? { tools } : {}),
            ...(toolChoice ? { tool_choice: toolChoice } : {}),
          },
          request.signal ? { signal: request.signal } : undefined,
        );
        if (!extracting && request.onText) {
          let separated = texts.length === 0;
          stream.on('text', (delta) => {
            // Text after a tool round continues the same reply, as a new paragraph.
            if (!separated && delta.trim()) {
              separated = true;
              request.onText?.('\n\n');
            }
            request.onText?.(delta);
          });
        }
        const message = await stream.finalMessage();
        model = message.model || model;
        usage.inputTokens += message.usage.input_tokens ?? 0;
        usage.outputTokens += message.usage.output_tokens ?? 0;
        const text = message.content
          .filter((block): block is Anthropic.Messages.TextBlock => block.type === 'text')
          .map((block) => block.text)
          .join('');
        if (text.trim()) texts.push(text.trim());

        const toolUses = message.content.filter(
          (block): block is Anthropic.Messages.ToolUseBlock => block.type === 'tool_use',
        );
        if (message.stop_reason !== 'tool_use' || toolUses.length === 0) break;
        const results: ContentBlockParam[] = [];
        for (const use of toolUses) {
          const outcome = await request.callTool(use.name, use.input);
          results.push({
            type: 'tool_result',
            tool_use_id: use.id,
            content: outcome.content,
            ...(outcome.isError ? { is_error: true } : {}),
          });
        }
        if (extracting) break;
        messages.push({ role: 'assistant', content: message.content as ContentBlockParam[] });
        messages.push({ role: 'user', content: results });
      }
      return {
        text: extracting ? '' : texts.join('\n\n'),
        model,
        usage,
        costMicroUsd: turnCostMicroUsd(config, config.model.name, usage),
      };
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
