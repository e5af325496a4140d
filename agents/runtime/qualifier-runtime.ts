import type { ConversationLimits } from '../../core/conversations/conversation-service.ts';
import type { QualifierModel } from '../../core/qualification/qualifier-model.ts';
import { createOfflineQualifier } from '../offline-model/offline-qualifier.ts';
import { loadQualifierLoadout, type QualifierLoadout } from './agent-config.ts';
import { createClaudeQualifier } from './claude-qualifier.ts';

/**
 * The qualifier as the composition root wires it: the loadout (validated; an invalid one throws
 * and the server does not start), and Claude when ANTHROPIC_API_KEY is set, else the offline
 * model. The loadout's limits become the conversation service's.
 */
export interface QualifierRuntime {
  model: QualifierModel;
  loadout: QualifierLoadout;
  provider: 'anthropic' | 'offline';
  /** For `createConversationServiceDeps`. */
  limits: ConversationLimits;
  tools: readonly string[];
}

export interface QualifierRuntimeOptions {
  env?: { ANTHROPIC_API_KEY?: string; ANTHROPIC_BASE_URL?: string };
  /** Another loadout folder (tests). */
  loadoutDir?: string;
  loadout?: QualifierLoadout;
}

export function createQualifierRuntime(options: QualifierRuntimeOptions = {}): QualifierRuntime {
  const loadout = options.loadout ?? loadQualifierLoadout(options.loadoutDir);
  const { config } = loadout;
  const apiKey = options.env?.ANTHROPIC_API_KEY;
  const model = apiKey
    ? createClaudeQualifier({ loadout, apiKey, baseURL: options.env?.ANTHROPIC_BASE_URL })
    : createOfflineQualifier({ competitors: config.offline?.competitors });
  return {
    model,
    loadout,
    provider: apiKey ? 'anthropic' : 'offline',
    limits: {
      maxMessageChars: config.limits.maxMessageChars,
      messagesPerMinute: config.limits.messagesPerMinute,
      historyMessages: config.limits.historyMessages,
      knowledgeEntries: config.limits.knowledgeEntries,
    },
    tools: config.tools,
  };
}
