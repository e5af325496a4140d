import type Anthropic from '@anthropic-ai/sdk';
import type { ToolOutcome } from '../../core/qualification/qualifier-model.ts';
import type { ToolSpec } from '../../core/qualification/qualifier-tools.ts';
import type { AgentConfig } from './agent-config.ts';

type ContentBlockParam = Anthropic.Messages.ContentBlockParam;

/**
 * One agent turn on Claude (the qualifier's and the closer's): each model call streams its text
 * out as it is produced (`onText`), tool calls are run through the conversation's tools and their
 * results sent back, until the model ends its turn or `maxToolRounds` is reached. `extract`: a
 * tool must be called and no text is kept (the qualifier listening while a rep talks).
 */
export async function runClaudeToolLoop(input: {
  client: Anthropic;
  config: AgentConfig;
  system: string;
  messages: Anthropic.Messages.MessageParam[];
  tools: ToolSpec[];
  callTool(name: string, input: unknown): Promise<ToolOutcome>;
  extract?: boolean;
  onText?: (delta: string) => void;
  signal?: AbortSignal;
}): Promise<{ text: string; model: string; usage: { inputTokens: number; outputTokens: number } }> {
  const { client, config, messages } = input;
  const tools: Anthropic.Messages.Tool[] = input.tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.inputSchema as Anthropic.Messages.Tool.InputSchema,
  }));
  const extracting = input.extract ?? false;
  const usage = { inputTokens: 0, outputTokens: 0 };
  const texts: string[] = [];
  let model: string = config.model.name;
  const rounds = config.limits?.maxToolRounds ?? 3;

  for (let round = 0; round < rounds; round++) {
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
        system: input.system,
        messages,
        ...(tools.length > 0 ? { tools } : {}),
        ...(toolChoice ? { tool_choice: toolChoice } : {}),
      },
      input.signal ? { signal: input.signal } : undefined,
    );
    if (!extracting && input.onText) {
      let separated = texts.length === 0;
      stream.on('text', (delta) => {
        // Text after a tool round continues the same reply, as a new paragraph.
        if (!separated && delta.trim()) {
          separated = true;
          input.onText?.('\n\n');
        }
        input.onText?.(delta);
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
      const outcome = await input.callTool(use.name, use.input);
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
  return { text: extracting ? '' : texts.join('\n\n'), model, usage };
}
