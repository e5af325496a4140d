import { contactDetailsFor } from '../../agents/offline-model/extract-contact.ts';
import { extractSignals } from '../../agents/offline-model/extract-signals.ts';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import type { BantItem, Outcome } from '../../core/qualification/bant-state.ts';
import { qualificationRulesSchema } from '../../core/qualification/outcome-rules.ts';
import type { ConversationTurn, QualifierContext } from '../../core/qualification/qualifier-model.ts';
import { topicOfQuestion } from '../../core/qualification/qualifier-script.ts';
import type {
  LoopbackBlock,
  LoopbackReply,
  LoopbackResponder,
  MessagesRequest,
} from './anthropic-loopback.ts';

/**
 * A stand-in for Claude behind the loopback Messages API: it reads only what the real API would
 * get — the rendered system prompt, the messages and the tool results — and answers the way
 * the prompt asks, using the offline model's deterministic ears and phrasing. First it calls
 * `update_qualification` with what it heard; given the tool result it writes the reply. So the
 * same scripted dialogues run through the real SDK, streaming and tool use included, and a
 * prompt that lost the knowledge base or the state would make them fail.
 */
export function scriptedClaude(): LoopbackResponder {
  const offline = createOfflineQualifier();
  return async (request: MessagesRequest): Promise<LoopbackReply> => {
    const system = request.system ?? '';
    const last = request.messages.at(-1)!;
    const history = toTurns(request.messages);
    const now = new Date(
      `${/Today is (\d{4}-\d{2}-\d{2})/.exec(system)?.[1] ?? new Date().toISOString().slice(0, 10)}T12:00:00Z`,
    );
    const toolResult = Array.isArray(last.content)
      ? (last.content.find((block) => block.type === 'tool_result') as { content?: string } | undefined)
      : undefined;

    if (!toolResult) {
      const previousAgent = [...history.slice(0, -1)].reverse().find((turn) => turn.role === 'agent');
      const question = previousAgent?.text
        .split(/(?<=[?])\s*/)
        .filter((s) => s.trim().endsWith('?'))
        .at(-1);
      const args = extractSignals(history.at(-1)?.text ?? '', {
        now,
        lastAsked: question ? topicOfQuestion(question) : null,
      });
      const calls: LoopbackBlock[] = [];
      const canRecord = request.tools?.some((tool) => tool.name === 'update_qualification');
      if (canRecord && Object.keys(args).length > 0)
        calls.push({ type: 'tool_use', name: 'update_qualification', input: args });
      // As the prompt asks: who they are goes to `record_contact_details`, in the same response.
      if (request.tools?.some((tool) => tool.name === 'record_contact_details')) {
        const details = contactDetailsFor(history);
        if (Object.keys(details).length > 0)
          calls.push({ type: 'tool_use', name: 'record_contact_details', input: details });
      }
      if (calls.length > 0) return { content: calls };
    }
    if (request.tool_choice?.type === 'tool' || request.tool_choice?.type === 'any') return { content: [] };
    const context = contextFromPrompt(system, now, history);
    const result = await offline.runTurn({
      context,
      history,
      task: 'reply',
      tools: (request.tools ?? []).map((tool) => ({
        name: tool.name,
        description: tool.description ?? '',
        inputSchema: tool.input_schema,
      })),
      // The result the service already returned for this turn's call.
      callTool: async () => ({ content: toolResult?.content ?? '{}', isError: false }),
    });
    return { content: [{ type: 'text', text: result.text }] };
  };
}

function toTurns(messages: MessagesRequest['messages']): ConversationTurn[] {
  const turns: ConversationTurn[] = [];
  for (const message of messages) {
    const text =
      typeof message.content === 'string'
        ? message.content
        : message.content
            .filter((block) => block.type === 'text')
            .map((block) => String(block.text))
            .join('\n');
    if (!text.trim()) continue;
    if (/^\(.+ started this conversation\.\)$/.test(text)) continue;
    turns.push({ role: message.role === 'user' ? 'prospect' : 'agent', text });
  }
  return turns;
}

/** Reads back from the rendered prompt what the offline phrasing needs. */
function contextFromPrompt(system: string, now: Date, history: ConversationTurn[]): QualifierContext {
  const organization = /You are the AI sales assistant of (.+?), talking/.exec(system)?.[1] ?? 'the company';
  const knowledge = [...system.matchAll(/<entry kind="(\w+)" title="([^"]*)">\n([\s\S]*?)\n<\/entry>/g)].map(
    (match) => ({
      kind: match[1]!,
      title: match[2]!,
      body: match[3]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
      score: 1,
    }),
  );
  const missing = (/Still missing: (.+)/.exec(system)?.[1] ?? 'nothing')
    .split(/,\s*/)
    .filter((item) => item !== 'nothing') as BantItem[];
  const outcomeText = /Outcome: (\w+)/.exec(system)?.[1];
  const outcome =
    outcomeText && outcomeText !== 'not' ? { outcome: outcomeText as Outcome, reasons: [] } : null;
  return {
    organization: { name: organization },
    channel: 'web',
    disclosure: '',
    knowledge,
    state: {},
    missing,
    rules: qualificationRulesSchema.parse({}),
    outcome,
    handoffRequested: false,
    firstName: null,
    // The prompt says when nobody knows how to reach the prospect.
    reachable: !/no email or phone yet/.test(system),
    agentTurns: history.filter((turn) => turn.role === 'agent').length,
    seed: organization,
    now,
  };
}
